//! askama page structs mirroring `templates/`, each holding the shared `PageContext`, and
//! the renderer that turns any error response into a page in the visitor's language.

pub mod admin;
pub mod api_keys;
pub mod businesses;
pub mod complaint;
pub mod desk;
pub mod joint_actions;
pub mod manage;
pub mod open311;
pub mod public;
pub mod queue;
pub mod reports;
pub mod security;

use actix_web::body::EitherBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::errors::{ErrorPageKind, RefusedField};
use crate::extract::locale::locale_of;
use crate::i18n::{self, Locale};

/// What every page needs: the language, and where the language switch should lead back to.
#[derive(Debug, Clone)]
pub struct PageContext {
    pub locale: Locale,
    pub path: String,
    /// Who runs the service, for the public pages' footer.
    pub site: std::sync::Arc<crate::config::SiteSettings>,
}

pub struct LanguageLink {
    pub href: String,
    pub tag: &'static str,
    pub label: &'static str,
    pub current: bool,
}

impl PageContext {
    /// `path` is a GET-able address of the page shown (a re-rendered POST names its form).
    pub fn new(req: &HttpRequest, path: &str) -> PageContext {
        let site = req
            .app_data::<actix_web::web::Data<crate::state::AppState>>()
            .map(|state| state.config.site.clone())
            .unwrap_or_default();
        PageContext {
            locale: locale_of(req),
            path: path.to_owned(),
            site,
        }
    }

    /// The body that runs the service, as the footer names it.
    pub fn operator_name(&self) -> &str {
        match &self.site.operator_name {
            Some(name) => name,
            None => self.t("resident.footer.default_operator"),
        }
    }

    /// "运营单位：…", the footer's first line.
    pub fn operator_line(&self) -> String {
        self.t_args(
            "resident.footer.operator",
            &[("name", self.operator_name())],
        )
    }

    pub fn operator_phone(&self) -> &str {
        &self.site.operator_phone
    }

    /// `tel:` address of the operator's phone (digits and `+` only).
    pub fn operator_phone_href(&self) -> String {
        let digits: String = self
            .site
            .operator_phone
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        format!("tel:{digits}")
    }

    pub fn icp_filing(&self) -> Option<&str> {
        self.site.icp_filing.as_deref()
    }

    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(self.locale, key)
    }

    pub fn t_args(&self, key: &str, args: &[(&str, &str)]) -> String {
        i18n::t_args(self.locale, key, args)
    }

    pub fn language_links(&self) -> Vec<LanguageLink> {
        let next = serde_urlencoded::to_string([("next", self.path.as_str())]).unwrap_or_default();
        Locale::ALL
            .iter()
            .map(|&locale| LanguageLink {
                href: format!("/lang/{}?{next}", locale.tag()),
                tag: locale.tag(),
                label: locale.native_name(),
                current: locale == self.locale,
            })
            .collect()
    }
}

/// A UTC timestamp as staff pages show it: city time, to the minute.
pub fn city_minute(utc: chrono::NaiveDateTime) -> String {
    crate::domain::calendar::city_time(utc)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Where a running deadline stands, beside its date on every page that shows a case:
/// `code` is the `data-due-standing` marker (`due-in`, `due-today`, `overdue`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueStanding {
    pub code: &'static str,
    pub text: String,
}

impl DueStanding {
    pub fn of(
        calendar: &crate::domain::calendar::WorkCalendar,
        due: chrono::NaiveDate,
        today: chrono::NaiveDate,
        locale: Locale,
    ) -> DueStanding {
        use crate::domain::deadlines::{standing, Standing};
        let (code, key, n) = match standing(calendar, due, today) {
            Standing::DueToday => ("due-today", "deadline.standing.due_today", 0),
            Standing::DueIn(1) => ("due-in", "deadline.standing.due_in_one", 1),
            Standing::DueIn(n) => ("due-in", "deadline.standing.due_in", n),
            Standing::Overdue(1) => ("overdue", "deadline.standing.overdue_one", 1),
            Standing::Overdue(n) => ("overdue", "deadline.standing.overdue", n),
        };
        DueStanding {
            code,
            text: i18n::t_args(locale, key, &[("n", &n.to_string())]),
        }
    }

