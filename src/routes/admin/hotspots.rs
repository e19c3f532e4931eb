//! `GET /admin/hotspots` (page or `format=csv`), `GET /admin/businesses/{id}` and
//! `POST /admin/businesses/{id}/merge` (issue 13). Who counts what is decided in
//! `services::businesses`; these handlers read the query and lay out the page.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::field;
use crate::db::reference::{Named, ReferenceData};
use crate::domain::fields;
use crate::errors::AppError;
use crate::extract::form::StaffForm;
use crate::extract::session::Staff;
use crate::i18n::Locale;
use crate::pages::admin::AdminContext;
use crate::pages::businesses::{
    business_case_items, category_name, department_name, district_name, tally_text, BusinessPage,
    Choice, HotspotRow, HotspotsPage,
};
use crate::pages::{render, PageContext};
use crate::routes::bridge::{member, refused_argument, see_other};
use crate::services::businesses::{self, Hotspot, HotspotQuery};
use crate::services::now_utc;
use crate::state::AppState;

const DEFAULT_DAYS: u32 = 30;
const DEFAULT_MIN: u32 = 3;

/// The filter as typed, and whether each part was valid.
fn parse_query(
    pairs: &[(String, String)],
    reference: &ReferenceData,
) -> (HotspotQuery, [String; 2], bool) {
    let mut valid = true;
    let mut number = |name: &str, default: u32, max: u32| -> (u32, String) {
        match field(pairs, name).map(str::trim).filter(|v| !v.is_empty()) {
            None => (default, default.to_string()),
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => (n, n.to_string()),
                _ => {
                    valid = false;
                    (default, v.chars().take(12).collect())
                }
            },
        }
    };
    let (days, typed_days) = number("days", DEFAULT_DAYS, 366);
    let (min, typed_min) = number("min", DEFAULT_MIN, 1000);
    let mut code = |name: &str, known: &dyn Fn(&str) -> bool| match field(pairs, name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => None,
        Some(v) if known(v) => Some(v.to_owned()),
        Some(_) => {
            valid = false;
            None
        }
    };
    let district = code("district", &|c| reference.district(c).is_some());
    let category = code("category", &|c| reference.category(c).is_some());
    (
        HotspotQuery {
            days,
            min,
            district,
            category,
        },
        [typed_days, typed_min],
        valid,
    )
}

fn href(query: &HotspotQuery, csv: bool) -> String {
    let mut params = vec![
        ("days", query.days.to_string()),
        ("min", query.min.to_string()),
    ];
    if let Some(d) = &query.district {
        params.push(("district", d.clone()));
    }
    if let Some(c) = &query.category {
        params.push(("category", c.clone()));
    }
    if csv {
        params.push(("format", "csv".to_owned()));
    }
    format!(
        "/admin/hotspots?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

fn rows(hotspots: &[Hotspot], reference: &ReferenceData, locale: Locale) -> Vec<HotspotRow> {
    hotspots
        .iter()
        .map(|h| HotspotRow {
            id: h.business.id,
            href: format!("/admin/businesses/{}", h.business.id),
            name: h.business.name.clone(),
            district: district_name(reference, &h.business.district_code, locale),
            count: h.count,
            by_category: tally_text(
                &h.by_category,
                |c| category_name(reference, c, locale),
                locale,
            ),
            by_department: tally_text(
                &h.by_department,
                |c| department_name(reference, c, locale),
                locale,
            ),
            newest: crate::domain::calendar::city_date(h.newest).to_string(),
        })
        .collect()
}

fn csv(hotspots: &[Hotspot], reference: &ReferenceData, locale: Locale) -> Vec<u8> {
    let mut writer = ::csv::Writer::from_writer(Vec::from(*b"\xEF\xBB\xBF"));
    let _ = writer.write_record([
        "business_id",
        "business",
        "credit_code",
        "district_code",
        "district",
        "cases",
        "by_category",
        "by_department",
        "newest",
    ]);
    for (h, row) in hotspots.iter().zip(rows(hotspots, reference, locale)) {
        let _ = writer.write_record([
            h.business.id.to_string(),
            row.name,
            h.business.credit_code.clone().unwrap_or_default(),
            h.business.district_code.clone(),
            row.district,
            h.count.to_string(),
            row.by_category,
            row.by_department,
            row.newest,
        ]);
    }
    writer.into_inner().unwrap_or_default()
}

#[tracing::instrument(skip_all, fields(user = %staff.username))]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let reference = state.reference().await?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let (query, [typed_days, typed_min], valid) = parse_query(&pairs, &reference);
    let csv_wanted = field(&pairs, "format") == Some("csv");
    let ctx = PageContext::new(&req, &href(&query, false));
    let locale = ctx.locale;
    let hotspots = if valid {
        let limit = if csv_wanted {
            businesses::CSV_HOTSPOTS
        } else {
            businesses::PAGE_HOTSPOTS
        };
        businesses::hotspots(&state.db, &member(&staff), &query, now_utc(), limit).await?
    } else {
        Vec::new()
    };
    if csv_wanted && valid {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"hotspots-{}d-min{}.csv\"",
                    query.days, query.min
                ),
            ))
            .body(csv(&hotspots, &reference, locale)));
    }
    let admin = AdminContext::new(ctx, Some(&staff), Some(&reference));
    let choices = |items: Vec<(String, String)>, chosen: &Option<String>| {
        items
            .into_iter()
            .map(|(value, label)| Choice {
                selected: chosen.as_deref() == Some(value.as_str()),
                value,
                label,
            })
            .collect()
    };
    let page = HotspotsPage {
        days: typed_days,
        min: typed_min,
        districts: choices(
            reference
                .districts
                .iter()
                .map(|d| (d.code.clone(), d.name(locale).to_owned()))
                .collect(),
            &query.district,
        ),
        categories: choices(
            reference
                .categories
                .iter()
                .map(|c| (c.code.clone(), c.name(locale).to_owned()))
                .collect(),
            &query.category,
        ),
        error: (!valid).then(|| admin.t("hotspots.error").to_owned()),
        truncated: hotspots.len() >= businesses::PAGE_HOTSPOTS as usize,
        rows: rows(&hotspots, &reference, locale),
        csv_href: href(&query, true),
        may_open_joint: crate::domain::joint_action::may_open(staff.role),
        admin,
    };
    let status = if valid {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(status, &page))
}

