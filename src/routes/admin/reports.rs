//! `GET /admin/reports`: the supervision bulletin (page or `format=csv`), and
//! `GET|POST /admin/reports/weights`: the assessment score's weights (administrators).
//! A period or grouping that cannot be used is replaced by the default with a message.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use super::queue::query_params;
use crate::domain::access;
use crate::domain::bulletin::{Grouping, Period, Weights};
use crate::domain::calendar::{city_date, parse_city_date};
use crate::errors::AppError;
use crate::extract::form::{FormFields, StaffForm};
use crate::extract::session::Staff;
use crate::pages::admin::AdminContext;
use crate::pages::reports::{self, ReportsFrame, WeightInput, WeightsPage};
use crate::pages::{render, PageContext};
use crate::routes::bridge::member;
use crate::services::bulletin::{self, BulletinRequest};
use crate::services::now_utc;
use crate::state::AppState;

/// Longest period one bulletin covers: a year (and a day, for leap years).
const MAX_PERIOD_DAYS: i64 = 366;

/// The period and grouping asked for, with what could not be used.
fn parse_request(
    params: &std::collections::HashMap<String, String>,
    today: NaiveDate,
) -> (BulletinRequest, Vec<&'static str>) {
    let mut problems = Vec::new();
    let given = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let default = Period::previous_month(today);
    let mut date = |name: &str, problem: &'static str| {
        let text = given(name)?;
        let day = parse_city_date(text);
        if day.is_none() {
            problems.push(problem);
        }
        day
    };
    let (from, to) = (
        date("from", "reports.problem.from"),
        date("to", "reports.problem.to"),
    );
    let period = match (from, to) {
        (None, None) => default,
        (Some(from), None) => Period {
            from,
            to: from.max(today),
        },
        (None, Some(to)) => Period {
            from: to.min(default.from),
            to,
        },
        (Some(from), Some(to)) => Period { from, to },
    };
    let period = if period.from > period.to {
        problems.push("reports.problem.range");
        default
    } else if (period.to - period.from).num_days() >= MAX_PERIOD_DAYS {
        problems.push("reports.problem.too_long");
        default
    } else {
        period
    };
    let grouping = match given("group") {
        None => Grouping::Department,
        Some(text) => Grouping::parse(text).unwrap_or_else(|| {
            problems.push("reports.problem.group");
            Grouping::Department
        }),
    };
    (BulletinRequest { period, grouping }, problems)
}

fn href(request: &BulletinRequest, csv: bool) -> String {
    let mut params = vec![
        ("from", request.period.from.to_string()),
        ("to", request.period.to.to_string()),
        ("group", request.grouping.as_str().to_owned()),
    ];
    if csv {
        params.push(("format", "csv".to_owned()));
    }
    format!(
        "/admin/reports?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

#[tracing::instrument(skip_all, fields(user = %staff.username))]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let reference = state.reference().await?;
    let today = city_date(now_utc());
    let params = query_params(req.query_string());
    let (request, problems) = parse_request(&params, today);
    let bulletin =
        bulletin::bulletin(&state.db, &reference, &member(&staff), request, today).await?;
    let ctx = PageContext::new(&req, &href(&request, false));
    if params.get("format").is_some_and(|f| f == "csv") {
        let body = reports::csv(&bulletin, &reference, ctx.locale);
        let name = format!(
            "bulletin-{}-{}-{}.csv",
            request.period.from,
            request.period.to,
            request.grouping.as_str()
        );
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ))
            .body(body));
    }
    let frame = ReportsFrame {
        admin: AdminContext::new(ctx, Some(&staff), Some(&reference)),
        problems,
        today: today.to_string(),
        csv_href: href(&request, true),
        may_edit_weights: access::may_manage(staff.role),
    };
    Ok(render(
        StatusCode::OK,
        &reports::page(&bulletin, &reference, frame),
    ))
}

fn weights_page(
    req: &HttpRequest,
    staff: &Staff,
    reference: &crate::db::reference::ReferenceData,
    values: [String; 5],
    error: Option<&'static str>,
    status: StatusCode,
) -> HttpResponse {
    let admin = AdminContext::new(
        PageContext::new(req, "/admin/reports/weights"),
        Some(staff),
        Some(reference),
    );
    let inputs = Weights::NAMES
        .iter()
        .zip(values)
        .map(|(name, value)| WeightInput {
            name,
            label: admin.t(&format!("reports.weight.{name}")),
            value,
        })
        .collect();
    render(
        status,
        &WeightsPage {
            admin,
            inputs,
            error,
        },
    )
}

#[tracing::instrument(skip_all, fields(user = %staff.username))]
pub async fn weights_show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    if !access::may_manage(staff.role) {
        return Err(AppError::Forbidden);
    }
    let reference = state.reference().await?;
    let (weights, _) = bulletin::weights(&state.db).await?;
    let values = weights.parts().map(|w| w.to_string());
    Ok(weights_page(
        &req,
        &staff,
        &reference,
        values,
        None,
        StatusCode::OK,
    ))
}

/// `POST /admin/reports/weights`: the five weights, whole numbers 0–100.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WeightsForm {
    finished_on_time: Option<String>,
    accepted_on_time: Option<String>,
    satisfaction: Option<String>,
    not_reopened: Option<String>,
    returns_upheld: Option<String>,
}

impl FormFields for WeightsForm {}

#[tracing::instrument(skip_all, fields(user = %posted.staff.username))]
pub async fn weights_submit(
    req: HttpRequest,
    posted: StaffForm<WeightsForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let StaffForm { staff, posted } = posted;
    if !access::may_manage(staff.role) {
        return Err(AppError::Forbidden);
    }
    let form = posted.form;
    let typed = [
        form.finished_on_time,
        form.accepted_on_time,
        form.satisfaction,
        form.not_reopened,
        form.returns_upheld,
    ]
    .map(|v| v.unwrap_or_default().trim().to_owned());
    match Weights::parse_parts(&typed) {
        Ok(weights) => {
            bulletin::set_weights(&state.db, &member(&staff), weights, now_utc()).await?;
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/admin/reports"))
                .finish())
        }
        Err(problem) => {
            let reference = state.reference().await?;
            Ok(weights_page(
                &req,
                &staff,
                &reference,
                typed,
                Some(problem),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}
