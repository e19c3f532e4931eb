//! `GET|POST /admin/password-reset` and `GET|POST /admin/password-reset/{token}`: a staff
//! member who forgot their password asks for a link by username; the page answers the
//! same (status and text) whether or not the account exists. The link is single-use, valid
//! 30 minutes, stored only as the SHA-256 of its token, and mailed through the outbox to
//! the account's address. Setting the new password ends every session of the account.

use std::net::{IpAddr, Ipv6Addr};

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::clock::now_utc;
use crate::db::password_resets::{self, PasswordResetRow};
use crate::db::{outbox, sessions, users, Database, DbError};
use crate::errors::AppError;
use crate::extract::client::client_addr;
use crate::extract::csrf;
use crate::extract::form::{FormFields, PublicForm};
use crate::extract::locale::locale_of;
use crate::extract::session;
use crate::mail::messages;
use crate::pages::admin::AdminContext;
use crate::pages::security::{ResetPasswordPage, ResetRequestPage};
use crate::pages::{render, PageContext};
use crate::passwords;
use crate::rate_limit::address_bucket;
use crate::routes::admin::password::MIN_PASSWORD_CHARS;
use crate::services::limits::Limit;
use crate::state::AppState;

pub const PATH: &str = "/admin/password-reset";
/// How long a link works.
pub const VALID_MINUTES: i64 = 30;
/// Links asked for one username per hour, whoever asks (the account's inbox is not flooded).
pub const PER_USERNAME_PER_HOUR: u32 = 3;

/// The reset request throttles: per client address (`LOGIN_LIMIT_PER_HOUR`, as sign-in)
/// and per username (shared by the instances on PostgreSQL, like every limit).
pub struct ResetLimits {
    pub client: Limit,
    pub username: Limit,
}

impl ResetLimits {
    pub fn new(login_limit_per_hour: u32, db: &Database) -> ResetLimits {
        ResetLimits {
            client: Limit::per_hour("reset_client", login_limit_per_hour, db),
            username: Limit::per_hour("reset_username", PER_USERNAME_PER_HOUR, db),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetRequestForm {
    username: Option<String>,
}

impl FormFields for ResetRequestForm {}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewPasswordForm {
    new: Option<String>,
    confirm: Option<String>,
}

impl FormFields for NewPasswordForm {}

fn request_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    username: &str,
    error: Option<String>,
    sent: bool,
) -> Result<HttpResponse, AppError> {
    let pair = csrf::pair_for_page(req, &state.config);
    let page = ResetRequestPage {
        admin: AdminContext::new(PageContext::new(req, PATH), None, None),
        csrf_token: pair.token.clone(),
        username: username.to_owned(),
        error,
        sent,
    };
    let mut response = render(status, &page);
    csrf::set_cookie(&mut response, &pair, &state.config)?;
    Ok(response)
}

fn new_password_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    token: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let pair = csrf::pair_for_page(req, &state.config);
    let admin = AdminContext::new(PageContext::new(req, PATH), None, None);
    let error = error.map(|key| admin.t(key).to_owned());
    let page = ResetPasswordPage {
        admin,
        csrf_token: pair.token.clone(),
        action: token.map(|t| format!("{PATH}/{t}")),
        error,
    };
    let mut response = render(status, &page);
    csrf::set_cookie(&mut response, &pair, &state.config)?;
    Ok(response)
}

/// The per-username limiter's key: a keyed hash of the name, so the limiter's memory
/// holds no usernames (and names that do not exist are counted the same).
fn username_key(secret: &[u8], username: &str) -> IpAddr {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"password-reset-username\0");
    mac.update(username.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    IpAddr::V6(Ipv6Addr::from(first))
}

#[tracing::instrument(skip_all)]
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    request_page(&req, &state, StatusCode::OK, "", None, false)
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    PublicForm(posted): PublicForm<ResetRequestForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = now_utc();
    let client = address_bucket(client_addr(&req, &state.config.trusted_proxies));
    let locale = locale_of(&req);
    let typed = posted.form.username.unwrap_or_default();
    let username = typed.trim();
    if posted.malformed || username.is_empty() || username.chars().count() > 64 {
        let message = crate::i18n::t(locale, "admin.reset.username_required").to_owned();
        let shown: String = typed.chars().take(64).collect();
        return request_page(
            &req,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &shown,
            Some(message),
            false,
        );
    }
    state
        .password_reset
        .client
        .hit(client)
        .await
        .map_err(AppError::RateLimited)?;
    state
        .password_reset
        .username
        .hit(username_key(&state.config.secret_key, username))
        .await
        .map_err(AppError::RateLimited)?;

