//! `GET/POST /admin/password`: staff change their own password; other sessions of the
//! account end, this one stays.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::db::{sessions, users};
use crate::errors::AppError;
use crate::extract::form::{FormFields, StaffForm};
use crate::extract::session::Staff;
use crate::pages::admin::{AdminContext, PasswordPage};
use crate::pages::{render, PageContext};
use crate::passwords;
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
    let outcome = web::block(move || -> anyhow::Result<Option<String>> {
        if !passwords::verify(&current, &hash) {
            return Ok(None);
        }
        Ok(Some(passwords::hash(&new)?))
    })
    .await
    .map_err(|e| anyhow::anyhow!("password change: {e}"))??;
    let Some(new_hash) = outcome else {
        return page(
            &req,
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("admin.password.wrong_current"),
        )
        .await;
    };
    let (id, keep) = (staff.user_id.clone(), staff.session_hash.clone());
    state
        .db
        .write(move |conn| {
            users::set_password_hash(conn, &id, &new_hash)?;
            sessions::delete_others_of_user(conn, &id, &keep)
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin?changed=password"))
        .finish())
}
