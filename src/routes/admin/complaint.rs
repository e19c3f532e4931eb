//! `GET /admin/complaints/{id}` and `POST /admin/complaints/{id}/{action}`: one case on one
//! page, and each action as its own form. What may be seen and done is decided in
//! `services::case` and `domain::access`; the page is laid out by `pages::complaint`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::field;
use crate::db::complaints;
use crate::db::reference::CategoryRow;
use crate::domain::access::{self, Access};
use crate::domain::complaint::{ActionArgument, Outcome, StaffAction};
use crate::domain::fields;
use crate::domain::ids::ComplaintId;
use crate::domain::rejection;
use crate::errors::AppError;
use crate::extract::form::StaffForm;
use crate::extract::session::Staff;
use crate::i18n;
use crate::pages::admin::AdminContext;
use crate::pages::businesses::{LinkForms, LinkRefusal};
use crate::pages::complaint::{self, ActionRefusal, CasePageInput};
use crate::pages::desk;
use crate::pages::{render, PageContext};
use crate::routes::bridge::{case_settings, member};
use crate::services::businesses;
use crate::services::case::{self, ActionRequest, Case};
use crate::services::{now_utc, ServiceError};
use crate::state::AppState;

pub const MESSAGE_MAX: usize = 2000;

pub(super) async fn page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    case: Case,
    status: StatusCode,
    refusal: Option<ActionRefusal>,
    link_refusal: Option<LinkRefusal>,
) -> Result<HttpResponse, AppError> {
    let reference = state.reference().await?;
    let member = member(staff);
    let now = now_utc();
    let shows_contact = complaint::shows_contact(&case, &member);
    let (id, lead, user) = (
        case.row.id.clone(),
        case.row.lead_department.clone(),
        member.user_id.clone(),
    );
    let data = state
        .db
        .read(move |conn| complaints::case_records(conn, &id, &lead))
        .await?;
    if shows_contact {
        // Each view of personal data is recorded, apart from the timeline (DESIGN §8).
        let id = case.row.id.clone();
        state
            .db
            .write(move |conn| complaints::record_personal_data_view(conn, &user, &id, now))
            .await?;
    }
    let admin = AdminContext::new(
        PageContext::new(req, &format!("/admin/complaints/{}", case.row.id)),
        Some(staff),
        Some(&reference),
    );
    let done = req
        .query_string()
        .strip_prefix("done=")
        .and_then(StaffAction::parse);
    let input = CasePageInput {
        case: &case,
        member: &member,
        reference: &reference,
        refusal: refusal.as_ref(),
        done,
        now,
    };
    let mut page = complaint::build(admin, input, data);
    // Issue 13: the linked cases, and the forms to merge and link.
    let locale = page.admin.ctx.locale;
    let linked = businesses::linked_cases(&state.db, &member, &case.row.id).await?;
    page.links = crate::pages::businesses::linked_items(&linked, &reference, locale);
    page.link_forms = LinkForms {
        shown: access::may_link(member.role, case.relation(&member.department)) == Access::Allowed,
        merge: case.row.state.is_open(),
        refusal: link_refusal,
    };
    let joint =
        crate::services::joint_actions::of_case(&state.db, &member, case.row.id.as_ref()).await?;
    page.joint_actions = crate::pages::joint_actions::case_section(&joint, locale);
    if let Some(done) = req.query_string().strip_prefix("done=") {
        if matches!(done, "merge" | "link" | "unlink") {
            page.admin.flash = Some(i18n::t(locale, &format!("business.done.{done}")).to_owned());
        }
        // Issue 16: after an action, the next case of the view the member works through.
        page.next_href =
            super::queue::next_in_view(req, state, staff, &reference, case.row.id.as_ref())
                .await?
                .map(|id| format!("/admin/complaints/{id}"));
    }
    Ok(render(status, &page))
}

pub async fn show(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let id = ComplaintId::from(id.into_inner());
    let case = case::load_visible(&state.db, &member(&staff), &id).await?;
    page(&req, &state, &staff, case, StatusCode::OK, None, None).await
}

