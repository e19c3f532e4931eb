//! `POST /admin/views` and `POST /admin/views/{id}/delete` (issue 16): a member names the
//! queue view they are looking at (its filters, as `view`), and deletes one of their own.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::field;
use crate::db::views::{self, NewSavedViewRow};
use crate::domain::fields;
use crate::errors::AppError;
use crate::extract::form::StaffForm;
use crate::pages::admin::AdminContext;
use crate::pages::{render, PageContext};
use crate::services::now_utc;
use crate::state::AppState;

pub const NAME_MAX: usize = 40;
/// The most views one member keeps.
pub const VIEWS_MAX: i64 = 20;

#[derive(Template)]
#[template(path = "admin/bulk_refused.html")]
struct RefusedPage {
    admin: AdminContext,
    message: &'static str,
    back: String,
}

pub async fn save(
    req: HttpRequest,
    posted: StaffForm<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (staff, pairs) = (posted.staff, posted.posted.form);
    let view = super::bulk::view_of(&pairs);
    let query = serde_urlencoded::to_string(&view).unwrap_or_default();
    let href = if query.is_empty() {
        "/admin".to_owned()
    } else {
        format!("/admin?{query}")
    };
    let name = match fields::single_line(field(&pairs, "name"), 1, NAME_MAX) {
        Ok(Some(name)) => Ok(name),
        Ok(None) | Err(fields::FieldError::Required) => Err("desk.views.error.name"),
        Err(fields::FieldError::TooLong { .. }) => Err("desk.views.error.name_too_long"),
        Err(_) => Err("admin.action.error.characters"),
    };
    let user = staff.user_id.clone();
    let saved = match name {
        Ok(name) => {
            let row = NewSavedViewRow {
                user_id: user.to_string(),
                name,
                query,
                created_at: now_utc(),
            };
            state
                .db
                .write(
                    move |conn| -> Result<Result<(), &'static str>, crate::db::DbError> {
                        let existing = views::of_user(conn, &row.user_id)?;
                        let renaming = existing.iter().any(|v| v.name == row.name);
                        if !renaming && existing.len() as i64 >= VIEWS_MAX {
                            return Ok(Err("desk.views.error.too_many"));
                        }
                        views::save(conn, &row)?;
                        Ok(Ok(()))
                    },
                )
                .await?
        }
        Err(key) => Err(key),
    };
    match saved {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, href))
            .finish()),
        Err(key) => {
            let reference = state.reference().await?;
            let admin = AdminContext::new(
                PageContext::new(&req, "/admin"),
                Some(&staff),
                Some(&reference),
            );
            let page = RefusedPage {
                message: admin.t(key),
                back: href,
                admin,
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

pub async fn delete(
    id: web::Path<String>,
    posted: StaffForm<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let user = posted.staff.user_id.to_string();
    let deleted = state
        .db
        .write(move |conn| views::delete(conn, &user, id))
        .await?;
    if !deleted {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin"))
        .finish())
}
