//! CSRF for the public forms without server state (DESIGN §4): a random value in a
//! `HttpOnly; SameSite=Strict` cookie, and its HMAC (keyed by `SECRET_KEY`) in the form.
//! A pair is valid for two hours and may be used for several filings.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::clock::now_utc;
use crate::config::Config;
use crate::errors::AppError;

pub const CSRF_COOKIE: &str = "gc_csrf";
const LIFETIME_SECS: i64 = 2 * 60 * 60;
/// A cookie younger than this is reused, so two open tabs keep working.
const REUSE_SECS: i64 = 60 * 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfPair {
    pub cookie_value: String,
    pub token: String,
}

fn sign(key: &[u8], cookie_value: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"public-form\0");
    mac.update(cookie_value.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn issued_at(cookie_value: &str) -> Option<i64> {
    let (nonce, issued) = cookie_value.split_once('.')?;
    if nonce.len() != 43 {
        return None;
    }
    issued.parse().ok()
}

/// How old a cookie is; `None` for a malformed one or an absurd time (no overflow).
fn age(cookie_value: &str, now_unix: i64) -> Option<i64> {
    now_unix.checked_sub(issued_at(cookie_value)?)
}

/// The pair for a form being rendered: the visitor's current cookie if still fresh.
pub fn pair_for_form(req: &HttpRequest, key: &[u8], now_unix: i64) -> CsrfPair {
    let cookie_value = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| age(v, now_unix).is_some_and(|age| (0..REUSE_SECS).contains(&age)))
        .unwrap_or_else(|| {
            let nonce: [u8; 32] = rand::random();
            format!("{}.{now_unix}", URL_SAFE_NO_PAD.encode(nonce))
        });
    CsrfPair {
        token: sign(key, &cookie_value),
        cookie_value,
    }
}

pub fn cookie(pair: &CsrfPair, secure: bool) -> Cookie<'static> {
    Cookie::build(CSRF_COOKIE, pair.cookie_value.clone())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(actix_web::cookie::time::Duration::seconds(LIFETIME_SECS))
        .finish()
}

/// The pair of a page being rendered now, for a form on it: its token goes into the form,
/// and `set_cookie` puts the cookie on the response.
pub fn pair_for_page(req: &HttpRequest, config: &Config) -> CsrfPair {
    pair_for_form(req, &config.secret_key, now_utc().and_utc().timestamp())
}

pub fn set_cookie(
    response: &mut HttpResponse,
    pair: &CsrfPair,
    config: &Config,
) -> Result<(), AppError> {
    response
        .add_cookie(&cookie(pair, config.behind_tls()))
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("setting the CSRF cookie: {e}")))
}

/// Whether a POST carries a valid pair: the cookie, and the form's token signed for it.
pub fn verify(req: &HttpRequest, token: Option<&str>, key: &[u8], now_unix: i64) -> bool {
    let (Some(cookie), Some(token)) = (req.cookie(CSRF_COOKIE), token) else {
        return false;
    };
    let value = cookie.value();
    // A minute of clock skew between instances is tolerated.
    let fresh = age(value, now_unix).is_some_and(|age| (-60..=LIFETIME_SECS).contains(&age));
    let Ok(given) = URL_SAFE_NO_PAD.decode(token.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"public-form\0");
    mac.update(value.as_bytes());
    // verify_slice compares in constant time.
    fresh && mac.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_pair_is_valid_for_two_hours_and_only_with_its_key() {
        let key = [7u8; 64];
        let pair = pair_for_form(&TestRequest::default().to_http_request(), &key, 1_000_000);
        let req = TestRequest::default()
            .cookie(cookie(&pair, false))
            .to_http_request();
        assert!(verify(&req, Some(&pair.token), &key, 1_000_000));
        assert!(verify(
            &req,
            Some(&pair.token),
            &key,
            1_000_000 + LIFETIME_SECS
        ));
        assert!(!verify(
            &req,
            Some(&pair.token),
            &key,
            1_000_000 + LIFETIME_SECS + 1
        ));
        assert!(!verify(&req, Some(&pair.token), &[8u8; 64], 1_000_000));
        assert!(!verify(&req, Some("forged"), &key, 1_000_000));
        assert!(!verify(&req, None, &key, 1_000_000));
        let no_cookie = TestRequest::default().to_http_request();
        assert!(!verify(&no_cookie, Some(&pair.token), &key, 1_000_000));
        // A fresh cookie is reused for the next form; an old one is replaced.
        assert_eq!(pair_for_form(&req, &key, 1_000_100), pair);
        assert_ne!(pair_for_form(&req, &key, 1_000_000 + REUSE_SECS), pair);
    }
}
