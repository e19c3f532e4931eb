//! `GET /track`, `GET /track/{code}` and the resident's `POST /track/{code}/withdraw`,
//! `…/info` and `…/rating`: the resident's view of a case by its tracking code. Never shows
//! the description or anyone's personal data.

use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Datelike as _, Timelike as _};
use serde::Deserialize;

use super::complaint_form::{receipt_matches, RECEIPT_COOKIE};
use crate::clock::now_utc;
use crate::db::complaints::{self, ComplaintRow, EventRow};
use crate::db::reference::{Named, ReferenceData};
use crate::domain::calendar::{city_date, city_time};
use crate::domain::complaint::{ComplaintKind, ComplaintState, EventKind};
use crate::domain::fields;
use crate::domain::intake::FieldProblem;
use crate::domain::tracking_code::TrackingCode;
use crate::errors::AppError;
use crate::extract::client::client_addr;
use crate::extract::csrf;
use crate::extract::form::{FormFields, Posted, PublicForm};
use crate::extract::locale::locale_of;
use crate::i18n;
use crate::pages::public::{
    Answer, Deadline, Receipt, ResidentFormProblem, TimelineEntry, TrackLookupPage, TrackPage,
    WithdrawPage,
};
use crate::pages::{render, DueStanding, PageContext};
use crate::routes::bridge::case_settings;
use crate::routes::public::complaint_form::check_files;
use crate::services::case::{self, Command};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct LookupQuery {
    code: Option<String>,
}

async fn count_lookup(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    let client = client_addr(req, &state.config.trusted_proxies);
    state
        .track_limit
        .hit(client)
        .await
        .map_err(AppError::RateLimited)
}