/// Why a form was refused: the text typed, the message key and the field it is about.
type Refused = (String, &'static str, Option<&'static str>);

/// Reads an action's form into a request, or the message for a refused field.
fn parse_action(action: StaffAction, pairs: &[(String, String)]) -> Result<ActionRequest, Refused> {
    let version = field(pairs, "version")
        .and_then(|v| v.trim().parse::<i32>().ok())
        .ok_or((String::new(), "admin.action.error.version", None))?;
    let message = match complaint::text_field(action) {
        Some((name, _, required)) => {
            let raw = field(pairs, name);
            let min = usize::from(required);
            fields::multi_line(raw, min, MESSAGE_MAX).map_err(|e| {
                let key: &'static str = match e {
                    fields::FieldError::Required | fields::FieldError::TooShort { .. } => {
                        complaint::required_key(action)
                    }
                    fields::FieldError::TooLong { .. } => "admin.action.error.too_long",
                    _ => "admin.action.error.characters",
                };
                (raw.unwrap_or_default().to_owned(), key, Some(name))
            })?
        }
        None => None,
    };
    let typed = message.clone().unwrap_or_default();
    let selected = |name: &str| {
        field(pairs, name)
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 64)
            .map(str::to_owned)
    };
    let argument = match action {
        StaffAction::Transfer | StaffAction::Assist => {
            ActionArgument::Department(selected("department").ok_or((
                typed.clone(),
                "admin.action.error.unknown_department",
                Some("department"),
            ))?)
        }
        StaffAction::Assign => ActionArgument::User(selected("user").ok_or((
            typed.clone(),
            "admin.action.error.unknown_user",
            Some("user"),
        ))?),
        StaffAction::Reply => ActionArgument::Outcome(
            selected("outcome")
                .as_deref()
                .and_then(Outcome::parse)
                .filter(|o| o.chosen_in_reply())
                .ok_or((typed.clone(), "admin.action.error.outcome", Some("outcome")))?,
        ),
        _ => ActionArgument::None,
    };
    Ok(ActionRequest {
        action,
        version,
        message,
        argument,
    })
}

/// A reject form's chosen standard grounds (issue 16) written into its `reason`: the
/// grounds with their legal basis, then whatever the clerk typed. Other forms, and a reject
/// form without a choice, are taken as posted.
fn with_standard_reason(
    action: StaffAction,
    mut pairs: Vec<(String, String)>,
    category: Option<&CategoryRow>,
    locale: i18n::Locale,
) -> Result<Vec<(String, String)>, Refused> {
    let chosen = field(&pairs, "standard_reason")
        .map(str::trim)
        .unwrap_or("");
    if action != StaffAction::Reject || chosen.is_empty() {
        return Ok(pairs);
    }
    let typed = field(&pairs, "reason")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let reasons = category.map_or_else(Vec::new, |c| rejection::parse(&c.rejection_reasons));
    let reason = chosen
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| reasons.get(i))
        .ok_or((
            typed.clone(),
            "desk.reason.unknown",
            Some("standard_reason"),
        ))?;
    let mut text = reason.text(i18n::t(locale, "desk.reason.basis"));
    if !typed.is_empty() {
        text.push('\n');
        text.push_str(&typed);
    }
    pairs.retain(|(name, _)| name != "reason" && name != "standard_reason");
    pairs.push(("reason".to_owned(), text));
    Ok(pairs)
}

/// The case page again after a refused form (`422`), the message in the action's form
/// and in the summary at the top. Hidden cases stay hidden and forbidden actions
/// forbidden, whatever the form held.
async fn refuse(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    id: &ComplaintId,
    refusal: ActionRefusal,
) -> Result<HttpResponse, AppError> {
    let member = member(staff);
    let case = case::load_visible(&state.db, &member, id).await?;
    if access::may_act(
        member.role,
        case.relation(&member.department),
        refusal.action,
    ) == Access::Forbidden
    {
        return Err(AppError::Forbidden);
    }
    page(
        req,
        state,
        staff,
        case,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(refusal),
        None,
    )
    .await
}

