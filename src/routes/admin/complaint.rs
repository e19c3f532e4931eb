//! `GET /admin/complaints/{id}` and `POST /admin/complaints/{id}/{action}`: one case on one
//! page, and each action as its own form. What may be seen and done is decided in
//! `services::triage` and `domain::access`; this file only lays it out.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;

use super::field;
use crate::db::complaints::{self, EventRow};
use crate::db::reference::{Named, ReferenceData};
use crate::db::schema::users as users_table;
use crate::db::{attachments, users::UserRow};
use crate::domain::access::{self, Access};
use crate::domain::calendar::city_date;
use crate::domain::complaint::{ActionArgument, ComplaintKind, EventKind, Outcome, StaffAction};
use crate::domain::fields;
use crate::errors::AppError;
use crate::extract::form::StaffForm;
use crate::extract::session::Staff;
use crate::i18n::{self, Locale};
use crate::pages::admin::AdminContext;
use crate::pages::complaint::{
    ActionForm, AttachmentLink, ComplaintPage, Fact, Option2, TimelineItem,
};
use crate::pages::{render, PageContext};
use crate::services::now_utc;
use crate::services::triage::{self, ActError, ActionRequest, LoadedComplaint};
use crate::state::AppState;

pub const MESSAGE_MAX: usize = 2000;

/// A refused action, shown again in its form.
struct Refusal {
    action: StaffAction,
    message: String,
    typed: String,
}

