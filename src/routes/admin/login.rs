//! `GET/POST /admin/login` and `POST /admin/logout`. An unknown user and a wrong password
//! get the same page by the same path (a dummy Argon2 verification runs); a username that
//! failed five times waits, existing or not, at the addresses that failed; a client with
//! too many failures gets `429`; when every hashing slot is busy, `503`
//! (`services::sign_in`).

use std::sync::LazyLock;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::clock::now_utc;
use crate::db::sessions::{self, SessionRow};
use crate::db::users::{self, UserRow};
use crate::errors::AppError;
use crate::extract::client::client_addr;
use crate::extract::csrf;
use crate::extract::form::{FormFields, NoFields, PublicForm, StaffForm};
use crate::extract::session::{self, Staff};
use crate::pages::admin::{AdminContext, LoginPage};
use crate::pages::{render, PageContext};
use crate::passwords;
use crate::services::sign_in::Checked;
use crate::state::AppState;

/// Verified against when the user is unknown, so both answers take the same path.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| passwords::hash(&passwords::generate()).expect("hashing a random password"));

fn login_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    username: &str,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let pair = csrf::pair_for_page(req, &state.config);
    let page = LoginPage {
        admin: AdminContext::new(PageContext::new(req, "/admin/login"), None, None),
        csrf_token: pair.token.clone(),
        username: username.to_owned(),
        error,
    };
    let mut response = render(status, &page);
    csrf::set_cookie(&mut response, &pair, &state.config)?;
    Ok(response)
}

#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Option<Staff>,
) -> Result<HttpResponse, AppError> {
    if staff.is_some() {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/admin"))
            .finish());
    }
    // After a password reset by email (`password_reset`), the page says it worked.
    let reset_done = req.query_string() == "reset=done";
    let pair = csrf::pair_for_page(&req, &state.config);
    let mut admin = AdminContext::new(PageContext::new(&req, "/admin/login"), None, None);
    if reset_done {
        admin.flash = Some(admin.t("admin.login.reset_done").to_owned());
    }
    let page = LoginPage {
        admin,
        csrf_token: pair.token.clone(),
        username: String::new(),
        error: None,
    };
    let mut response = render(StatusCode::OK, &page);
    csrf::set_cookie(&mut response, &pair, &state.config)?;
    Ok(response)
}

/// `POST /admin/login`: checked against the public forms' CSRF pair (no session yet).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    username: Option<String>,
    password: Option<String>,
}

impl FormFields for LoginForm {}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    PublicForm(posted): PublicForm<LoginForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = now_utc();
    let form = posted.form;
    let client = client_addr(&req, &state.config.trusted_proxies);
    // Usernames are ASCII; anything else cannot exist but is throttled all the same. A NUL
    // becomes U+FFFD: PostgreSQL text cannot hold one, and the name still matches no one.
    let username: String = form
        .username
        .as_deref()
        .unwrap_or_default()
        .trim()
        .chars()
        .take(64)
        .map(|c| {
            if c == '\0' {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect();
    let password = form.password.unwrap_or_default();
    let locale = crate::extract::locale::locale_of(&req);

    let lookup = username.clone();
    let user = state
        .db
        .read(move |conn| users::find_by_username(conn, &lookup))
        .await?
        .filter(|u| u.active);
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let checked = state
        .sign_in
        .check(&state.db, &username, client, move || {
            // The dummy hash is made on first use, here under the bound like every run.
            let hash = hash.as_deref().unwrap_or(&DUMMY_HASH);
            passwords::verify(&password, hash).then_some(())
        })
        .await?;
    match (checked, user) {
        (Checked::Passed(()), Some(user)) => {
            // An enrolled member, or one whose role must enrol, goes on to the second
            // factor before any session exists (`totp`).
            if let Some(next) = super::totp::after_password(&state, &user).await? {
                return super::totp::start_pending(&state, &user, next).await;
            }
            let old = req
                .cookie(session::SESSION_COOKIE)
                .map(|c| session::hash_session_id(c.value()));
            let cookie_value = sign_in(&state, &user, old, client, now).await?;
            tracing::info!(user = %username, "signed in");
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/admin"))
                .cookie(session::session_cookie(
                    cookie_value,
                    state.config.behind_tls(),
                ))
                .finish())
        }
        // The dummy hash matches no password; an unknown user cannot pass.
        (Checked::Passed(()), None) | (Checked::Failed, _) => {
            let message = crate::i18n::t(locale, "admin.login.failed").to_owned();
            login_page(
                &req,
                &state,
                StatusCode::UNAUTHORIZED,
                &username,
                Some(message),
            )
        }
        (Checked::RateLimited(retry), _) => Err(AppError::RateLimited(retry)),
        (Checked::Busy, _) => Err(AppError::Busy),
        (Checked::Locked { until }, _) => {
            let now = now_utc();
            let minutes = ((until - now).num_seconds() + 59) / 60;
            let message = crate::i18n::t_args(
                locale,
                "admin.login.locked",
                &[("minutes", &minutes.max(1).to_string())],
            );
            let mut response = login_page(
                &req,
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                &username,
                Some(message),
            )?;
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(((until - now).num_seconds().max(1)) as u64),
            );
            Ok(response)
        }
    }
}

/// A new session (a new id at every sign-in, so a planted cookie is worthless).
pub(super) async fn sign_in(
    state: &AppState,
    user: &UserRow,
    old_session: Option<String>,
    client: std::net::IpAddr,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let (cookie_value, id_hash) = session::new_session_id();
    let row = SessionRow {
        id_hash,
        user_id: user.id.to_string(),
        csrf_token: session::new_csrf_token(),
        created_at: now,
        last_seen_at: now,
    };
    let username = user.username.clone();
    state
        .db
        .write(move |conn| {
            if let Some(old) = old_session {
                sessions::delete(conn, &old)?;
            }
            sessions::clear_throttle(conn, &username, &client.to_string())?;
            sessions::insert(conn, &row)
        })
        .await?;
    Ok(cookie_value)
}

#[tracing::instrument(skip_all, fields(user = %posted.staff.username))]
pub async fn logout(
    posted: StaffForm<NoFields>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let staff = posted.staff;
    let hash = staff.session_hash.clone();
    state
        .db
        .write(move |conn| sessions::delete(conn, &hash))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/login"))
        .cookie(session::removal_cookie())
        .finish())
}
