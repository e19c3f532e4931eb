//! `GET /admin/manage`: links to every management page, the missing-schedule warnings and the
//! latest audited changes. It changes nothing.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Datelike as _;

use super::{admin_context, city_time, require_admin};
use crate::db::manage;
use crate::db::reference::ReferenceData;
use crate::domain::calendar::city_date;
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::i18n::{self, Locale};
use crate::pages::manage::{AuditView, ManageHomePage, SectionLink};
use crate::pages::render;
use crate::services::now_utc;
use crate::state::AppState;

const RECENT_CHANGES: i64 = 20;

/// DESIGN §3: for a year with no schedule loaded weekends are the only rest days, so the
/// admin pages warn about this year and the next until their schedules are entered.
pub(super) fn calendar_warnings(reference: &ReferenceData, locale: Locale) -> Vec<String> {
    let this_year = city_date(now_utc()).year();
    [this_year, this_year + 1]
        .into_iter()
        .filter(|year| !reference.calendar.has_schedule_for(*year))
        .map(|year| {
            i18n::t_args(
                locale,
                "manage.calendar.missing",
                &[("year", &year.to_string())],
            )
        })
        .collect()
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    require_admin(&staff)?;
    let reference = state.reference().await?;
    let (rules, users, recent) = state
        .db
        .read(|conn| {
            Ok((
                manage::all_rules(conn)?,
                manage::all_users(conn)?,
                manage::recent_audit_events(conn, RECENT_CHANGES)?,
            ))
        })
        .await?;
    let admin = admin_context(&req, &staff, &reference, "/admin/manage");
    let locale = admin.ctx.locale;
    let count = |key: &str, total: usize, active: usize| {
        i18n::t_args(
            locale,
            key,
            &[
                ("total", &total.to_string()),
                ("active", &active.to_string()),
            ],
        )
    };
    let sections = vec![
        SectionLink {
            href: "/admin/departments",
            label: admin.t("manage.departments.title"),
            summary: count(
                "manage.summary.records",
                reference.departments.len(),
                reference.departments.iter().filter(|d| d.active).count(),
            ),
        },
        SectionLink {
            href: "/admin/districts",
            label: admin.t("manage.districts.title"),
            summary: count(
                "manage.summary.records",
                reference.districts.len(),
                reference.districts.iter().filter(|d| d.active).count(),
            ),
        },
        SectionLink {
            href: "/admin/categories",
            label: admin.t("manage.categories.title"),
            summary: count(
                "manage.summary.records",
                reference.categories.len(),
                reference.categories.iter().filter(|c| c.active).count(),
            ),
        },
        SectionLink {
            href: "/admin/routing",
            label: admin.t("manage.routing.title"),
            summary: count(
                "manage.summary.records",
                rules.len(),
                rules.iter().filter(|r| r.active).count(),
            ),
        },
        SectionLink {
            href: "/admin/holidays",
            label: admin.t("manage.holidays.title"),
            summary: admin.t("manage.summary.holidays").to_owned(),
        },
        SectionLink {
            href: "/admin/users",
            label: admin.t("manage.users.title"),
            summary: count(
                "manage.summary.records",
                users.len(),
                users.iter().filter(|u| u.active).count(),
            ),
        },
    ];
    let recent = recent
        .into_iter()
        .map(|(event, username)| AuditView {
            at: city_time(event.at),
            who: username.unwrap_or_else(|| admin.t("manage.audit.system").to_owned()),
            entity: event.entity,
            entity_key: event.entity_key,
            action: event.action,
            detail: event.detail,
        })
        .collect();
    let page = ManageHomePage {
        warnings: calendar_warnings(&reference, locale),
        admin,
        sections,
        recent,
    };
    Ok(render(StatusCode::OK, &page))
}
