//! The signed-in staff member: a random 256-bit session id in an `HttpOnly` cookie, stored
//! server-side only as its SHA-256, with an idle timeout, a 12-hour absolute lifetime and
//! a per-session CSRF token for every admin form.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{dev::Payload, FromRequest, HttpRequest};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{Duration, NaiveDateTime};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::clock::now_utc;
use crate::db::sessions;
use crate::domain::access::Role;
use crate::errors::AppError;

pub const SESSION_COOKIE: &str = "gc_session";
pub const ABSOLUTE_LIFETIME_HOURS: i64 = 12;
/// `last_seen_at` is written at most this often, to keep reads from becoming writes.
const TOUCH_AFTER_SECS: i64 = 60;

#[derive(Debug, Clone)]
pub struct Staff {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    pub department: String,
    pub csrf_token: String,
    pub session_hash: String,
}

impl Staff {
    /// Every admin POST carries the session's token; compared in constant time.
    pub fn verify_csrf(&self, token: Option<&str>) -> Result<(), AppError> {
        let given = token.unwrap_or_default().as_bytes();
        if bool::from(given.ct_eq(self.csrf_token.as_bytes())) && !given.is_empty() {
            Ok(())
        } else {
            Err(AppError::Csrf)
        }
    }
}

/// A fresh session id: the cookie value and the hash stored in the database.
pub fn new_session_id() -> (String, String) {
    let id: [u8; 32] = rand::random();
    let value = URL_SAFE_NO_PAD.encode(id);
    let hash = hash_session_id(&value);
    (value, hash)
}

pub fn hash_session_id(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn new_csrf_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

pub fn session_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/admin")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}

pub fn removal_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "").path("/admin").finish();
    cookie.make_removal();
    cookie
}

/// Whether a session is still alive at `now`.
pub fn is_live(
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    idle_minutes: u32,
    now: NaiveDateTime,
) -> bool {
    now - last_seen_at < Duration::minutes(i64::from(idle_minutes))
        && now - created_at < Duration::hours(ABSOLUTE_LIFETIME_HOURS)
}

async fn current_staff(req: HttpRequest) -> Result<Staff, AppError> {
    let state = super::app_state(&req)?;
    let cookie = req
        .cookie(SESSION_COOKIE)
        .ok_or(AppError::Unauthenticated)?;
    let hash = hash_session_id(cookie.value());
    let key = hash.clone();
    let found = state
        .db
        .read(move |conn| sessions::find_with_user(conn, &key))
        .await?;
    let (session, user) = found.ok_or(AppError::Unauthenticated)?;
    let now = now_utc();
    let role = Some(user.role);
    let live = is_live(
        session.created_at,
        session.last_seen_at,
        state.config.session_idle_minutes,
        now,
    );
    let (true, true, Some(role)) = (live, user.active, role) else {
        let key = hash.clone();
        state
            .db
            .write(move |conn| sessions::delete(conn, &key))
            .await?;
        return Err(AppError::Unauthenticated);
    };
    if (now - session.last_seen_at).num_seconds() >= TOUCH_AFTER_SECS {
        let key = hash.clone();
        state
            .db
            .write(move |conn| sessions::touch(conn, &key, now))
            .await?;
    }
    Ok(Staff {
        user_id: user.id.to_string(),
        username: user.username,
        role,
        department: user.department_code.to_string(),
        csrf_token: session.csrf_token,
        session_hash: hash,
    })
}

impl FromRequest for Staff {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Staff, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(current_staff(req.clone()))
    }
}
