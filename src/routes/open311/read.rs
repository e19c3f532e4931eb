//! The reading methods: discovery, services, a service's definition, requests, one request,
//! and tokens (always `404`: a request gets its id when it is filed).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;

use super::{answer, check, refuse, Checked};
use crate::db::open311::RequestFilter;
use crate::domain::public_id::PublicId;
use crate::errors::AppError;
use crate::i18n::{t, t_args};
use crate::pages::open311 as shapes;
use crate::services::open311 as api;
use crate::state::AppState;

#[tracing::instrument(skip_all)]
pub async fn discovery(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Checked { format, .. } = match check(&req, &state, None).await {
        Ok(c) => c,
        Err(response) => return Ok(response),
    };
    answer(
        format,
        StatusCode::OK,
        shapes::discovery(format, &api::discovery(&state.config)),
    )
}

#[tracing::instrument(skip_all)]
pub async fn services(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Checked { format, locale, .. } = match check(&req, &state, None).await {
        Ok(c) => c,
        Err(response) => return Ok(response),
    };
    let reference = state.reference().await?;
    answer(
        format,
        StatusCode::OK,
        shapes::services(format, &api::services(&reference, locale)),
    )
}

#[tracing::instrument(skip_all)]
pub async fn service_definition(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Checked { format, locale, .. } = match check(&req, &state, None).await {
        Ok(c) => c,
        Err(response) => return Ok(response),
    };
    let code = req.match_info().get("service_code").unwrap_or_default();
    let reference = state.reference().await?;
    match api::definition(&reference, locale, code) {
        Some(definition) => answer(
            format,
            StatusCode::OK,
            shapes::definition(format, &definition),
        ),
        None => refuse(
            format,
            StatusCode::NOT_FOUND,
            t_args(locale, "open311.error.service_not_found", &[("code", code)]),
        ),
    }
}

#[tracing::instrument(skip_all)]
pub async fn token(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let Checked { format, locale, .. } = match check(&req, &state, None).await {
        Ok(c) => c,
        Err(response) => return Ok(response),
    };
    refuse(
        format,
        StatusCode::NOT_FOUND,
        t(locale, "open311.error.token_not_found").to_owned(),
    )
}

#[tracing::instrument(skip_all)]
pub async fn request(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Checked {
        format,
        locale,
        with_key,
        ..
    } = match check(&req, &state, None).await {
        Ok(c) => c,
        Err(response) => return Ok(response),
    };
    let raw = req
        .match_info()
        .get("service_request_id")
        .unwrap_or_default();
    let not_found = || {
        refuse(
            format,
            StatusCode::NOT_FOUND,
            t(locale, "open311.error.not_found").to_owned(),
        )
    };
    let Some(id) = PublicId::parse(raw) else {
        return not_found();
    };
    let filter = RequestFilter {
        ids: Some(vec![id.to_string()]),
        limit: 1,
        ..Default::default()
    };
    let reference = state.reference().await?;
    let found = api::requests(&state.db, &reference, locale, filter, with_key).await?;
    if found.is_empty() {
        return not_found();
    }
    answer(format, StatusCode::OK, shapes::requests(format, &found))
}

/// An ISO-8601 moment with its offset, as UTC.
fn moment(text: &str) -> Option<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|m| m.naive_utc())
}

fn number(text: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| range.contains(n))
}

#[tracing::instrument(skip_all)]
pub async fn requests(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Checked {
        format,
        params,
        locale,
        with_key,
    } = match check(&req, &state, None).await {
        Ok(c) => c,
        Err(response) => return Ok(response),
    };
    let malformed = |parameter: &str| {
        refuse(
            format,
            StatusCode::BAD_REQUEST,
            t_args(
                locale,
                "open311.error.parameter",
                &[("parameter", parameter)],
            ),
        )
    };
    let list = |text: &str| -> Vec<String> {
        text.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let mut filter = RequestFilter::default();
    if let Some(ids) = params.get("service_request_id") {
        // Case numbers that cannot exist find nothing, as unknown ones do.
        let ids: Vec<String> = list(ids)
            .iter()
            .filter_map(|id| PublicId::parse(id))
            .map(|id| id.to_string())
            .collect();
        if ids.len() > api::MAX_PAGE_SIZE as usize {
            return malformed("service_request_id");
        }
        filter.ids = Some(ids);
    } else {
        filter.service_codes = params.get("service_code").map(list);
        let from = match params.get("start_date").map(moment) {
            Some(None) => return malformed("start_date"),
            Some(Some(m)) => Some(m),
            None => None,
        };
        let to = match params.get("end_date").map(moment) {
            Some(None) => return malformed("end_date"),
            Some(Some(m)) => Some(m),
            None => None,
        };
        let (from, to) = api::default_window(from, to);
        filter.from = Some(from);
        filter.to = to;
        filter.states = match params.get("status") {
            None => None,
            Some(status) => match api::states_of(status.trim()) {
                Some(states) => Some(states),
                None => return malformed("status"),
            },
        };
    }
    let page_size = match params
        .get("page_size")
        .map(|t| number(t, 1..=api::MAX_PAGE_SIZE))
    {
        Some(None) => return malformed("page_size"),
        Some(Some(n)) => n,
        None => api::MAX_PAGE_SIZE,
    };
    let page = match params.get("page").map(|t| number(t, 1..=1_000_000)) {
        Some(None) => return malformed("page"),
        Some(Some(n)) => n,
        None => 1,
    };
    filter.limit = page_size;
    filter.offset = (page - 1) * page_size;
    let reference = state.reference().await?;
    let found = api::requests(&state.db, &reference, locale, filter, with_key).await?;
    answer(format, StatusCode::OK, shapes::requests(format, &found))
}
