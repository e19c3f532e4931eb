//! The visitor's language: the switch's cookie first, then `Accept-Language`, then
//! Simplified Chinese.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{dev::Payload, FromRequest, HttpRequest};
use std::future::{ready, Ready};

use crate::i18n::Locale;

pub const LOCALE_COOKIE: &str = "gc_lang";

pub fn locale_of(req: &HttpRequest) -> Locale {
    req.cookie(LOCALE_COOKIE)
        .and_then(|c| Locale::from_tag(c.value()))
        .or_else(|| {
            req.headers()
                .get(actix_web::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::negotiate)
        })
        .unwrap_or_default()
}

/// The remembered choice of the language switch.
pub fn locale_cookie(locale: Locale, secure: bool) -> Cookie<'static> {
    Cookie::build(LOCALE_COOKIE, locale.tag())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}

/// Extractor form of `locale_of`.
pub struct RequestLocale(pub Locale);

impl FromRequest for RequestLocale {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(RequestLocale(locale_of(req))))
    }
}
