//! `GET|POST /admin/joint-actions` (the list and the opening form), `GET
//! /admin/joint-actions/{id}` and `POST /admin/joint-actions/{id}/{action}` (`report`,
//! `link`, `conclude`, `cancel`), issue 13. Who may do what is `services::joint_actions`'s;
//! these handlers read the forms and lay out the pages.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::field;
use crate::domain::access::Access;
use crate::domain::calendar::city_date;
use crate::domain::fields::{self, FieldError};
use crate::domain::joint_action::{self as rules, JointCommand, JointOutcome, OpeningForm};
use crate::errors::AppError;
use crate::extract::form::StaffForm;
use crate::extract::session::Staff;
use crate::pages::admin::AdminContext;
use crate::pages::joint_actions::{
    action_page, case_label, list_rows, open_form, ActionPageInput, CaseChoice, JointActionsPage,
    Refusal,
};
use crate::pages::{render, PageContext};
use crate::routes::bridge::member;
use crate::services::joint_actions::{self as service, JointChange, JointError};
use crate::services::{now_utc, ServiceError};
use crate::state::AppState;

/// A case id as typed: a UUID, or a case's admin address ending in one.
fn case_id(typed: &str) -> Option<String> {
    let id = typed.trim().trim_end_matches('/');
    let id = id.rsplit('/').next().unwrap_or(id);
    uuid::Uuid::parse_str(id)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

/// The cases offered on the opening form: the business's the viewer may see (from a
/// hotspot or business page), and any given by id; the given ones ticked, or all of them
/// when none was given.
async fn offered_cases(
    state: &AppState,
    staff: &Staff,
    pairs: &[(String, String)],
    locale: crate::i18n::Locale,
) -> Result<Vec<CaseChoice>, AppError> {
    let reference = state.reference().await?;
    let given: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| n == "cases")
        .filter_map(|(_, v)| case_id(v))
        .collect();
    let mut ids: Vec<String> = given.clone();
    let business = field(pairs, "business").and_then(|b| b.trim().parse::<i64>().ok());
    if let Some(id) = business {
        match crate::services::businesses::business(&state.db, &member(staff), id).await {
            Ok(view) => ids.extend(view.cases.iter().map(|c| c.id.to_string())),
            Err(ServiceError::NotFound) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    let rows = state
        .db
        .read(move |conn| {
            let mut rows = Vec::new();
            for id in &ids {
                if let Some(row) = crate::db::complaints::find(conn, id)? {
                    rows.push(row);
                }
            }
            Ok(rows)
        })
        .await?;
    Ok(rows
        .iter()
        .map(|row| CaseChoice {
            checked: given.is_empty() || given.contains(&row.id.to_string()),
            id: row.id.to_string(),
            label: case_label(row, &reference, locale),
        })
        .collect())
}

async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    pairs: &[(String, String)],
    problems: &[(String, &'static str)],
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let reference = state.reference().await?;
    let member = member(staff);
    let actions = service::list(&state.db, &member).await?;
    let ctx = PageContext::new(req, "/admin/joint-actions");
    let locale = ctx.locale;
    let admin = AdminContext::new(ctx, Some(staff), Some(&reference));
    let form = if rules::may_open(member.role) {
        let mut cases = offered_cases(state, staff, pairs, locale).await?;
        if !problems.is_empty() {
            // As posted: only what was ticked is ticked.
            let ticked: Vec<String> = pairs
                .iter()
                .filter(|(n, _)| n == "cases")
                .filter_map(|(_, v)| case_id(v))
                .collect();
            for c in &mut cases {
                c.checked = ticked.contains(&c.id);
            }
        }
        Some(open_form(&reference, locale, pairs, cases, problems))
    } else {
        None
    };
    let page = JointActionsPage {
        rows: list_rows(&actions, &reference, locale),
        form,
        admin,
    };
    Ok(render(status, &page))
}

#[tracing::instrument(skip_all, fields(user = %staff.username))]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    list_page(&req, &state, &staff, &pairs, &[], StatusCode::OK).await
}

/// `POST /admin/joint-actions`: opens one and answers `303` to its page.
pub async fn open(
    req: HttpRequest,
    posted: StaffForm<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (staff, pairs) = (posted.staff, posted.posted.form);
    let member = member(&staff);
    if !rules::may_open(member.role) {
        return Err(AppError::Forbidden);
    }
    let reference = state.reference().await?;
    let known = |code: &str| reference.department(code).is_some_and(|d| d.active);
    let parsed = OpeningForm { pairs: &pairs }.parse(known);
    let mut problems = match &parsed {
        Ok(_) => Vec::new(),
        Err(problems) => problems.clone(),
    };
    // Case ids must be UUIDs; whether they exist the service checks.
    let typed_cases = OpeningForm { pairs: &pairs }.cases();
    let cases: Vec<Option<String>> = typed_cases.iter().map(|c| case_id(c)).collect();
    if cases.iter().any(Option::is_none) && !problems.iter().any(|(f, _)| f == "cases") {
        problems.push(("cases".into(), "joint.error.unknown_cases"));
    }
    if problems.is_empty() {
        if let Ok(mut new) = parsed {
            new.cases = cases.into_iter().flatten().collect();
            let business = field(&pairs, "business").and_then(|b| b.trim().parse::<i64>().ok());
            match service::open(
                &state.db,
                &reference,
                &state.config.base_url,
                &member,
                new,
                business,
                now_utc(),
            )
            .await
            {
                Ok(id) => {
                    return Ok(HttpResponse::SeeOther()
                        .insert_header((
                            header::LOCATION,
                            format!("/admin/joint-actions/{id}?done=opened"),
                        ))
                        .finish())
                }
                Err(ServiceError::Argument(problem)) => {
                    problems.push((problem.field.to_owned(), problem.message_key))
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
    list_page(
        &req,
        &state,
        &staff,
        &pairs,
        &problems,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

fn action_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
}

async fn action_response(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    id: i64,
    status: StatusCode,
    refusal: Option<Refusal>,
    conflict: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let reference = state.reference().await?;
    let member = member(staff);
    let view = service::view(&state.db, &member, id).await?;
    let business_name = match view.action.business_id {
        Some(b) => state
            .db
            .read(move |conn| crate::db::businesses::find(conn, b))
            .await?
            .map(|b| b.name),
        None => None,
    };
    let ctx = PageContext::new(req, &format!("/admin/joint-actions/{id}"));
    let mut admin = AdminContext::new(ctx, Some(staff), Some(&reference));
    if let Some(done) = req.query_string().strip_prefix("done=") {
        let key = match done {
            "opened" => Some("joint.done.opened"),
            "report" => Some("joint.done.report"),
            "link" => Some("joint.done.link"),
            "conclude" => Some("joint.done.conclude"),
            "cancel" => Some("joint.done.cancel"),
            _ => None,
        };
        admin.flash = key.map(|k| admin.t(k).to_owned());
    }
    let input = ActionPageInput {
        view: &view,
        member: &member,
        reference: &reference,
        business_name,
        today: city_date(now_utc()),
    };
    Ok(render(
        status,
        &action_page(admin, input, refusal, conflict),
    ))
}

#[tracing::instrument(skip_all, fields(user = %staff.username))]
pub async fn show(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let id = action_id(&path.into_inner())?;
    action_response(&req, &state, &staff, id, StatusCode::OK, None, None).await
}

fn text(raw: Option<&str>) -> Result<String, &'static str> {
    fields::multi_line(raw, 1, rules::TEXT_MAX)
        .map(Option::unwrap_or_default)
        .map_err(|e| match e {
            FieldError::Required | FieldError::TooShort { .. } => "joint.error.required",
            FieldError::TooLong { .. } => "joint.error.too_long",
            _ => "joint.error.characters",
        })
}

/// Reads an action's form: the change, or the message key of its refused field.
fn parse_change(
    command: JointCommand,
    pairs: &[(String, String)],
) -> Result<JointChange, &'static str> {
    Ok(match command {
        JointCommand::Report => JointChange::Report {
            department: field(pairs, "department")
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
            text: text(field(pairs, "report"))?,
        },
        JointCommand::Link => {
            let typed: Vec<&str> = pairs
                .iter()
                .filter(|(n, _)| n == "cases")
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
                .collect();
            if typed.is_empty() {
                return Err("joint.error.no_case");
            }
            if typed.len() > rules::CASES_MAX {
                return Err("joint.error.too_many_cases");
            }
            let mut cases = Vec::new();
            for t in typed {
                let id = case_id(t).ok_or("joint.error.unknown_cases")?;
                if !cases.contains(&id) {
                    cases.push(id);
                }
            }
            JointChange::Link { cases }
        }
        JointCommand::Conclude => {
            let outcome = field(pairs, "outcome")
                .map(str::trim)
                .and_then(JointOutcome::parse)
                .ok_or("joint.error.outcome")?;
            JointChange::Conclude {
                outcome,
                summary: text(field(pairs, "summary"))?,
            }
        }
        JointCommand::Cancel => JointChange::Cancel {
            reason: text(field(pairs, "reason"))?,
        },
    })
}

/// `POST /admin/joint-actions/{id}/{action}`.
pub async fn act(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    posted: StaffForm<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (staff, pairs) = (posted.staff, posted.posted.form);
    let (raw_id, raw_action) = path.into_inner();
    let id = action_id(&raw_id)?;
    let command = JointCommand::parse(&raw_action).ok_or(AppError::NotFound)?;
    let member = member(&staff);
    // Who may not see the action gets 404, a member asking for the office's step 403,
    // before anything of the form is read.
    let view = service::view(&state.db, &member, id).await?;
    match service::access(&view, &member, command) {
        Access::Allowed => {}
        Access::Forbidden => return Err(AppError::Forbidden),
        Access::Hidden => return Err(AppError::NotFound),
    }
    let form = command.as_str();
    let typed_field = match command {
        JointCommand::Report => "report",
        JointCommand::Link => "cases",
        JointCommand::Conclude => "summary",
        JointCommand::Cancel => "reason",
    };
    let typed = field(&pairs, typed_field).unwrap_or_default().to_owned();
    let refused = |message_key: &'static str| {
        Some(Refusal {
            form,
            message: crate::i18n::t(crate::extract::locale::locale_of(&req), message_key),
            typed: typed.clone(),
        })
    };
    let version = field(&pairs, "version").and_then(|v| v.trim().parse::<i32>().ok());
    let parsed = match version {
        None => Err("joint.error.version"),
        Some(version) => parse_change(command, &pairs).map(|change| (version, change)),
    };
    let (version, change) = match parsed {
        Ok(parsed) => parsed,
        Err(key) => {
            return action_response(
                &req,
                &state,
                &staff,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                refused(key),
                None,
            )
            .await
        }
    };
    let reference = state.reference().await?;
    let outcome = service::act(
        &state.db,
        &reference,
        &state.config.base_url,
        &member,
        id,
        version,
        change,
        now_utc(),
    )
    .await;
    let (status, refusal, conflict) = match outcome {
        Ok(()) => {
            return Ok(HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    format!("/admin/joint-actions/{id}?done={form}"),
                ))
                .finish())
        }
        Err(JointError::Stale) => (StatusCode::CONFLICT, None, Some("joint.conflict.stale")),
        Err(JointError::Ended) => (StatusCode::CONFLICT, None, Some("joint.conflict.ended")),
        Err(JointError::AlreadyReported) => {
            (StatusCode::CONFLICT, None, Some("joint.conflict.reported"))
        }
        Err(JointError::Service(ServiceError::Argument(problem))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            refused(problem.message_key),
            None,
        ),
        Err(JointError::Service(error)) => return Err(error.into()),
    };
    let locale = crate::extract::locale::locale_of(&req);
    action_response(
        &req,
        &state,
        &staff,
        id,
        status,
        refusal,
        conflict.map(|key| crate::i18n::t(locale, key)),
    )
    .await
}
