//! `GET /lang/{tag}?next=/path`: the language switch, remembered in a cookie.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::errors::AppError;
use crate::extract::locale::locale_cookie;
use crate::i18n::Locale;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct SwitchQuery {
    next: Option<String>,
}

/// Only a path on this site: never `//host` or a full URL (no open redirect).
fn local_path(next: Option<&str>) -> &str {
    match next {
        // Browsers drop tabs and line breaks from URLs (`/\t/evil` becomes `//evil`), and
        // a line break cannot go into a header: any such character means "home".
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            p
        }
        _ => "/",
    }
}

#[tracing::instrument(skip_all, fields(tag = %tag))]
pub async fn switch(
    tag: web::Path<String>,
    query: Result<web::Query<SwitchQuery>, actix_web::Error>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let locale = Locale::from_tag(&tag).ok_or(AppError::NotFound)?;
    let next = query.ok().and_then(|q| q.into_inner().next);
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, local_path(next.as_deref())))
        .cookie(locale_cookie(locale, state.config.behind_tls()))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed() {
        for (next, expected) in [
            (Some("/track/ABC"), "/track/ABC"),
            (Some("//evil.example"), "/"),
            (Some("https://evil.example"), "/"),
            (Some("/\\evil.example"), "/"),
            (Some("/\t/evil.example"), "/"),
            (Some("/\r\nSet-Cookie: x=1"), "/"),
            (Some("/\u{7f}"), "/"),
            (None, "/"),
        ] {
            assert_eq!(local_path(next), expected);
        }
    }
}