fn business_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
}

/// The merge form's refusal: (message, typed number, typed reason).
type MergeRefusal = (String, String, String);

async fn business_page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    id: i64,
    status: StatusCode,
    refusal: Option<MergeRefusal>,
) -> Result<HttpResponse, AppError> {
    let reference = state.reference().await?;
    let view = businesses::business(&state.db, &member(staff), id).await?;
    let ctx = PageContext::new(req, &format!("/admin/businesses/{id}"));
    let locale = ctx.locale;
    let mut admin = AdminContext::new(ctx, Some(staff), Some(&reference));
    if req.query_string() == "done=merge" {
        admin.flash = Some(admin.t("business.merge.done").to_owned());
    }
    let b = &view.business;
    let (merge_error, typed_into, typed_reason) = match refusal {
        Some((m, i, r)) => (Some(m), i, r),
        None => (None, String::new(), String::new()),
    };
    let page = BusinessPage {
        id: b.id,
        name: b.name.clone(),
        credit_code: b.credit_code.clone(),
        district: district_name(&reference, &b.district_code, locale),
        first_seen: crate::domain::calendar::city_date(b.first_seen).to_string(),
        last_seen: crate::domain::calendar::city_date(b.last_seen).to_string(),
        merged_into: b.merged_into.map(|m| format!("/admin/businesses/{m}")),
        names: view
            .names
            .iter()
            .map(|(n, at)| {
                (
                    n.clone(),
                    crate::domain::calendar::city_date(*at).to_string(),
                )
            })
            .collect(),
        cases: business_case_items(&view.cases, &reference, locale),
        may_merge: view.may_merge,
        merge_error,
        typed_into,
        typed_reason,
        admin,
    };
    Ok(render(status, &page))
}

#[tracing::instrument(skip_all, fields(user = %staff.username))]
pub async fn business(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let id = business_id(&path.into_inner())?;
    business_page(&req, &state, &staff, id, StatusCode::OK, None).await
}

/// `POST /admin/businesses/{id}/merge`: `into` (another business's number), `reason`.
pub async fn merge(
    req: HttpRequest,
    path: web::Path<String>,
    posted: StaffForm<Vec<(String, String)>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (staff, pairs) = (posted.staff, posted.posted.form);
    let id = business_id(&path.into_inner())?;
    let member = member(&staff);
    // Who may not see the business gets 404, who may see but not merge 403.
    businesses::business(&state.db, &member, id).await?;
    if !matches!(businesses::scope_of(&member), businesses::Scope::All) {
        return Err(AppError::Forbidden);
    }
    let locale = crate::extract::locale::locale_of(&req);
    let typed_into = field(&pairs, "into").unwrap_or_default().to_owned();
    let typed_reason = field(&pairs, "reason").unwrap_or_default().to_owned();
    let reason = fields::multi_line(Some(&typed_reason), 1, super::complaint::MESSAGE_MAX);
    let into = typed_into.trim().parse::<i64>().ok().filter(|n| *n > 0);
    let problem = match (into, reason) {
        (None, _) => Some("business.merge.error.unknown"),
        (_, Err(fields::FieldError::TooLong { .. })) => Some("admin.action.error.too_long"),
        (_, Err(fields::FieldError::Required | fields::FieldError::TooShort { .. })) => {
            Some("admin.action.error.required")
        }
        (_, Err(_)) => Some("admin.action.error.characters"),
        (Some(into), Ok(reason)) => {
            let merged = businesses::merge(
                &state.db,
                &member,
                id,
                into,
                reason.unwrap_or_default(),
                now_utc(),
            )
            .await;
            match refused_argument(merged)? {
                Ok(()) => {
                    return Ok(see_other(
                        &format!("/admin/businesses/{into}"),
                        &[("done", "merge")],
                    ))
                }
                Err(key) => Some(key),
            }
        }
    };
    let refusal = problem.map(|key| {
        (
            crate::i18n::t(locale, key).to_owned(),
            typed_into,
            typed_reason,
        )
    });
    business_page(
        &req,
        &state,
        &staff,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        refusal,
    )
    .await
}
