//! `/open311/v2/…`: Open311 GeoReport v2 for other software, every method in `.json` and
//! `.xml` (DESIGN §4, issue 12). Thin handlers: parameters in, `services::open311` called,
//! `pages::open311` shapes out; every refusal in the specification's error list.

mod read;
mod write;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::clock::now_utc;
use crate::errors::AppError;
use crate::extract::form_body::first_value;
use crate::i18n::{t, Locale};
use crate::pages::open311::{self as shapes, ApiError, Format};
use crate::services::open311 as api;
use crate::state::AppState;

const FORMAT: &str = "{format:(json|xml)}";

pub fn configure(cfg: &mut web::ServiceConfig) {
    let path = |p: &str| format!("/open311/v2/{p}.{FORMAT}");
    cfg.service(super::resource(&path("discovery")).route(web::get().to(read::discovery)))
        .service(super::resource(&path("services")).route(web::get().to(read::services)))
        .service(
            super::resource(&path("services/{service_code}"))
                .route(web::get().to(read::service_definition)),
        )
        .service(
            super::resource(&path("requests"))
                .route(web::get().to(read::requests))
                .route(web::post().to(write::create)),
        )
        .service(
            super::resource(&path("requests/{service_request_id}"))
                .route(web::get().to(read::request)),
        )
        .service(super::resource(&path("tokens/{token}")).route(web::get().to(read::token)));
}

/// The request's parameters (query string, or a POST's body), first value of each name; an
/// optional parameter sent empty counts as absent.
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    fn of(text: &str) -> Option<Params> {
        serde_urlencoded::from_str(text).ok().map(Params)
    }

    fn get(&self, name: &str) -> Option<&str> {
        first_value(&self.0, name).filter(|v| !v.trim().is_empty())
    }

    /// `locale`, else `Accept-Language`.
    fn locale(&self, req: &HttpRequest) -> Locale {
        self.get("locale")
            .and_then(Locale::from_tag)
            .unwrap_or_else(|| crate::extract::locale::locale_of(req))
    }
}

fn format_of(req: &HttpRequest) -> Format {
    req.match_info()
        .get("format")
        .and_then(Format::parse)
        .unwrap_or(Format::Json)
}

fn answer(
    format: Format,
    status: StatusCode,
    body: anyhow::Result<String>,
) -> Result<HttpResponse, AppError> {
    let mut response = HttpResponse::build(status)
        .content_type(format.content_type())
        .body(body?);
    // The answer is the body: the error pages must leave a refusal as it is.
    response.extensions_mut().insert(crate::pages::RenderedPage);
    Ok(response)
}

fn refuse(
    format: Format,
    status: StatusCode,
    description: String,
) -> Result<HttpResponse, AppError> {
    refuse_all(format, status, vec![description])
}

fn refuse_all(
    format: Format,
    status: StatusCode,
    descriptions: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let errors: Vec<ApiError> = descriptions
        .into_iter()
        .map(|description| ApiError {
            code: status.as_u16(),
            description,
        })
        .collect();
    answer(format, status, shapes::errors(format, &errors))
}

/// What every method checks first: parameters that parse, the jurisdiction served here,
/// and a key, when one is sent, that is valid. `Err` is the answer to give instead.
pub(crate) struct Checked {
    format: Format,
    params: Params,
    locale: Locale,
    with_key: bool,
}

async fn check(
    req: &HttpRequest,
    state: &AppState,
    body: Option<&str>,
) -> Result<Checked, HttpResponse> {
    let format = format_of(req);
    let fail = |r: Result<HttpResponse, AppError>| {
        r.unwrap_or_else(|e| actix_web::ResponseError::error_response(&e))
    };
    let mut pairs = match Params::of(req.query_string()) {
        Some(p) => p.0,
        None => {
            let locale = crate::extract::locale::locale_of(req);
            let text =
                crate::i18n::t_args(locale, "open311.error.parameter", &[("parameter", "query")]);
            return Err(fail(refuse(format, StatusCode::BAD_REQUEST, text)));
        }
    };
    if let Some(body) = body {
        match Params::of(body) {
            // The body's values first: they are the request's own.
            Some(p) => pairs = p.0.into_iter().chain(pairs).collect(),
            None => {
                let locale = crate::extract::locale::locale_of(req);
                let text = crate::i18n::t_args(
                    locale,
                    "open311.error.parameter",
                    &[("parameter", "body")],
                );
                return Err(fail(refuse(format, StatusCode::BAD_REQUEST, text)));
            }
        }
    }
    let params = Params(pairs);
    let locale = params.locale(req);
    if let Some(jurisdiction) = params.get("jurisdiction_id") {
        if jurisdiction.trim() != state.config.open311_jurisdiction_id {
            let text = t(locale, "open311.error.jurisdiction").to_owned();
            return Err(fail(refuse(format, StatusCode::NOT_FOUND, text)));
        }
    }
    let mut with_key = false;
    // A POST checks its key itself (with its limit); a read with a key sees more.
    if body.is_none() {
        if let Some(key) = params.get("api_key") {
            match api::key_for_read(&state.db, key, now_utc()).await {
                Ok(Some(_)) => with_key = true,
                Ok(None) => {
                    let text = t(locale, "open311.error.api_key").to_owned();
                    return Err(fail(refuse(format, StatusCode::FORBIDDEN, text)));
                }
                Err(error) => return Err(fail(Err(error.into()))),
            }
        }
    }
    Ok(Checked {
        format,
        params,
        locale,
        with_key,
    })
}
