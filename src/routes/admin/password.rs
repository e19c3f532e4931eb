//! `GET/POST /admin/password`: staff change their own password; other sessions of the
//! account end, this one stays. Wrong current passwords are throttled like sign-in
//! (`services::sign_in`).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::clock::now_utc;
use crate::db::{sessions, users};
use crate::errors::AppError;
use crate::extract::client::client_addr;
use crate::extract::form::{FormFields, StaffForm};
use crate::extract::session::Staff;
use crate::pages::admin::{AdminContext, PasswordPage};
use crate::pages::{render, PageContext};
use crate::passwords;
use crate::services::sign_in::Checked;
use crate::state::AppState;

pub const MIN_PASSWORD_CHARS: usize = 10;

async fn page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let reference = state.reference().await?;
    let admin = AdminContext::new(
        PageContext::new(req, "/admin/password"),
        Some(staff),
        Some(&reference),
    );
    let error = error.map(|key| admin.t(key).to_owned());
    Ok(render(status, &PasswordPage { admin, error }))
}

#[tracing::instrument(skip_all, fields(user = %staff.username))]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    page(&req, &state, &staff, StatusCode::OK, None).await
}

/// `POST /admin/password`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current: Option<String>,
    new: Option<String>,
    confirm: Option<String>,
}

impl FormFields for PasswordForm {}

#[tracing::instrument(skip_all, fields(user = %posted.staff.username))]
pub async fn submit(
    req: HttpRequest,
    posted: StaffForm<PasswordForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let StaffForm { staff, posted } = posted;
    let form = posted.form;
    let current = form.current.unwrap_or_default();
    let new = form.new.unwrap_or_default();
    let confirm = form.confirm.unwrap_or_default();
    let problem = if new.chars().count() < MIN_PASSWORD_CHARS || new.chars().count() > 200 {
        Some("admin.password.too_short")
    } else if new != confirm {
        Some("admin.password.mismatch")
    } else {
        None
    };
    if let Some(key) = problem {
        return page(
            &req,
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(key),
        )
        .await;
    }
    let id = staff.user_id.clone();
    let user = state
        .db
        .read(move |conn| users::find_by_id(conn, &id))
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let hash = user.password_hash.clone();
    // A wrong current password counts as a failed sign-in of the account from this
    // address, with the same waits: a borrowed session cannot guess the password.
    let client = client_addr(&req, &state.config.trusted_proxies);
    let checked = state
        .sign_in
        .check(&state.db, &staff.username, client, move || {
            passwords::verify(&current, &hash).then(|| passwords::hash(&new))
        })
        .await?;
    let new_hash = match checked {
        Checked::Passed(hashed) => hashed?,
        Checked::Failed => {
            return page(
                &req,
                &state,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("admin.password.wrong_current"),
            )
            .await
        }
        Checked::RateLimited(retry) => return Err(AppError::RateLimited(retry)),
        Checked::Busy => return Err(AppError::Busy),
        Checked::Locked { until } => {
            let wait = (until - now_utc()).num_seconds().max(1);
            let mut response = page(
                &req,
                &state,
                &staff,
                StatusCode::TOO_MANY_REQUESTS,
                Some("admin.password.locked"),
            )
            .await?;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(wait as u64));
            return Ok(response);
        }
    };
    let username = staff.username.clone();
    let (id, keep) = (staff.user_id.clone(), staff.session_hash.clone());
    state
        .db
        .write(move |conn| {
            users::set_password_hash(conn, &id, &new_hash)?;
            sessions::clear_throttle(conn, &username, &client.to_string())?;
            sessions::delete_others_of_user(conn, &id, &keep)
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin?changed=password"))
        .finish())
}