    let lookup = username.replace('\0', "\u{FFFD}");
    let user = state
        .db
        .read(move |conn| users::find_by_username(conn, &lookup))
        .await?
        .filter(|u| u.active);
    let (token, token_hash) = session::new_session_id();
    let mail = match user.as_ref().and_then(|u| u.email.clone().map(|e| (u, e))) {
        Some((user, address)) => {
            let url = format!("{}{PATH}/{token}", state.config.base_url);
            let email = messages::password_reset(&user.username, url, locale, address)?;
            Some((
                PasswordResetRow {
                    token_hash,
                    user_id: user.id.to_string(),
                    created_at: now,
                    expires_at: now + Duration::minutes(VALID_MINUTES),
                    used_at: None,
                },
                email.into_outbox_row(None, now),
            ))
        }
        None => None,
    };
    let queued = mail.is_some();
    // A write either way, so that a known account does not answer visibly slower.
    state
        .db
        .write(move |conn| -> Result<(), DbError> {
            if let Some((reset, row)) = &mail {
                password_resets::insert(conn, reset)?;
                outbox::insert(conn, row)?;
            }
            Ok(())
        })
        .await?;
    if queued {
        state.mail_wakeup.notify_one();
    }
    tracing::info!("password reset requested");
    request_page(&req, &state, StatusCode::OK, "", None, true)
}

/// A token as the link carries it (base64url of 32 bytes); anything else cannot exist.
fn token_hash(token: &str) -> Option<String> {
    let plausible = token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then(|| session::hash_session_id(token))
}

async fn usable(state: &AppState, token: &str) -> Result<Option<PasswordResetRow>, AppError> {
    let Some(hash) = token_hash(token) else {
        return Ok(None);
    };
    let now = now_utc();
    Ok(state
        .db
        .read(move |conn| password_resets::find_usable(conn, &hash, now))
        .await?)
}

#[tracing::instrument(skip_all)]
pub async fn show_token(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    match usable(&state, &token).await? {
        Some(_) => new_password_page(&req, &state, StatusCode::OK, Some(&token), None),
        None => new_password_page(&req, &state, StatusCode::NOT_FOUND, None, None),
    }
}

#[tracing::instrument(skip_all)]
pub async fn submit_token(
    req: HttpRequest,
    path: web::Path<String>,
    PublicForm(posted): PublicForm<NewPasswordForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let Some(reset) = usable(&state, &token).await? else {
        return new_password_page(&req, &state, StatusCode::NOT_FOUND, None, None);
    };
    let new = posted.form.new.unwrap_or_default();
    let confirm = posted.form.confirm.unwrap_or_default();
    let chars = new.chars().count();
    let problem = if posted.malformed || !(MIN_PASSWORD_CHARS..=200).contains(&chars) {
        Some("admin.password.too_short")
    } else if new != confirm {
        Some("admin.password.mismatch")
    } else {
        None
    };
    if let Some(key) = problem {
        return new_password_page(
            &req,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&token),
            Some(key),
        );
    }
    let new_hash = match state
        .sign_in
        .hashing
        .run(move || passwords::hash(&new))
        .await
    {
        Ok(hashed) => hashed??,
        Err(_busy) => return Err(AppError::Busy),
    };
    let now = now_utc();
    let user_id = reset.user_id.clone();
    let token_hash = reset.token_hash.clone();
    let done = state
        .db
        .write(move |conn| -> Result<bool, DbError> {
            // Consumed here, once: a second request with the same link finds it used.
            if !password_resets::consume(conn, &token_hash, now)? {
                return Ok(false);
            }
            let Some(user) = users::find_by_id(conn, &user_id)?.filter(|u| u.active) else {
                return Ok(false);
            };
            users::set_password_hash(conn, &user_id, &new_hash)?;
            password_resets::retire_for_user(conn, &user_id, now)?;
            sessions::delete_for_user(conn, &user_id)?;
            sessions::clear_all_throttles(conn, &user.username)?;
            Ok(true)
        })
        .await?;
    if !done {
        return new_password_page(&req, &state, StatusCode::NOT_FOUND, None, None);
    }
    tracing::info!("password reset by email link");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/login?reset=done"))
        .cookie(session::removal_cookie())
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_token_of_the_mailed_shape_is_looked_up() {
        let (token, hash) = session::new_session_id();
        assert_eq!(token_hash(&token), Some(hash));
        assert_eq!(token_hash("short"), None);
        assert_eq!(token_hash(&format!("{}%", &token[..42])), None);
    }

    #[test]
    fn the_username_key_is_keyed() {
        let a = username_key(&[1; 64], "clerk");
        assert_ne!(a, username_key(&[2; 64], "clerk"));
        assert_ne!(a, username_key(&[1; 64], "clerk2"));
    }
}
