//! `GET/POST /admin/password`: staff change their own password; other sessions of the
//! account end, this one stays.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;

use super::{field, form_pairs};
use crate::db::schema::sessions as sessions_table;
use crate::db::users;
use crate::errors::AppError;
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

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    page(&req, &state, &staff, StatusCode::OK, None).await
}

pub async fn submit(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let pairs = form_pairs(&body);
    staff.verify_csrf(field(&pairs, "csrf_token"))?;
    let current = field(&pairs, "current").unwrap_or_default().to_owned();
    let new = field(&pairs, "new").unwrap_or_default().to_owned();
    let confirm = field(&pairs, "confirm").unwrap_or_default();
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
            diesel::delete(
                sessions_table::table
                    .filter(sessions_table::user_id.eq(&id))
                    .filter(sessions_table::id_hash.ne(&keep)),
            )
            .execute(conn)
            .map_err(crate::db::DbError::from)?;
            Ok::<_, AppError>(())
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin?changed=password"))
        .finish())
}
