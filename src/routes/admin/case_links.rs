//! `POST /admin/complaints/{id}/merge` (`into`, `reason`), `/link` and `/unlink` (`other`):
//! a case and another one (issue 13). The change itself is `services::case`'s.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::complaint::{page, MESSAGE_MAX};
use super::field;
use crate::domain::fields;
use crate::domain::ids::ComplaintId;
use crate::errors::AppError;
use crate::extract::form::StaffForm;
use crate::i18n;
use crate::pages::businesses::LinkRefusal;
use crate::routes::bridge::{case_settings, member, refused_argument, see_other};
use crate::services::case::{self, LinkAction};
use crate::services::now_utc;
use crate::state::AppState;

/// A case id as typed: the UUID of the other case's admin address, or that address whole.
fn other_case(typed: &str) -> Option<ComplaintId> {
    let id = typed.trim().trim_end_matches('/');
    let id = id.rsplit('/').next().unwrap_or(id);
    uuid::Uuid::parse_str(id)
        .ok()
        .map(|u| ComplaintId::from(u.hyphenated().to_string()))
}

pub async fn act(
    req: HttpRequest,
    path: web::Path<String>,
    posted: StaffForm<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (staff, pairs) = (posted.staff, posted.posted.form);
    let id = ComplaintId::from(path.into_inner());
    let form: &'static str = match req.path().rsplit('/').next() {
        Some("merge") => "merge",
        Some("link") => "link",
        Some("unlink") => "unlink",
        _ => return Err(AppError::NotFound),
    };
    let locale = crate::extract::locale::locale_of(&req);
    let member = member(&staff);
    let other_field = if form == "merge" { "into" } else { "other" };
    let typed_other = field(&pairs, other_field).unwrap_or_default().to_owned();
    let typed_reason = field(&pairs, "reason").unwrap_or_default().to_owned();
    let refused = |key: &str| LinkRefusal {
        form,
        message: i18n::t(locale, key).to_owned(),
        typed_other: typed_other.clone(),
        typed_reason: typed_reason.clone(),
    };
    let parsed = (|| {
        let version = field(&pairs, "version")
            .and_then(|v| v.trim().parse::<i32>().ok())
            .ok_or("admin.action.error.version")?;
        let other = other_case(&typed_other).ok_or("business.link.error.unknown_case")?;
        let action = match form {
            "merge" => {
                let reason = fields::multi_line(Some(&typed_reason), 1, MESSAGE_MAX)
                    .map_err(|e| match e {
                        fields::FieldError::TooLong { .. } => "admin.action.error.too_long",
                        fields::FieldError::Required | fields::FieldError::TooShort { .. } => {
                            "admin.action.error.required"
                        }
                        _ => "admin.action.error.characters",
                    })?
                    .unwrap_or_default();
                LinkAction::Merge { reason }
            }
            "link" => LinkAction::Link,
            _ => LinkAction::Unlink,
        };
        Ok::<_, &'static str>((version, other, action))
    })();
    let refusal = match parsed {
        Ok((version, other, action)) => {
            let reference = state.reference().await?;
            let settings = case_settings(&state.config);
            let done = case::act_on_other(
                &state.db,
                &reference,
                &settings,
                &member,
                &id,
                &other,
                action,
                version,
                now_utc(),
            )
            .await;
            match refused_argument(done)? {
                Ok(()) => {
                    return Ok(see_other(
                        &format!("/admin/complaints/{id}"),
                        &[("done", form)],
                    ))
                }
                Err(key) => refused(key),
            }
        }
        Err(key) => refused(key),
    };
    // A refused field: the page again with the message in the form; a case the member
    // may not see stays hidden, a form it may not use forbidden.
    let case = case::load_visible(&state.db, &member, &id).await?;
    if crate::domain::access::may_link(member.role, case.relation(&member.department))
        != crate::domain::access::Access::Allowed
    {
        return Err(AppError::Forbidden);
    }
    page(
        &req,
        &state,
        &staff,
        case,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        Some(refusal),
    )
    .await
}
