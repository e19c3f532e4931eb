//! `AppError`, the one error type of handlers (STYLE): each variant is an answer the user
//! gets as a page in their language (rendered by `pages::error_page`), never the cause.
//! Workers and start-up use `anyhow` instead. Validation failure is not an error: it is a page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::db::DbError;
use crate::domain::complaint::TransitionError;
use crate::extract::rate_limit::RetryAfter;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("missing or invalid CSRF token")]
    Csrf,
    #[error("not signed in")]
    Unauthenticated,
    #[error("forbidden for this role")]
    Forbidden,
    #[error("the honeypot field was filled")]
    Honeypot,
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("rate limited")]
    RateLimited(RetryAfter),
    #[error("the complaint changed since it was shown")]
    Conflict,
    #[error(transparent)]
    NotAllowed(#[from] TransitionError),
    #[error("unexpected: {0:#}")]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        AppError::Unexpected(anyhow::Error::new(error))
    }
}

/// Which error page a response should get; read by the error-page renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorPageKind(pub &'static str);

impl AppError {
    pub fn page_kind(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Csrf => "csrf",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::Honeypot => "honeypot",
            AppError::PayloadTooLarge => "too_large",
            AppError::RateLimited(_) => "rate_limited",
            AppError::Conflict => "conflict",
            AppError::NotAllowed(_) => "not_allowed",
            AppError::Unexpected(_) => "unexpected",
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Csrf | AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Unauthenticated => StatusCode::SEE_OTHER,
            AppError::Honeypot => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Conflict | AppError::NotAllowed(_) => StatusCode::CONFLICT,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Unexpected(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        if let AppError::Unauthenticated = self {
            // Off to the sign-in page; the page marker keeps the error renderer away.
            let mut response = HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, "/admin/login"))
                .finish();
            response.extensions_mut().insert(crate::pages::RenderedPage);
            return response;
        }
        let mut response = HttpResponse::build(self.status_code());
        if let AppError::RateLimited(RetryAfter(wait)) = self {
            response.insert_header(("Retry-After", wait.as_secs().max(1).to_string()));
        }
        let mut response = response.finish();
        response
            .extensions_mut()
            .insert(ErrorPageKind(self.page_kind()));
        response
    }
}