#[tracing::instrument(skip_all)]
pub async fn lookup(
    req: HttpRequest,
    query: Result<web::Query<LookupQuery>, actix_web::Error>,
) -> HttpResponse {
    let typed = query
        .ok()
        .and_then(|q| q.into_inner().code)
        .unwrap_or_default();
    if typed.trim().is_empty() {
        let page = TrackLookupPage {
            ctx: PageContext::new(&req, "/track"),
            code: String::new(),
            error: None,
        };
        return render(StatusCode::OK, &page);
    }
    match TrackingCode::parse(&typed) {
        Some(code) => see_case(&code),
        None => {
            let ctx = PageContext::new(&req, "/track");
            let page = TrackLookupPage {
                error: Some(ctx.t("track.lookup.invalid")),
                code: typed,
                ctx,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// A code that names no case answers on the look-up form, to be typed again (`404`).
fn not_found(req: &HttpRequest, raw_code: &str) -> HttpResponse {
    let ctx = PageContext::new(req, "/track");
    let page = TrackLookupPage {
        error: Some(ctx.t("track.lookup.not_found")),
        code: raw_code.chars().take(40).collect(),
        ctx,
    };
    render(StatusCode::NOT_FOUND, &page)
}

/// The case a resident's POST names. Every request keyed by a tracking code counts against
/// `TRACK_LIMIT_PER_HOUR`, whatever its answer: the POSTs test codes as well as a look-up.
/// A code that names no case is answered with the look-up form (`Err`, a `404` page).
async fn find(
    req: &HttpRequest,
    state: &AppState,
    raw_code: &str,
) -> Result<Result<(TrackingCode, ComplaintRow), HttpResponse>, AppError> {
    count_lookup(req, state).await?;
    let Some(code) = TrackingCode::parse(raw_code) else {
        return Ok(Err(not_found(req, raw_code)));
    };
    let key = code.as_str().to_owned();
    let complaint = state
        .db
        .read(move |conn| complaints::find_by_tracking_code(conn, &key))
        .await?;
    Ok(match complaint {
        Some(complaint) => Ok((code, complaint)),
        None => Err(not_found(req, raw_code)),
    })
}

#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    raw_code: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    count_lookup(&req, &state).await?;
    let Some(code) = TrackingCode::parse(&raw_code) else {
        return Ok(not_found(&req, &raw_code));
    };
    // The case, its timeline and the reference data in one trip to the database: this is
    // the busiest page, and each trip is a hand-over to a blocking thread.
    let key = code.as_str().to_owned();
    let cache = state.reference_cache.clone();
    let just_filed = req.cookie(RECEIPT_COOKIE).is_some_and(|c| {
        receipt_matches(
            &state.config.secret_key,
            c.value(),
            code.as_str(),
            now_utc().and_utc().timestamp(),
        )
    });
    let found = state
        .db
        .read(move |conn| {
            let Some(complaint) = complaints::find_by_tracking_code(conn, &key)? else {
                return Ok(None);
            };
            let events = complaints::events_of(conn, &complaint.id)?;
            // The receipt's copy of what was submitted names the files.
            let files = if just_filed {
                crate::db::attachments::list(conn, complaint.id.as_str())?
                    .into_iter()
                    .map(|a| a.file_name)
                    .collect()
            } else {
                Vec::new()
            };
            Ok(Some((complaint, events, files, cache.get(conn)?)))
        })
        .await?;
    let Some((complaint, events, files, reference)) = found else {
        return Ok(not_found(&req, &raw_code));
    };
    if raw_code.as_str() != code.as_str() {
        // One address per case: typed variants lead to the canonical one.
        return Ok(see_case(&code));
    }
    let done = web::Query::<DoneQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.into_inner().done)
        .and_then(|done| DONE_NOTICES.iter().find(|(name, _)| *name == done))
        .map(|(_, key)| *key);
    let shown = TrackRender {
        just_filed,
        problem: None,
        notice: done,
    };
    let loaded = Loaded {
        complaint: &complaint,
        events: &events,
        reference: &reference,
        files: &files,
    };
    render_page(&req, &state, &code, loaded, StatusCode::OK, shown)
}

/// What differs between showing the page and re-showing it after a refused withdrawal.
struct TrackRender {
    just_filed: bool,
    problem: Option<ResidentFormProblem>,
    /// A resident's step just done (`?done=`), as a message key.
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn respond_with_page(
    req: &HttpRequest,
    state: &AppState,
    code: &TrackingCode,
    complaint: &ComplaintRow,
    status: StatusCode,
    shown: TrackRender,
) -> Result<HttpResponse, AppError> {
    let id = complaint.id.clone();
    let events = state
        .db
        .read(move |conn| complaints::events_of(conn, &id))
        .await?;
    let reference = state.reference().await?;
    let loaded = Loaded {
        complaint,
        events: &events,
        reference: &reference,
        files: &[],
    };
    render_page(req, state, code, loaded, status, shown)
}

/// What the page shows, read already.
#[derive(Clone, Copy)]
struct Loaded<'a> {
    complaint: &'a ComplaintRow,
    events: &'a [EventRow],
    reference: &'a ReferenceData,
    /// The names of the files filed with it (for the receipt only).
    files: &'a [String],
}

fn render_page(
    req: &HttpRequest,
    state: &AppState,
    code: &TrackingCode,
    loaded: Loaded<'_>,
    status: StatusCode,
    shown: TrackRender,
) -> Result<HttpResponse, AppError> {
    let pair = csrf::pair_for_page(req, &state.config);
    let ctx = PageContext::new(req, &format!("/track/{code}"));
    let just_filed = shown.just_filed;
    let page = track_page(
        ctx,
        code,
        &loaded,
        state.config.rating_window_days,
        shown,
        pair.token.clone(),
    );
    let mut response = render(status, &page);
    csrf::set_cookie(&mut response, &pair, &state.config)?;
    if just_filed {
        // The receipt is shown once.
        let mut gone = Cookie::build(RECEIPT_COOKIE, "").path("/track").finish();
        gone.make_removal();
        response
            .add_cookie(&gone)
            .map_err(|e| anyhow::anyhow!("removing the receipt cookie: {e}"))?;
    }
    Ok(response)
}

fn track_page(
    ctx: PageContext,
    code: &TrackingCode,
    loaded: &Loaded<'_>,
    rating_window_days: u32,
    shown: TrackRender,
    csrf_token: String,
) -> TrackPage {
    let Loaded {
        complaint,
        events,
        reference,
        files,
    } = *loaded;
    let locale = ctx.locale;
    let state = complaint.state;
    let kind = complaint.kind;
    let department_name = |code: &str| {
        reference
            .department(code)
            .map_or(code, |d| d.name(locale))
            .to_owned()
    };
    let today = city_date(now_utc());
    let running = |date| {
        DueStanding::if_running(
            &reference.calendar,
            date,
            complaint.current_due,
            today,
            locale,
        )
    };
    let mut deadlines = Vec::new();
    if state == ComplaintState::Assigned {
        let key = match kind {
            ComplaintKind::Complaint => "track.deadline.accept",
            ComplaintKind::Report => "track.deadline.report_accept",
        };
        deadlines.push(Deadline {
            label: ctx.t(key),
            date: complaint.accept_due.to_string(),
            standing: running(complaint.accept_due),
        });
    }
    if let (true, Some(finish)) = (state.is_open(), complaint.finish_due) {
        deadlines.push(Deadline {
            label: ctx.t("track.deadline.finish"),
            date: finish.to_string(),
            standing: running(finish),
        });
    }
    let timeline = events
        .iter()
        .filter_map(|event| {
            Some(event.kind).filter(|k| k.is_public())?;
            let what = crate::pages::complaint::event_text(event, reference, locale);
            let at_city = city_time(event.at);
            // Written out by hand: `format("%Y…")` parses its pattern again on every call.
            let (date, time) = (at_city.date(), at_city.time());
            let day = format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day());
            Some(TimelineEntry {
                at: format!("{day} {:02}:{:02}", time.hour(), time.minute()),
                at_iso: format!(
                    "{day}T{:02}:{:02}:{:02}+08:00",
                    time.hour(),
                    time.minute(),
                    time.second()
                ),
                what,
                message: event.public_message.clone(),
            })
        })
        .collect();
    let progress = progress(&ctx, complaint, events, rating_window_days);
    let remaining = complaint
        .current_due
        .filter(|_| state.is_open())
        .map(|due| remaining(&reference.calendar, due, today, locale));
    let legal_basis = reference
        .category(&complaint.category_code)
        .map(|c| c.legal_basis.trim())
        .filter(|basis| !basis.is_empty())
        .map(|basis| {
            ctx.t_args(
                "resident.legal_basis",
                &[("basis", basis.trim_end_matches(['。', '.']))],
            )
        });
    let receipt = shown.just_filed.then(|| {
        receipt(
            &ctx,
            complaint,
            reference,
            &department_name(&complaint.lead_department),
            files,
        )
    });
    TrackPage {
        steps: progress.steps,
        next_text: progress.next_text,
        answer: progress.answer,
        remaining,
        legal_basis,
        receipt,
        code: code.to_string(),
        public_id: complaint.public_id.clone(),
        just_filed: shown.just_filed,
        problem: shown.problem,
        can_supply_info: state == ComplaintState::AwaitingInfo,
        can_rate: state == ComplaintState::Resolved,
        emailed: complaint.email.is_some(),
        notice: shown.notice.map(|key| ctx.t(key)),
        state_code: state.as_str(),
        state_label: ctx.t(&format!("state.{}", state.as_str())),
        kind_label: ctx.t(&format!("kind.{}", kind.as_str())),
        category: reference
            .category(&complaint.category_code)
            .map_or(complaint.category_code.as_str(), |c| c.name(locale))
            .to_owned(),
        district: reference
            .district(&complaint.district_code)
            .map_or(complaint.district_code.as_str(), |d| d.name(locale))
            .to_owned(),
        business_name: complaint.business_name.clone(),
        filed_on: city_date(complaint.created_at).to_string(),
        department: department_name(&complaint.lead_department),
        deadlines,
        clock_stopped: if state == ComplaintState::AwaitingInfo {
            Some(ctx.t("track.clock_stopped.info"))
        } else if state.is_open() && complaint.paused_since.is_some() {
            Some(ctx.t("track.clock_stopped.paused"))
        } else {
            None
        },
        timeline,
        can_withdraw: state.withdraw().is_ok(),
        csrf_token,
        ctx,
    }
}

/// Where the case stands: the steps, the next thing to happen and the answer.
struct Progress {
    steps: Vec<crate::pages::public::Step>,
    next_text: String,
    answer: Option<Answer>,
}

fn day(utc: chrono::NaiveDateTime) -> String {
    city_date(utc).to_string()
}

fn progress(
    ctx: &PageContext,
    complaint: &ComplaintRow,
    events: &[EventRow],
    rating_window_days: u32,
) -> Progress {
    use crate::pages::public::Step;
    let state = complaint.state;
    // When the case last came to `to` (closed, not accepted, withdrawn).
    let came_to = |to: ComplaintState| {
        events
            .iter()
            .rev()
            .find(|e| e.to_state == Some(to))
            .map(|e| day(e.at))
    };
    let by =
        |date: chrono::NaiveDate| ctx.t_args("resident.step.by", &[("date", &date.to_string())]);
    let rate_by = complaint
        .resolved_at
        .map(|at| city_date(at) + chrono::Days::new(u64::from(rating_window_days)));
    // The index of the current step, and the dates of each.
    let current = match state {
        ComplaintState::Assigned | ComplaintState::Rejected => 1,
        ComplaintState::Accepted | ComplaintState::AwaitingInfo => 2,
        ComplaintState::Resolved | ComplaintState::Closed => 4,
        ComplaintState::Withdrawn if complaint.accepted_at.is_some() => 2,
        ComplaintState::Withdrawn => 1,
    };
    let answered = matches!(state, ComplaintState::Resolved | ComplaintState::Closed);
    let dates: [Option<String>; 5] = [
        Some(day(complaint.created_at)),
        match state {
            ComplaintState::Assigned => Some(by(complaint.accept_due)),
            ComplaintState::Rejected => came_to(ComplaintState::Rejected),
            _ => complaint.accepted_at.map(day),
        },
        match (answered, complaint.resolved_at, complaint.finish_due) {
            (true, Some(at), _) => Some(day(at)),
            (false, _, Some(due)) if state.is_open() => Some(by(due)),
            _ => None,
        },
        match (answered, complaint.resolved_at, complaint.finish_due) {
            (true, Some(at), _) => Some(day(at)),
            (false, _, Some(due)) if state.is_open() => Some(by(due)),
            _ => None,
        },
        match state {
            ComplaintState::Resolved => rate_by.map(by),
            ComplaintState::Closed => complaint
                .rated_at
                .map(day)
                .or_else(|| came_to(ComplaintState::Closed)),
            _ => None,
        },
    ];
    let stopped_note = match state {
        ComplaintState::Rejected => Some(ctx.t("state.rejected")),
        ComplaintState::Withdrawn => Some(ctx.t("state.withdrawn")),
        _ => None,
    };
    let labels = [
        "resident.step.submitted",
        "resident.step.accepted",
        "resident.step.handling",
        "resident.step.answered",
        "resident.step.rated",
    ];
    let closed = state == ComplaintState::Closed;
    let steps = labels
        .iter()
        .zip(dates)
        .enumerate()
        .map(|(index, (label, date))| {
            let (status, status_key) = if index < current || (closed && index == current) {
                ("done", "resident.step.done")
            } else if index == current {
                ("current", "resident.step.current")
            } else {
                ("to-come", "resident.step.to_come")
            };
            Step {
                label: ctx.t(label),
                status,
                status_text: ctx.t(status_key),
                current: index == current,
                date: if status == "to-come" && stopped_note.is_some() {
                    None
                } else {
                    date
                },
                note: stopped_note.filter(|_| index == current),
            }
        })
        .collect();
    let date_arg =
        |date: Option<chrono::NaiveDate>| date.map(|d| d.to_string()).unwrap_or_default();
    let next_text = match state {
        ComplaintState::Assigned => {
            let key = match complaint.kind {
                ComplaintKind::Complaint => "resident.next.assigned",
                ComplaintKind::Report => "resident.next.assigned_report",
            };
            ctx.t_args(key, &[("date", &complaint.accept_due.to_string())])
        }
        ComplaintState::Accepted => ctx.t_args(
            "resident.next.accepted",
            &[("date", &date_arg(complaint.finish_due))],
        ),
        ComplaintState::AwaitingInfo => ctx.t("resident.next.awaiting_info").to_owned(),
        ComplaintState::Resolved => ctx.t("resident.next.resolved").to_owned(),
        ComplaintState::Closed => ctx.t("resident.next.closed").to_owned(),
        ComplaintState::Rejected => ctx.t("resident.next.rejected").to_owned(),
        ComplaintState::Withdrawn => ctx.t("resident.next.withdrawn").to_owned(),
    };
    let answer = match (answered, complaint.resolved_at) {
        (true, Some(resolved_at)) => Some(Answer {
            outcome: complaint
                .outcome
                .map(|o| ctx.t(&format!("outcome.{}", o.as_str()))),
            message: events
                .iter()
                .rev()
                .find(|e| e.kind == EventKind::Replied)
                .and_then(|e| e.public_message.clone()),
            answered_on: day(resolved_at),
            rate_by: rate_by
                .filter(|_| state == ComplaintState::Resolved)
                .map(|date| ctx.t_args("resident.answer.rate_by", &[("date", &date.to_string())])),
            rated: complaint
                .rating_score
                .map(|score| ctx.t_args("resident.answer.rated", &[("score", &score.to_string())])),
        }),
        _ => None,
    };
    Progress {
        steps,
        next_text,
        answer,
    }
}

/// "还剩 N 个工作日" until `due`.
fn remaining(
    calendar: &crate::domain::calendar::WorkCalendar,
    due: chrono::NaiveDate,
    today: chrono::NaiveDate,
    locale: i18n::Locale,
) -> DueStanding {
    use crate::domain::deadlines::{standing, Standing};
    let (code, key, n) = match standing(calendar, due, today) {
        Standing::DueToday => ("due-today", "resident.remaining.today", 0),
        Standing::DueIn(1) => ("due-in", "resident.remaining.one_day", 1),
        Standing::DueIn(n) => ("due-in", "resident.remaining.days", n),
        Standing::Overdue(1) => ("overdue", "resident.remaining.overdue_one", 1),
        Standing::Overdue(n) => ("overdue", "resident.remaining.overdue", n),
    };
    DueStanding {
        code,
        text: i18n::t_args(locale, key, &[("n", &n.to_string())]),
    }
}

/// The confirmation panel: what happens next, with dates, and a copy of what was filed.
fn receipt(
    ctx: &PageContext,
    complaint: &ComplaintRow,
    reference: &ReferenceData,
    department: &str,
    files: &[String],
) -> Receipt {
    let locale = ctx.locale;
    let category = reference.category(&complaint.category_code);
    let accept_key = match complaint.kind {
        ComplaintKind::Complaint => "resident.receipt.next_accept",
        ComplaintKind::Report => "resident.receipt.next_open",
    };
    let finish_days = category.map_or(0, |c| c.complaint_finish_days).to_string();
    let mut next = vec![
        ctx.t_args("resident.receipt.next_route", &[("department", department)]),
        ctx.t_args(accept_key, &[("date", &complaint.accept_due.to_string())]),
    ];
    if complaint.kind == ComplaintKind::Complaint {
        next.push(ctx.t_args("resident.receipt.next_finish", &[("days", &finish_days)]));
    }
    next.push(
        ctx.t(if complaint.email.is_some() {
            "resident.receipt.next_email"
        } else {
            "resident.receipt.next_no_email"
        })
        .to_owned(),
    );
    let none = || ctx.t("resident.receipt.none").to_owned();
    let or_none =
        |value: &Option<String>| value.clone().filter(|v| !v.is_empty()).unwrap_or_else(none);
    let mut copy = vec![
        (
            ctx.t("track.kind"),
            ctx.t(&format!("kind.{}", complaint.kind.as_str()))
                .to_owned(),
        ),
        (
            ctx.t("form.category.label"),
            category.map_or(complaint.category_code.clone(), |c| {
                c.name(locale).to_owned()
            }),
        ),
        (
            ctx.t("form.district.label"),
            reference
                .district(&complaint.district_code)
                .map_or(complaint.district_code.clone(), |d| {
                    d.name(locale).to_owned()
                }),
        ),
        (
            ctx.t("form.business_name.label"),
            complaint.business_name.clone(),
        ),
        (
            ctx.t("form.business_address.label"),
            complaint.business_address.clone(),
        ),
        (
            ctx.t("form.business_credit_code.label"),
            or_none(&complaint.business_credit_code),
        ),
        (ctx.t("form.product.label"), or_none(&complaint.product)),
        (
            ctx.t("form.incident_date.label"),
            complaint.incident_date.map_or_else(none, |d| d.to_string()),
        ),
        (
            ctx.t("form.description.label"),
            complaint.description.clone(),
        ),
        (ctx.t("form.demand.label"), or_none(&complaint.demand)),
    ];
    copy.push((
        ctx.t("resident.receipt.files"),
        // How many, not their names: a printed copy need not say what the files hold.
        if files.is_empty() {
            none()
        } else {
            ctx.t_args(
                "resident.receipt.file_count",
                &[("n", &files.len().to_string())],
            )
        },
    ));
    Receipt { next, copy }
}

const WITHDRAW_REASON_MAX: usize = 1000;
const INFO_MAX: usize = 5000;
const COMMENT_MAX: usize = 1000;

/// The message of a refused resident field, in the visitor's language.
fn field_message(req: &HttpRequest, problem: FieldProblem, field: &str) -> String {
    crate::pages::public::field_message(locale_of(req), field, &problem)
}

/// A resident's form refused: the case's page again (`422`), the message beside that form.
async fn refuse(
    req: &HttpRequest,
    state: &AppState,
    (code, complaint): (&TrackingCode, &ComplaintRow),
    problem: ResidentFormProblem,
) -> Result<HttpResponse, AppError> {
    let shown = TrackRender {
        just_filed: false,
        problem: Some(problem),
        notice: None,
    };
    respond_with_page(
        req,
        state,
        code,
        complaint,
        StatusCode::UNPROCESSABLE_ENTITY,
        shown,
    )
    .await
}

/// To the case's page, at its one canonical address.
fn see_case(code: &TrackingCode) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/track/{code}")))
        .finish()
}