pub async fn act(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    posted: StaffForm<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (staff, pairs) = (posted.staff, posted.posted.form);
    let (id, action_name) = path.into_inner();
    let action = StaffAction::parse(&action_name).ok_or(AppError::NotFound)?;
    let locale = crate::extract::locale::locale_of(&req);
    let id = ComplaintId::from(id);
    let refused = |typed: String, key: &str, field: Option<&'static str>| ActionRefusal {
        action,
        message: i18n::t(locale, key).to_owned(),
        typed,
        field,
    };
    let refusal = match parse_action(action, &pairs) {
        Ok(request) => {
            let reference = state.reference().await?;
            let settings = case_settings(&state.config);
            let member = member(&staff);
            match case::act(
                &state.db,
                &reference,
                &settings,
                &member,
                &id,
                request,
                now_utc(),
            )
            .await
            {
                Ok(()) => {
                    // After a return the department no longer sees the case: the queue
                    // says what was done instead of a page it may not open.
                    let still_visible = match case::load_visible(&state.db, &member, &id).await {
                        Ok(_) => true,
                        Err(ServiceError::NotFound) => false,
                        Err(error) => return Err(error.into()),
                    };
                    let next = if still_visible {
                        format!("/admin/complaints/{id}?done={}", action.as_str())
                    } else {
                        format!("/admin?done={}", action.as_str())
                    };
                    return Ok(HttpResponse::SeeOther()
                        .insert_header((header::LOCATION, next))
                        .finish());
                }
                Err(ServiceError::Argument(problem)) => {
                    refused(String::new(), problem.message_key, Some(problem.field))
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err((typed, key, field)) => refused(typed, key, field),
    };
    refuse(&req, &state, &staff, &id, refusal).await
}

/// `POST /admin/complaints/{id}/reply/preview` and `…/reject/preview` (issue 16): the
/// form of the case page, answered with exactly what the resident will receive — the
/// public message and the email, planned by the same code as the action itself — and a
/// form carrying the same fields to the action. Refusals are the action's own.
pub async fn preview(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    posted: StaffForm<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (staff, pairs) = (posted.staff, posted.posted.form);
    let (id, action_name) = path.into_inner();
    let action = StaffAction::parse(&action_name)
        .filter(|a| complaint::previewed(*a))
        .ok_or(AppError::NotFound)?;
    let locale = crate::extract::locale::locale_of(&req);
    let id = ComplaintId::from(id);
    let member = member(&staff);
    // Nothing about a case the member may not see, whatever the form holds.
    let case = case::load_visible(&state.db, &member, &id).await?;
    let reference = state.reference().await?;
    let refused = |typed: String, key: &str, field: Option<&'static str>| ActionRefusal {
        action,
        message: i18n::t(locale, key).to_owned(),
        typed,
        field,
    };
    let parsed = with_standard_reason(
        action,
        pairs,
        reference.category(&case.row.category_code),
        locale,
    )
    .and_then(|pairs| parse_action(action, &pairs));
    let refusal = match parsed {
        Ok(request) => {
            let settings = case_settings(&state.config);
            let outcome = match &request.argument {
                ActionArgument::Outcome(outcome) => Some(*outcome),
                _ => None,
            };
            let version = request.version;
            let message = request.message.clone().unwrap_or_default();
            match case::preview(
                &state.db,
                &reference,
                &settings,
                &member,
                &id,
                request,
                now_utc(),
            )
            .await
            {
                Ok(preview) => {
                    let admin = AdminContext::new(
                        PageContext::new(&req, &format!("/admin/complaints/{id}")),
                        Some(&staff),
                        Some(&reference),
                    );
                    let page = desk::preview_page(
                        admin,
                        desk::PreviewInput {
                            id: id.to_string(),
                            reference: case.row.public_id.clone(),
                            action,
                            version,
                            message,
                            outcome,
                            preview,
                        },
                    );
                    return Ok(render(StatusCode::OK, &page));
                }
                Err(ServiceError::Argument(problem)) => {
                    refused(String::new(), problem.message_key, Some(problem.field))
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err((typed, key, field)) => refused(typed, key, field),
    };
    refuse(&req, &state, &staff, &id, refusal).await
}
