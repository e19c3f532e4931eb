//! CSRF for the public forms without server state (DESIGN §4): a random value in a
//! `HttpOnly; SameSite=Strict` cookie, and its HMAC (keyed by `SECRET_KEY`) in the form.
//! A pair is valid for two hours and may be used for several filings. The cookie carries
//! a MAC of its own, so that only values the server issued make a pair, and is named
//! `__Host-gc_csrf` behind TLS (issue 14).

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
/// Its name when served over https: browsers take a `__Host-` cookie only from this very
/// host, `Secure`, with `Path=/` and no `Domain`, so a sibling subdomain cannot plant one.
pub const CSRF_COOKIE_HOST: &str = "__Host-gc_csrf";
const LIFETIME_SECS: i64 = 2 * 60 * 60;
/// A cookie younger than this is reused, so two open tabs keep working.
const REUSE_SECS: i64 = 60 * 60;
/// The length of the random part of a cookie, base64url.
const NONCE_CHARS: usize = 43;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfPair {
    pub cookie_value: String,
    pub token: String,
}

/// The CSRF cookie's name: `__Host-` prefixed behind TLS.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        CSRF_COOKIE_HOST
    } else {
        CSRF_COOKIE
    }
}

fn mac_of(key: &[u8], label: &[u8], value: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(label);
    mac.update(value.as_bytes());
    mac
}

fn sign(key: &[u8], cookie_value: &str) -> String {
    URL_SAFE_NO_PAD.encode(
        mac_of(key, b"public-form\0", cookie_value)
            .finalize()
            .into_bytes(),
    )
}

/// A cookie value the server issues: `nonce.issued.mac`, the MAC (keyed by `SECRET_KEY`)
/// over the rest, so that the server recognises its own cookies and no other (issue 14:
/// a value planted by someone else is never signed into a pair).
fn issue(key: &[u8], now_unix: i64) -> String {
    let nonce: [u8; 32] = rand::random();
    let body = format!("{}.{now_unix}", URL_SAFE_NO_PAD.encode(nonce));
    let mac = mac_of(key, b"csrf-cookie\0", &body).finalize().into_bytes();
    format!("{body}.{}", URL_SAFE_NO_PAD.encode(mac))
}

/// When a cookie the server issued was issued; `None` for any other value.
fn issued_at(key: &[u8], cookie_value: &str) -> Option<i64> {
    let (body, mac) = cookie_value.rsplit_once('.')?;
    let (nonce, issued) = body.split_once('.')?;
    if nonce.len() != NONCE_CHARS {
        return None;
    }
    let given = URL_SAFE_NO_PAD.decode(mac).ok()?;
    // verify_slice compares in constant time.
    mac_of(key, b"csrf-cookie\0", body)
        .verify_slice(&given)
        .ok()?;
    issued.parse().ok()
}

/// How old a cookie the server issued is; `None` for any other value or an absurd time
/// (no overflow).
fn age(key: &[u8], cookie_value: &str, now_unix: i64) -> Option<i64> {
    now_unix.checked_sub(issued_at(key, cookie_value)?)
}

/// The CSRF cookie a request carries, by the name it has behind TLS or not.
fn sent_cookie(req: &HttpRequest, secure: bool) -> Option<String> {
    req.cookie(cookie_name(secure))
        .map(|c| c.value().to_owned())
}

/// The pair for a form being rendered: the visitor's current cookie if the server issued
/// it and it is still fresh, a new one otherwise.
pub fn pair_for_form(req: &HttpRequest, key: &[u8], now_unix: i64, secure: bool) -> CsrfPair {
    let cookie_value = sent_cookie(req, secure)
        .filter(|v| age(key, v, now_unix).is_some_and(|age| (0..REUSE_SECS).contains(&age)))
        .unwrap_or_else(|| issue(key, now_unix));
    CsrfPair {
        token: sign(key, &cookie_value),
        cookie_value,
    }
}

pub fn cookie(pair: &CsrfPair, secure: bool) -> Cookie<'static> {
    Cookie::build(cookie_name(secure), pair.cookie_value.clone())
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
    pair_for_form(
        req,
        &config.secret_key,
        now_utc().and_utc().timestamp(),
        config.behind_tls(),
    )
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

/// The CSRF cookie a request carries (for a POST past `verify`: the one its pair was
/// checked with).
pub fn posted_cookie(req: &HttpRequest, config: &Config) -> Option<String> {
    sent_cookie(req, config.behind_tls())
}