/// What a resident's step ends with, said at the top of the case's page.
const DONE_NOTICES: [(&str, &str); 3] = [
    ("withdrawn", "track.withdrawn_notice"),
    ("info", "track.info_notice"),
    ("rated", "track.rated_notice"),
];

/// To the case's page after a step of the resident's, which it confirms.
fn see_case_after(code: &TrackingCode, done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/track/{code}?done={done}")))
        .finish()
}

/// `GET /track/{code}/withdraw`: what withdrawing means, the reason, and the button that
/// posts the withdrawal — a page of its own, so that nobody withdraws by a slip.
#[tracing::instrument(skip_all)]
pub async fn confirm_withdraw(
    req: HttpRequest,
    raw_code: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (code, complaint) = match find(&req, &state, &raw_code).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    if complaint.state.withdraw().is_err() {
        return Ok(see_case(&code));
    }
    withdraw_page(&req, &state, &code, None, StatusCode::OK)
}

fn withdraw_page(
    req: &HttpRequest,
    state: &AppState,
    code: &TrackingCode,
    problem: Option<ResidentFormProblem>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let pair = csrf::pair_for_page(req, &state.config);
    let ctx = PageContext::new(req, &format!("/track/{code}/withdraw"));
    let page = WithdrawPage {
        code: code.to_string(),
        csrf_token: pair.token.clone(),
        error: problem.as_ref().map(|p| p.message.clone()),
        typed: problem.map(|p| p.typed).unwrap_or_default(),
        ctx,
    };
    let mut response = render(status, &page);
    csrf::set_cookie(&mut response, &pair, &state.config)?;
    Ok(response)
}