fn city_time(t: NaiveDateTime) -> String {
    (t + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The text field of each action: its name, label key and whether it is required.
fn text_field(action: StaffAction) -> Option<(&'static str, &'static str, bool)> {
    use StaffAction::*;
    match action {
        Accept => Some(("message", "admin.action.field.message", false)),
        Reject | Return | Transfer | Pause | Reopen => {
            Some(("reason", "admin.action.field.reason", true))
        }
        RequestInfo => Some(("message", "admin.action.field.request", true)),
        Reply => Some(("message", "admin.action.field.reply", true)),
        Note => Some(("note", "admin.action.field.note", true)),
        Assist | Assign | Resume => None,
    }
}

async fn users_of(state: &AppState, department: String) -> Result<Vec<UserRow>, AppError> {
    use diesel::prelude::*;
    Ok(state
        .db
        .read(move |conn| {
            Ok(users_table::table
                .filter(users_table::department_code.eq(department))
                .filter(users_table::active.eq(true))
                .order(users_table::username)
                .select(UserRow::as_select())
                .load(conn)?)
        })
        .await?)
}

async fn action_forms(
    state: &AppState,
    staff: &Staff,
    loaded: &LoadedComplaint,
    reference: &ReferenceData,
    locale: Locale,
    refusal: Option<&Refusal>,
) -> Result<Vec<ActionForm>, AppError> {
    let today = city_date(now_utc());
    let status = loaded.status(today);
    let office = reference
        .office()
        .map(|d| d.code.clone())
        .unwrap_or_default();
    let relation = loaded.relation(&staff.department);
    let involved = |code: &str| {
        code == loaded.row.lead_department
            || loaded.co_handlers.iter().any(|c| c.department_code == code)
    };
    let mut forms = Vec::new();
    for &action in StaffAction::ALL {
        if access::may_act(staff.role, relation, action) != Access::Allowed {
            continue;
        }
        let select = match action {
            StaffAction::Transfer | StaffAction::Assist => {
                let options: Vec<Option2> = reference
                    .departments
                    .iter()
                    .filter(|d| d.active && !involved(&d.code))
                    .map(|d| Option2 {
                        value: d.code.clone(),
                        label: d.name(locale).to_owned(),
                    })
                    .collect();
                Some((
                    "department",
                    i18n::t(locale, "admin.action.field.department"),
                    options,
                ))
            }
            StaffAction::Assign => {
                let options = users_of(state, loaded.row.lead_department.clone())
                    .await?
                    .into_iter()
                    .map(|u| Option2 {
                        value: u.username.clone(),
                        label: u.username,
                    })
                    .collect();
                Some(("user", i18n::t(locale, "admin.action.field.user"), options))
            }
            StaffAction::Reply => Some((
                "outcome",
                i18n::t(locale, "admin.action.field.outcome"),
                Outcome::ALL
                    .iter()
                    .map(|o| Option2 {
                        value: o.as_str().to_owned(),
                        label: i18n::t(locale, &format!("outcome.{}", o.as_str())).to_owned(),
                    })
                    .collect(),
            )),
            _ => None,
        };
        // Offer only what the state allows, tried with a representative argument.
        let argument = match (&select, action) {
            (Some((_, _, options)), StaffAction::Transfer | StaffAction::Assist) => {
                match options.first() {
                    Some(o) => ActionArgument::Department(o.value.clone()),
                    None => continue,
                }
            }
            (Some((_, _, options)), StaffAction::Assign) => match options.first() {
                Some(o) => ActionArgument::User(o.value.clone()),
                None => continue,
            },
            (_, StaffAction::Reply) => ActionArgument::Outcome(Outcome::Other),
            _ => ActionArgument::None,
        };
        if status.act(action, &argument, &office).is_err() {
            continue;
        }
        let refused = refusal.filter(|r| r.action == action);
        forms.push(ActionForm {
            action: action.as_str(),
            title: i18n::t(locale, &format!("admin.action.{}.title", action.as_str())),
            submit: i18n::t(locale, &format!("admin.action.{}.submit", action.as_str())),
            text_field: text_field(action)
                .map(|(name, key, required)| (name, i18n::t(locale, key), required)),
            select,
            error: refused.map(|r| r.message.clone()),
            typed: refused.map(|r| r.typed.clone()).unwrap_or_default(),
        });
    }
    Ok(forms)
}

fn event_text(event: &EventRow, reference: &ReferenceData, locale: Locale) -> String {
    let department = event
        .department_code
        .as_deref()
        .map(|c| {
            reference
                .department(c)
                .map_or(c, |d| d.name(locale))
                .to_owned()
        })
        .unwrap_or_default();
    let kind = EventKind::parse(&event.kind).map_or("note", |k| k.as_str());
    i18n::t_args(
        locale,
        &format!("event.{kind}"),
        &[("department", &department)],
    )
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    loaded: LoadedComplaint,
    status: StatusCode,
    refusal: Option<Refusal>,
) -> Result<HttpResponse, AppError> {
    let reference = state.reference().await?;
    let row = &loaded.row;
    let id = row.id.clone();
    let (events, files, actors) = state
        .db
        .read(move |conn| {
            let events = complaints::events_of(conn, &id)?;
            let files = attachments::list(conn, &id)?;
            let actors = crate::db::users::names_by_id(conn)?;
            Ok((events, files, actors))
        })
        .await?;
    let mut admin = AdminContext::new(
        PageContext::new(req, &format!("/admin/complaints/{}", row.id)),
        Some(staff),
        Some(&reference),
    );
    let locale = admin.ctx.locale;
    if let Some(done) = req.query_string().strip_prefix("done=") {
        if StaffAction::parse(done).is_some() {
            admin.flash = Some(i18n::t(locale, &format!("admin.action.{done}.done")).to_owned());
        }
    }
    let t = |key: &str| i18n::t(locale, key);
    let name_of = |code: &str, named: Option<&dyn Named>| {
        named.map_or(code.to_owned(), |n| n.name(locale).to_owned())
    };
    let kind = ComplaintKind::parse(&row.kind).unwrap_or(ComplaintKind::Complaint);
    let mut facts = vec![
        Fact {
            label: t("track.kind"),
            value: t(&format!("kind.{}", kind.as_str())).to_owned(),
        },
        Fact {
            label: t("form.category.label"),
            value: name_of(
                &row.category_code,
                reference
                    .category(&row.category_code)
                    .map(|c| c as &dyn Named),
            ),
        },
        Fact {
            label: t("form.district.label"),
            value: name_of(
                &row.district_code,
                reference
                    .district(&row.district_code)
                    .map(|d| d as &dyn Named),
            ),
        },
        Fact {
            label: t("form.business_name.label"),
            value: row.business_name.clone(),
        },
        Fact {
            label: t("form.business_address.label"),
            value: row.business_address.clone(),
        },
    ];
    let optional = [
        (
            "form.business_credit_code.label",
            row.business_credit_code.clone(),
        ),
        ("form.product.label", row.product.clone()),
        (
            "form.incident_date.label",
            row.incident_date.map(|d| d.to_string()),
        ),
    ];
    facts.extend(
        optional
            .into_iter()
            .filter_map(|(k, v)| v.map(|value| Fact { label: t(k), value })),
    );
    facts.push(Fact {
        label: t("form.description.label"),
        value: row.description.clone(),
    });
    if let Some(demand) = &row.demand {
        facts.push(Fact {
            label: t("form.demand.label"),
            value: demand.clone(),
        });
    }
    facts.push(Fact {
        label: t("admin.complaint.channel"),
        value: t(&format!("channel.{}", row.channel)).to_owned(),
    });
    facts.push(Fact {
        label: t("track.filed_on"),
        value: city_time(row.created_at),
    });

    // Contact details: only here, to those who handle the case, never an anonymous
    // reporter's; each view is recorded.
    let relation = loaded.relation(&staff.department);
    let (contact, contact_note) = if row.anonymous {
        (Vec::new(), Some(t("admin.complaint.anonymous")))
    } else if access::may_see_contact(staff.role, relation) {
        let contact: Vec<Fact> = [
            ("form.complainant_name.label", row.complainant_name.clone()),
            ("form.phone.label", row.phone.clone()),
            ("form.email.label", row.email.clone()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|value| Fact { label: t(k), value }))
        .collect();
        let (user, complaint) = (staff.user_id.clone(), row.id.clone());
        let now = now_utc();
        state
            .db
            .write(move |conn| complaints::record_personal_data_view(conn, &user, &complaint, now))
            .await?;
        (contact, None)
    } else {
        (Vec::new(), None)
    };

    let lead_name = name_of(
        &row.lead_department,
        reference
            .department(&row.lead_department)
            .map(|d| d as &dyn Named),
    );
    let routing = match row.routing_rule_id {
        Some(rule) => i18n::t_args(
            locale,
            "admin.complaint.routed_by_rule",
            &[("rule", &rule.to_string()), ("department", &lead_name)],
        ),
        None => i18n::t_args(
            locale,
            "admin.complaint.routed_by_default",
            &[("department", &lead_name)],
        ),
    };
    let today = city_date(now_utc());
    let mut deadlines = vec![Fact {
        label: t("track.department"),
        value: lead_name,
    }];
    deadlines.push(Fact {
        label: t("track.deadline.accept"),
        value: row.accept_due.to_string(),
    });
    if let Some(finish) = row.finish_due {
        deadlines.push(Fact {
            label: t("track.deadline.finish"),
            value: finish.to_string(),
        });
    }
    let mut flags = Vec::new();
    if row.current_due.is_some_and(|d| d < today) {
        flags.push(t("admin.complaint.overdue").to_owned());
    }
    if row.paused_since.is_some() {
        flags.push(t("admin.complaint.paused").to_owned());
    }
    if row.flagged_to_office {
        flags.push(t("admin.complaint.flagged").to_owned());
    }
    if row.designated {
        flags.push(t("admin.complaint.designated").to_owned());
    }
    if let Some(assignee) = row.assignee.as_ref().and_then(|id| actors.get(id)) {
        deadlines.push(Fact {
            label: t("admin.complaint.assignee"),
            value: assignee.clone(),
        });
    }
    let co_handlers = loaded
        .co_handlers
        .iter()
        .map(|c| Fact {
            label: t("admin.complaint.co_handler"),
            value: format!(
                "{} ({} {})",
                name_of(
                    &c.department_code,
                    reference
                        .department(&c.department_code)
                        .map(|d| d as &dyn Named)
                ),
                t("admin.complaint.opinion_due"),
                c.opinion_due
            ),
        })
        .collect();
    let timeline = events
        .iter()
        .map(|e| TimelineItem {
            at: city_time(e.at),
            what: event_text(e, &reference, locale),
            actor: match (e.actor_kind.as_str(), &e.actor_user) {
                ("user", Some(id)) => actors.get(id).cloned().unwrap_or_default(),
                ("complainant", _) => t("admin.complaint.actor.complainant").to_owned(),
                _ => t("admin.complaint.actor.system").to_owned(),
            },
            public_message: e.public_message.clone(),
            internal_note: e.internal_note.clone(),
            is_opinion: e.is_opinion,
        })
        .collect();
    let attachments = files
        .into_iter()
        .map(|f| AttachmentLink {
            href: format!("/admin/attachments/{}", f.id),
            name: f.file_name,
            size: format!("{} KiB", (f.size_bytes + 1023) / 1024),
        })
        .collect();
    let actions = action_forms(state, staff, &loaded, &reference, locale, refusal.as_ref()).await?;
    let state_code = loaded.state().as_str();
    let reference_code = row
        .tracking_code
        .split('-')
        .next()
        .unwrap_or_default()
        .to_owned();
    let page = ComplaintPage {
        id: row.id.clone(),
        reference: reference_code,
        version: row.version,
        state_code,
        state_label: t(&format!("state.{state_code}")),
        flags,
        facts,
        contact,
        contact_note,
        routing,
        deadlines,
        co_handlers,
        attachments,
        timeline,
        actions,
        admin,
    };
    Ok(render(status, &page))
}

pub async fn show(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let loaded = triage::load_visible(&state, &staff, &id).await?;
    page(&req, &state, &staff, loaded, StatusCode::OK, None).await
}

/// Reads an action's form into a request, or the message for a refused field.
fn parse_action(
    action: StaffAction,
    pairs: &[(String, String)],
) -> Result<ActionRequest, (String, &'static str)> {
    let version = field(pairs, "version")
        .and_then(|v| v.trim().parse::<i32>().ok())
        .ok_or((String::new(), "admin.action.error.version"))?;
    let message = match text_field(action) {
        Some((name, _, required)) => {
            let raw = field(pairs, name);
            let min = usize::from(required);
            fields::multi_line(raw, min, MESSAGE_MAX).map_err(|e| {
                let key: &'static str = match e {
                    fields::FieldError::Required | fields::FieldError::TooShort { .. } => {
                        "admin.action.error.required"
                    }
                    fields::FieldError::TooLong { .. } => "admin.action.error.too_long",
                    _ => "admin.action.error.characters",
                };
                (raw.unwrap_or_default().to_owned(), key)
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
        StaffAction::Transfer | StaffAction::Assist => ActionArgument::Department(
            selected("department")
                .ok_or((typed.clone(), "admin.action.error.unknown_department"))?,
        ),
        StaffAction::Assign => ActionArgument::User(
            selected("user").ok_or((typed.clone(), "admin.action.error.unknown_user"))?,
        ),
        StaffAction::Reply => ActionArgument::Outcome(
            selected("outcome")
                .as_deref()
                .and_then(Outcome::parse)
                .ok_or((typed.clone(), "admin.action.error.outcome"))?,
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
    let refused = |typed: String, key: &str| Refusal {
        action,
        message: i18n::t(locale, key).to_owned(),
        typed,
    };
    let refusal = match parse_action(action, &pairs) {
        Ok(request) => match triage::act(&state, &staff, &id, request, now_utc()).await {
            Ok(()) => {
                return Ok(HttpResponse::SeeOther()
                    .insert_header((
                        header::LOCATION,
                        format!("/admin/complaints/{id}?done={}", action.as_str()),
                    ))
                    .finish())
            }
            Err(ActError::App(error)) => return Err(error),
            Err(ActError::Argument(problem)) => refused(String::new(), problem.message_key),
        },
        Err((typed, key)) => refused(typed, key),
    };
    // A refused field: the page again, with the message in the action's form. Hidden
    // cases stay hidden and forbidden actions forbidden, whatever the form held.
    let loaded = triage::load_visible(&state, &staff, &id).await?;
    if access::may_act(staff.role, loaded.relation(&staff.department), action) == Access::Forbidden
    {
        return Err(AppError::Forbidden);
    }
    page(
        &req,
        &state,
        &staff,
        loaded,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(refusal),
    )
    .await
}