/// Whether a request carries a cookie that could make a valid pair (one the server issued,
/// still fresh): checked before any of a body is read.
pub fn has_fresh_cookie(req: &HttpRequest, key: &[u8], now_unix: i64, secure: bool) -> bool {
    sent_cookie(req, secure).is_some_and(|v| {
        age(key, &v, now_unix).is_some_and(|age| (-60..=LIFETIME_SECS).contains(&age))
    })
}

/// Whether a POST carries a valid pair: a cookie the server issued, and the form's token
/// signed for it.
pub fn verify(
    req: &HttpRequest,
    token: Option<&str>,
    key: &[u8],
    now_unix: i64,
    secure: bool,
) -> bool {
    let (Some(value), Some(token)) = (sent_cookie(req, secure), token) else {
        return false;
    };
    // A minute of clock skew between instances is tolerated.
    let fresh = age(key, &value, now_unix).is_some_and(|age| (-60..=LIFETIME_SECS).contains(&age));
    let Ok(given) = URL_SAFE_NO_PAD.decode(token.trim()) else {
        return false;
    };
    // verify_slice compares in constant time.
    fresh
        && mac_of(key, b"public-form\0", &value)
            .verify_slice(&given)
            .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_pair_is_valid_for_two_hours_and_only_with_its_key() {
        let key = [7u8; 64];
        let pair = pair_for_form(
            &TestRequest::default().to_http_request(),
            &key,
            1_000_000,
            false,
        );
        let req = TestRequest::default()
            .cookie(cookie(&pair, false))
            .to_http_request();
        assert!(verify(&req, Some(&pair.token), &key, 1_000_000, false));
        assert!(verify(
            &req,
            Some(&pair.token),
            &key,
            1_000_000 + LIFETIME_SECS,
            false
        ));
        assert!(!verify(
            &req,
            Some(&pair.token),
            &key,
            1_000_000 + LIFETIME_SECS + 1,
            false
        ));
        assert!(!verify(
            &req,
            Some(&pair.token),
            &[8u8; 64],
            1_000_000,
            false
        ));
        assert!(!verify(&req, Some("forged"), &key, 1_000_000, false));
        assert!(!verify(&req, None, &key, 1_000_000, false));
        let no_cookie = TestRequest::default().to_http_request();
        assert!(!verify(
            &no_cookie,
            Some(&pair.token),
            &key,
            1_000_000,
            false
        ));
        // A fresh cookie is reused for the next form; an old one is replaced.
        assert_eq!(pair_for_form(&req, &key, 1_000_100, false), pair);
        assert_ne!(
            pair_for_form(&req, &key, 1_000_000 + REUSE_SECS, false),
            pair
        );
    }

    #[test]
    fn a_cookie_the_server_did_not_issue_is_never_signed_into_a_pair() {
        let key = [7u8; 64];
        let now = 1_000_000;
        let planted = format!("{}.{now}", "A".repeat(NONCE_CHARS));
        let forged_mac = format!("{planted}.{}", "B".repeat(43));
        let issued_elsewhere = issue(&[8u8; 64], now);
        for value in [planted, forged_mac, issued_elsewhere] {
            let req = TestRequest::default()
                .cookie(Cookie::new(CSRF_COOKIE, value.clone()))
                .to_http_request();
            let pair = pair_for_form(&req, &key, now, false);
            assert_ne!(pair.cookie_value, value, "a fresh cookie replaces {value}");
            assert!(
                !verify(&req, Some(&sign(&key, &value)), &key, now, false),
                "{value}"
            );
        }
    }

    #[test]
    fn behind_tls_the_cookie_is_host_prefixed_and_only_that_one_counts() {
        let key = [7u8; 64];
        let pair = pair_for_form(
            &TestRequest::default().to_http_request(),
            &key,
            1_000_000,
            true,
        );
        let host = cookie(&pair, true);
        assert_eq!(host.name(), "__Host-gc_csrf");
        assert_eq!(
            (host.secure(), host.path(), host.domain()),
            (Some(true), Some("/"), None)
        );
        let with_host = TestRequest::default().cookie(host).to_http_request();
        assert!(verify(&with_host, Some(&pair.token), &key, 1_000_000, true));
        let plain = TestRequest::default()
            .cookie(cookie(&pair, false))
            .to_http_request();
        assert!(!verify(&plain, Some(&pair.token), &key, 1_000_000, true));
    }
}