/// `POST /track/{code}/withdraw`: an optional reason.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WithdrawForm {
    reason: Option<String>,
}

impl FormFields for WithdrawForm {}

#[tracing::instrument(skip_all)]
pub async fn withdraw(
    req: HttpRequest,
    raw_code: web::Path<String>,
    PublicForm(posted): PublicForm<WithdrawForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = now_utc();
    let form = posted.form;
    let (code, complaint) = match find(&req, &state, &raw_code).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let reason = match fields::multi_line(form.reason.as_deref(), 0, WITHDRAW_REASON_MAX) {
        Ok(reason) => reason,
        Err(problem) => {
            let problem = ResidentFormProblem {
                form: "withdraw",
                message: field_message(&req, FieldProblem::Field(problem), "reason"),
                typed: form.reason.unwrap_or_default(),
            };
            return withdraw_page(
                &req,
                &state,
                &code,
                Some(problem),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let reference = state.reference().await?;
    let settings = case_settings(&state.config);
    let command = Command::Withdraw { reason };
    case::by_complainant(&state.db, &reference, &settings, &complaint, command, now).await?;
    tracing::info!(code = %code.redacted(), "complaint withdrawn");
    state.mail_wakeup.notify_one();
    Ok(see_case_after(&code, "withdrawn"))
}

/// `POST /track/{code}/info`: the information a department asked for, with optional files.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InfoForm {
    message: Option<String>,
}

impl FormFields for InfoForm {
    const TAKES_FILES: bool = true;
}

#[tracing::instrument(skip_all)]
pub async fn supply_info(
    req: HttpRequest,
    raw_code: web::Path<String>,
    PublicForm(posted): PublicForm<InfoForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = now_utc();
    let Posted { form, uploads, .. } = posted;
    let (code, complaint) = match find(&req, &state, &raw_code).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let message =
        fields::multi_line(form.message.as_deref(), 1, INFO_MAX).map_err(FieldProblem::Field);
    let (message, files) = match (message, check_files(&uploads)) {
        (Ok(Some(message)), Ok(files)) => (message, files),
        (message, files) => {
            let problem = match (message, files) {
                (Err(problem), _) | (_, Err(problem)) => problem,
                _ => FieldProblem::Field(fields::FieldError::Required),
            };
            let field = if matches!(
                problem,
                FieldProblem::FileType | FieldProblem::FileTooLarge | FieldProblem::TooManyFiles
            ) {
                "attachments"
            } else {
                "message"
            };
            let problem = ResidentFormProblem {
                form: "info",
                message: field_message(&req, problem, field),
                typed: form.message.unwrap_or_default(),
            };
            return refuse(&req, &state, (&code, &complaint), problem).await;
        }
    };
    let reference = state.reference().await?;
    let settings = case_settings(&state.config);
    let command = Command::SupplyInfo { message, files };
    case::by_complainant(&state.db, &reference, &settings, &complaint, command, now).await?;
    state.mail_wakeup.notify_one();
    tracing::info!(code = %code.redacted(), "information supplied");
    Ok(see_case_after(&code, "info"))
}

/// `POST /track/{code}/rating`: a score of 1–5 and an optional comment on the answer.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RatingForm {
    score: Option<String>,
    comment: Option<String>,
}

impl FormFields for RatingForm {}

#[tracing::instrument(skip_all)]
pub async fn rate(
    req: HttpRequest,
    raw_code: web::Path<String>,
    PublicForm(posted): PublicForm<RatingForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = now_utc();
    let form = posted.form;
    let (code, complaint) = match find(&req, &state, &raw_code).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let score = form
        .score
        .as_deref()
        .and_then(|s| s.trim().parse::<u8>().ok())
        .filter(|s| (1..=5).contains(s));
    let comment = fields::multi_line(form.comment.as_deref(), 0, COMMENT_MAX);
    let (score, comment) = match (score, comment) {
        (Some(score), Ok(comment)) => (score, comment),
        (score, comment) => {
            let message = match (score, comment) {
                (None, _) => i18n::t(locale_of(&req), "track.rating.score_required").to_owned(),
                (_, Err(problem)) => field_message(&req, FieldProblem::Field(problem), "comment"),
                _ => String::new(),
            };
            let problem = ResidentFormProblem {
                form: "rating",
                message,
                typed: form.comment.unwrap_or_default(),
            };
            return refuse(&req, &state, (&code, &complaint), problem).await;
        }
    };
    let reference = state.reference().await?;
    let settings = case_settings(&state.config);
    let command = Command::Rate { score, comment };
    case::by_complainant(&state.db, &reference, &settings, &complaint, command, now).await?;
    state.mail_wakeup.notify_one();
    tracing::info!(code = %code.redacted(), "answer rated");
    Ok(see_case_after(&code, "rated"))
}
