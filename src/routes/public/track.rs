//! `GET /track`, `GET /track/{code}` and the resident's `POST /track/{code}/withdraw`,
//! `…/info` and `…/rating`: the resident's view of a case by its tracking code. Never shows
//! the description or anyone's personal data.

use std::time::Instant;

use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Datelike as _, Timelike as _};
use serde::Deserialize;

use super::complaint_form::RECEIPT_COOKIE;
use crate::clock::now_utc;
use crate::db::complaints::{self, ComplaintRow, EventRow};
use crate::db::reference::{Named, ReferenceData};
use crate::domain::calendar::{city_date, city_time};
use crate::domain::complaint::{ComplaintKind, ComplaintState};
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
    Deadline, ResidentFormProblem, TimelineEntry, TrackLookupPage, TrackPage, WithdrawPage,
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

fn count_lookup(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    let client = client_addr(req, &state.config.trusted_proxies);
    state
        .track_limit
        .hit(client, Instant::now())
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
async fn find(
    req: &HttpRequest,
    state: &AppState,
    raw_code: &str,
) -> Result<(TrackingCode, ComplaintRow), AppError> {
    count_lookup(req, state)?;
    let code = TrackingCode::parse(raw_code).ok_or(AppError::NotFound)?;
    let key = code.as_str().to_owned();
    let complaint = state
        .db
        .read(move |conn| complaints::find_by_tracking_code(conn, &key))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((code, complaint))
}

#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    raw_code: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    count_lookup(&req, &state)?;
    let Some(code) = TrackingCode::parse(&raw_code) else {
        return Ok(not_found(&req, &raw_code));
    };
    // The case, its timeline and the reference data in one trip to the database: this is
    // the busiest page, and each trip is a hand-over to a blocking thread.
    let key = code.as_str().to_owned();
    let cache = state.reference_cache.clone();
    let found = state
        .db
        .read(move |conn| {
            let Some(complaint) = complaints::find_by_tracking_code(conn, &key)? else {
                return Ok(None);
            };
            let events = complaints::events_of(conn, &complaint.id)?;
            Ok(Some((complaint, events, cache.get(conn)?)))
        })
        .await?;
    let Some((complaint, events, reference)) = found else {
        return Ok(not_found(&req, &raw_code));
    };
    if raw_code.as_str() != code.as_str() {
        // One address per case: typed variants lead to the canonical one.
        return Ok(see_case(&code));
    }
    let just_filed = req
        .cookie(RECEIPT_COOKIE)
        .is_some_and(|c| c.value() == code.as_str());
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
    };
    render_page(req, state, code, loaded, status, shown)
}

/// What the page shows, read already.
struct Loaded<'a> {
    complaint: &'a ComplaintRow,
    events: &'a [EventRow],
    reference: &'a ReferenceData,
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
        loaded.complaint,
        loaded.events,
        loaded.reference,
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
    complaint: &ComplaintRow,
    events: &[EventRow],
    reference: &ReferenceData,
    shown: TrackRender,
    csrf_token: String,
) -> TrackPage {
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
    TrackPage {
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
    let (code, complaint) = find(&req, &state, &raw_code).await?;
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
    let (code, complaint) = find(&req, &state, &raw_code).await?;
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
    let (code, complaint) = find(&req, &state, &raw_code).await?;
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
    let (code, complaint) = find(&req, &state, &raw_code).await?;
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
                (_, Err(problem)) => {
                    field_message(&req, FieldProblem::Field(problem), "comment")
                }
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
