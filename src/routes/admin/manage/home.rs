//! `GET /admin/manage`: links to every management page, the missing-schedule warnings and the
//! latest audited changes. It changes nothing.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use chrono::Datelike as _;

use super::{failed, Desk};
use crate::db::reference::ReferenceData;
use crate::domain::calendar::city_date;
use crate::errors::AppError;
use crate::i18n::{self, Locale};
use crate::pages::city_minute;
use crate::pages::manage::{AuditView, ManageHomePage, SectionLink};
use crate::pages::render;
use crate::services::now_utc;

const RECENT_CHANGES: i64 = 20;

/// The city's current year.
pub(super) fn this_year() -> i32 {
    city_date(now_utc()).year()
}

/// DESIGN §3: for a year with no schedule loaded weekends are the only rest days, so the
/// admin pages warn about this year and the next until their schedules are entered.
pub(super) fn calendar_warnings(reference: &ReferenceData, locale: Locale) -> Vec<String> {
    let this_year = this_year();
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

#[tracing::instrument(skip_all)]
pub async fn show(desk: Desk) -> Result<HttpResponse, AppError> {
    let rules = desk.manager.rules().await.map_err(failed)?;
    let users = desk.manager.users().await.map_err(failed)?;
    let recent = desk
        .manager
        .recent_changes(RECENT_CHANGES)
        .await
        .map_err(failed)?;
    let reference = desk.reference();
    let admin = desk.frame("/admin/manage");
    let locale = desk.locale();
    let summary = |active: &mut dyn Iterator<Item = bool>| {
        let (mut total, mut on) = (0, 0);
        for active in active {
            total += 1;
            on += usize::from(active);
        }
        i18n::t_args(
            locale,
            "manage.summary.records",
            &[("total", &total.to_string()), ("active", &on.to_string())],
        )
    };
    let section = |href: &'static str, key: &str, summary: String| SectionLink {
        href,
        label: admin.t(key),
        summary,
    };
    let sections = vec![
        section(
            "/admin/departments",
            "manage.departments.title",
            summary(&mut reference.departments.iter().map(|d| d.active)),
        ),
        section(
            "/admin/districts",
            "manage.districts.title",
            summary(&mut reference.districts.iter().map(|d| d.active)),
        ),
        section(
            "/admin/categories",
            "manage.categories.title",
            summary(&mut reference.categories.iter().map(|c| c.active)),
        ),
        section(
            "/admin/routing",
            "manage.routing.title",
            summary(&mut rules.iter().map(|r| r.active)),
        ),
        section(
            "/admin/holidays",
            "manage.holidays.title",
            admin.t("manage.summary.holidays").to_owned(),
        ),
        section(
            "/admin/users",
            "manage.users.title",
            summary(&mut users.iter().map(|u| u.active)),
        ),
        section(
            "/admin/api-keys",
            "admin.api_keys.title",
            admin.t("admin.api_keys.summary").to_owned(),
        ),
    ];
    let recent = recent
        .into_iter()
        .map(|(event, username)| AuditView {
            at: city_minute(event.at),
            who: username.unwrap_or_else(|| admin.t("manage.audit.system").to_owned()),
            entity: event.entity,
            entity_key: event.entity_key,
            action: event.action,
            detail: event.detail,
        })
        .collect();
    let page = ManageHomePage {
        warnings: calendar_warnings(reference, locale),
        admin,
        sections,
        recent,
    };
    Ok(render(StatusCode::OK, &page))
}
