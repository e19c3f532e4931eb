//! `GET /stats`: the public figures of the last twelve months, the same counts as the
//! supervision bulletin for the city, each department, category and district — no case,
//! business or person. Computed at most once per five minutes per instance, and cacheable
//! by browsers and proxies for as long.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::domain::calendar::city_date;
use crate::errors::AppError;
use crate::pages::reports::stats_page;
use crate::pages::{render, PageContext};
use crate::services::bulletin::public_stats;
use crate::services::now_utc;
use crate::state::{AppState, STATS_MAX_AGE};

#[tracing::instrument(skip_all)]
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let reference = state.reference().await?;
    let stats = state
        .stats_cache
        .get_or_compute(|| async {
            Ok(public_stats(&state.db, &reference, city_date(now_utc())).await?)
        })
        .await?;
    let page = stats_page(&stats, &reference, PageContext::new(&req, "/stats"));
    let mut response = render(StatusCode::OK, &page);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_str(&format!("public, max-age={}", STATS_MAX_AGE.as_secs()))
            .map_err(|e| AppError::Unexpected(e.into()))?,
    );
    // The page is in the visitor's language: caches keep one copy per language.
    response.headers_mut().insert(
        header::VARY,
        header::HeaderValue::from_static("Accept-Language, Cookie"),
    );
    Ok(response)
}
