//! `POST /admin/bulk` (issue 16): assign several cases, or add one note to each, from the
//! queue. Each case goes through `services::case` with its own version (`services::desk`);
//! the answer is `303` back to the view with what was done, what was stale and how many
//! were refused. A form that cannot be used at all is `422` and writes nothing.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::field;
use crate::domain::fields;
use crate::domain::ids::ComplaintId;
use crate::errors::AppError;
use crate::extract::form::StaffForm;
use crate::pages::admin::AdminContext;
use crate::pages::{render, PageContext};
use crate::routes::bridge::{case_settings, member};
use crate::services::desk::{self, BulkAction, BulkOutcome, Selected};
use crate::services::now_utc;
use crate::state::AppState;

/// The most cases one bulk action takes (two queue pages).
pub const BULK_MAX: usize = 100;
const MESSAGE_MAX: usize = super::complaint::MESSAGE_MAX;

/// The queue's filter names: all a view may hold when the form sends it back.
const VIEW_NAMES: &[&str] = &[
    "state",
    "kind",
    "category",
    "district",
    "department",
    "role",
    "assignee",
    "overdue",
    "due",
    "returned",
    "escalated",
    "from",
    "to",
    "q",
];

#[derive(Template)]
#[template(path = "admin/bulk_refused.html")]
struct BulkRefusedPage {
    admin: AdminContext,
    message: &'static str,
    back: String,
}

/// The view's filters as the form sent them, kept to the queue's names.
pub(super) fn view_of(pairs: &[(String, String)]) -> Vec<(String, String)> {
    let view = field(pairs, "view").unwrap_or_default();
    url::form_urlencoded::parse(view.as_bytes())
        .filter(|(name, value)| VIEW_NAMES.contains(&name.as_ref()) && value.len() <= 200)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .take(VIEW_NAMES.len())
        .collect()
}

fn queue_href(view: &[(String, String)], outcome: &BulkOutcome) -> String {
    let mut params: Vec<(String, String)> = view.to_vec();
    if !outcome.done.is_empty() {
        params.push(("bulk_done".into(), outcome.done.join(",")));
    }
    if !outcome.stale.is_empty() {
        params.push(("bulk_stale".into(), outcome.stale.join(",")));
    }
    if outcome.refused > 0 {
        params.push(("bulk_refused".into(), outcome.refused.to_string()));
    }
    if params.is_empty() {
        return "/admin".to_owned();
    }
    format!(
        "/admin?{}",
        serde_urlencoded::to_string(&params).unwrap_or_default()
    )
}

/// The action and the cases asked for, or the message key of what makes the form unusable.
fn parse(pairs: &[(String, String)]) -> Result<(BulkAction, Vec<Selected>), &'static str> {
    let mut ids: Vec<String> = Vec::new();
    for (name, value) in pairs {
        let value = value.trim();
        if name == "ids" && !value.is_empty() && !ids.iter().any(|i| i == value) {
            if value.len() > 64 {
                return Err("desk.bulk.error.ids");
            }
            ids.push(value.to_owned());
        }
    }
    if ids.is_empty() {
        return Err("desk.bulk.error.none");
    }
    if ids.len() > BULK_MAX {
        return Err("desk.bulk.error.too_many");
    }
    let action = match field(pairs, "action").map(str::trim) {
        Some("assign") => BulkAction::Assign(
            field(pairs, "user")
                .map(str::trim)
                .filter(|u| !u.is_empty() && u.len() <= 64)
                .ok_or("admin.action.error.unknown_user")?
                .to_owned(),
        ),
        Some("note") => BulkAction::Note(
            match fields::multi_line(field(pairs, "note"), 1, MESSAGE_MAX) {
                Ok(Some(note)) => note,
                Ok(None) | Err(fields::FieldError::Required) => {
                    return Err("admin.action.error.required_note")
                }
                Err(fields::FieldError::TooLong { .. }) => {
                    return Err("admin.action.error.too_long")
                }
                Err(_) => return Err("admin.action.error.characters"),
            },
        ),
        _ => return Err("desk.bulk.error.action"),
    };
    let selected = ids
        .into_iter()
        .map(|id| Selected {
            version: field(pairs, &format!("version_{id}")).and_then(|v| v.trim().parse().ok()),
            id: ComplaintId::from(id),
        })
        .collect();
    Ok((action, selected))
}

#[tracing::instrument(skip_all, fields(user = %posted.staff.username))]
pub async fn submit(
    req: HttpRequest,
    posted: StaffForm<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (staff, pairs) = (posted.staff, posted.posted.form);
    let view = view_of(&pairs);
    let (action, selected) = match parse(&pairs) {
        Ok(parsed) => parsed,
        Err(key) => {
            let reference = state.reference().await?;
            let admin = AdminContext::new(
                PageContext::new(&req, "/admin"),
                Some(&staff),
                Some(&reference),
            );
            let page = BulkRefusedPage {
                message: admin.t(key),
                back: queue_href(&view, &BulkOutcome::default()),
                admin,
            };
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let reference = state.reference().await?;
    let outcome = desk::bulk(
        &state.db,
        &reference,
        &case_settings(&state.config),
        &member(&staff),
        selected,
        action,
        now_utc(),
    )
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, queue_href(&view, &outcome)))
        .finish())
}
