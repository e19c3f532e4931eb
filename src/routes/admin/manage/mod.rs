//! The management pages, administrators only (DESIGN §4), one file per page; each change is
//! written with its audit event in one transaction. No queries of their own here: `db::manage`.

mod categories;
mod departments;
mod districts;
mod holidays;
mod home;
mod routing;
mod users;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{field, form_pairs};
use crate::db::manage::{self, Audit};
use crate::db::reference::{Named, ReferenceData};
use crate::db::{AnyConnection, DbError};
use crate::domain::access;
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::i18n::Locale;
use crate::pages::admin::AdminContext;
use crate::pages::manage::{Choice, FormData};
use crate::pages::PageContext;
use crate::services::jurisdiction;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/manage", web::get().to(home::show))
        .route("/admin/districts", web::get().to(districts::list))
        .route("/admin/districts", web::post().to(districts::create))
        .route("/admin/districts/{code}", web::get().to(districts::show))
        .route("/admin/districts/{code}", web::post().to(districts::update))
        .route("/admin/departments", web::get().to(departments::list))
        .route("/admin/departments", web::post().to(departments::create))
        .route(
            "/admin/departments/{code}",
            web::get().to(departments::show),
        )
        .route(
            "/admin/departments/{code}",
            web::post().to(departments::update),
        )
        .route(
            "/admin/departments/{code}/office",
            web::post().to(departments::make_office),
        )
        .route("/admin/categories", web::get().to(categories::list))
        .route("/admin/categories", web::post().to(categories::create))
        .route("/admin/categories/{code}", web::get().to(categories::show))
        .route(
            "/admin/categories/{code}",
            web::post().to(categories::update),
        )
        .route("/admin/routing", web::get().to(routing::list))
        .route("/admin/routing", web::post().to(routing::create))
        .route("/admin/routing/{id}", web::get().to(routing::show))
        .route("/admin/routing/{id}", web::post().to(routing::update))
        .route("/admin/holidays", web::get().to(holidays::list))
        .route("/admin/holidays", web::post().to(holidays::add))
        .route("/admin/holidays/years", web::post().to(holidays::mark_year))
        .route(
            "/admin/holidays/{day}/delete",
            web::post().to(holidays::remove),
        )
        .route("/admin/users", web::get().to(users::list))
        .route("/admin/users", web::post().to(users::create))
        .route("/admin/users/{username}", web::get().to(users::show))
        .route("/admin/users/{username}", web::post().to(users::update))
        .route(
            "/admin/users/{username}/password",
            web::post().to(users::reset_password),
        )
        .route(
            "/admin/users/{username}/deactivate",
            web::post().to(users::deactivate),
        )
        .route(
            "/admin/users/{username}/activate",
            web::post().to(users::activate),
        );
}

/// Other staff may see that these pages exist (the frame hides the link) but not use them.
fn require_admin(staff: &Staff) -> Result<(), AppError> {
    if access::may_manage(staff.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A management POST: the CSRF token first (`403`, nothing changes), then the role; the
/// token itself is not part of the form.
fn admin_form(staff: &Staff, body: &[u8]) -> Result<FormData, AppError> {
    let pairs = form_pairs(body);
    staff.verify_csrf(field(&pairs, "csrf_token"))?;
    require_admin(staff)?;
    Ok(FormData::from_pairs(
        pairs
            .into_iter()
            .filter(|(k, _)| k != "csrf_token")
            .collect(),
    ))
}

/// The query string's pairs; a malformed one is read as empty rather than refused.
fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    serde_urlencoded::from_str(req.query_string()).unwrap_or_default()
}

/// Back to a list after a change, naming what was saved for the page's confirmation.
fn saved(list: &str, key: &str) -> HttpResponse {
    let query = serde_urlencoded::to_string([("saved", key)]).unwrap_or_default();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{list}?{query}")))
        .finish()
}

/// The frame of a management page, with the confirmation of the last change if any.
fn admin_context(
    req: &HttpRequest,
    staff: &Staff,
    reference: &ReferenceData,
    path: &str,
) -> AdminContext {
    let mut admin = AdminContext::new(PageContext::new(req, path), Some(staff), Some(reference));
    let pairs = query_pairs(req);
    if let Some(key) = field(&pairs, "saved").filter(|k| !k.is_empty()) {
        admin.flash = Some(admin.ctx.t_args("manage.saved", &[("key", key)]));
    }
    admin
}

/// Writes the audit event of a change made by `staff`, in the change's transaction.
fn audit(
    conn: &mut AnyConnection,
    staff_id: &str,
    entity: &str,
    key: &str,
    action: &str,
    detail: String,
) -> Result<(), DbError> {
    manage::audit(
        conn,
        &Audit {
            at: crate::services::now_utc(),
            user_id: Some(staff_id),
            entity,
            entity_key: key,
            action,
            detail,
        },
    )
}

/// Checks the three names of a record into `form`.
fn parse_names(form: &mut FormData) -> Option<[String; 3]> {
    let hans = jurisdiction::name(form.value("name_zh_hans"));
    let hant = jurisdiction::name(form.value("name_zh_hant"));
    let en = jurisdiction::name(form.value("name_en"));
    let hans = form.check("name_zh_hans", hans);
    let hant = form.check("name_zh_hant", hant);
    let en = form.check("name_en", en);
    Some([hans?, hant?, en?])
}

/// A record's name with its code, for select lists.
fn choice(code: &str, record: &impl Named, locale: Locale) -> Choice {
    Choice {
        value: code.to_owned(),
        label: format!("{} ({code})", record.name(locale)),
    }
}

/// Active departments as options, for leads, co-handlers and users.
fn department_choices(reference: &ReferenceData, locale: Locale) -> Vec<Choice> {
    reference
        .departments
        .iter()
        .filter(|d| d.active)
        .map(|d| choice(&d.code, d, locale))
        .collect()
}

/// A department's name in the page's language, or its code if it is unknown.
fn department_name(reference: &ReferenceData, code: &str, locale: Locale) -> String {
    reference
        .department(code)
        .map_or_else(|| code.to_owned(), |d| d.name(locale).to_owned())
}

fn yes_no(admin: &AdminContext, value: bool) -> String {
    admin
        .t(if value { "manage.yes" } else { "manage.no" })
        .to_owned()
}

/// A UTC timestamp as the city reads it (UTC+8, no daylight saving), to the minute.
fn city_time(at: chrono::NaiveDateTime) -> String {
    (at + chrono::TimeDelta::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}