    /// The standing of `date` if it is the case's running deadline (`current_due` is none
    /// while the clock is stopped or nothing is owed).
    pub fn if_running(
        calendar: &crate::domain::calendar::WorkCalendar,
        date: chrono::NaiveDate,
        current_due: Option<chrono::NaiveDate>,
        today: chrono::NaiveDate,
        locale: Locale,
    ) -> Option<DueStanding> {
        (current_due == Some(date)).then(|| DueStanding::of(calendar, date, today, locale))
    }
}

/// Marks a response whose body is already the page to show, so the error renderer keeps it.
#[derive(Debug, Clone, Copy)]
pub struct RenderedPage;

/// Renders a page with `status`; a template that fails to render is an internal error.
pub fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => {
            let mut response = HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(body);
            response.extensions_mut().insert(RenderedPage);
            response
        }
        Err(error) => {
            tracing::error!(error = %error, "template failed to render");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[derive(Template)]
#[template(path = "public/error.html")]
pub struct ErrorPage {
    pub ctx: PageContext,
    pub title: &'static str,
    pub message: String,
    pub back_href: &'static str,
    pub back_label: &'static str,
}

#[derive(Template)]
#[template(path = "admin/error.html")]
pub struct AdminErrorPage {
    pub admin: admin::AdminContext,
    pub title: &'static str,
    pub message: &'static str,
}

/// The `ErrorHandlers` hook: every 4xx/5xx without a page of its own (ours or the
/// framework's: unknown path, oversized body…) gets the error page in the visitor's language.
pub fn error_page<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    if res.response().extensions().get::<RenderedPage>().is_some() {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let kind = res
        .response()
        .extensions()
        .get::<ErrorPageKind>()
        .copied()
        .unwrap_or_else(|| ErrorPageKind::of_status(status));
    let (req, old) = res.into_parts();
    let ctx = PageContext::new(&req, "/");
    // Staff meet staff wording in the admin frame, with the way back to their queue.
    let staff_words = match kind {
        ErrorPageKind::NotFound => {
            Some(("admin.page.not_found.title", "admin.page.not_found.message"))
        }
        ErrorPageKind::Forbidden => Some(("page.forbidden.title", "page.forbidden.message")),
        _ => None,
    };
    if let (true, Some((title, message))) = (req.path().starts_with("/admin"), staff_words) {
        let admin = admin::AdminContext::new(ctx, None, None);
        let page = AdminErrorPage {
            title: admin.t(title),
            message: admin.t(message),
            admin,
        };
        let response: ServiceResponse<EitherBody<B>> =
            ServiceResponse::new(req, render(status, &page)).map_into_right_body();
        return Ok(ErrorHandlerResponse::Response(response));
    }
    // What went wrong with a filing is mended on the form.
    let (back_href, back_key) = match kind {
        ErrorPageKind::Csrf
        | ErrorPageKind::TooLarge
        | ErrorPageKind::Honeypot
        | ErrorPageKind::UnsupportedMediaType
        | ErrorPageKind::NotUtf8
        | ErrorPageKind::UploadsBusy => ("/complaints/new", "page.back_form"),
        _ => ("/", "page.back_home"),
    };
    let name = kind.name();
    let field = old
        .extensions()
        .get::<RefusedField>()
        .map(|f| f.0.clone())
        .unwrap_or_default();
    let page = ErrorPage {
        title: ctx.t(&format!("page.{name}.title")),
        message: ctx.t_args(&format!("page.{name}.message"), &[("field", &field)]),
        back_href,
        back_label: ctx.t(back_key),
        ctx,
    };
    let mut response = render(status, &page);
    for name in [header::RETRY_AFTER, header::ALLOW, header::WWW_AUTHENTICATE] {
        if let Some(value) = old.headers().get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    let response: ServiceResponse<EitherBody<B>> =
        ServiceResponse::new(req, response).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(response))
}
