//! `AppError`, the one error type of handlers (STYLE): each variant is an answer the user
//! gets as a page in their language (rendered by `pages::error_page` from its `ErrorPageKind`), never the cause.
//! Workers and start-up use `anyhow` instead. Validation failure is not an error: it is a page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::db::DbError;
use crate::domain::complaint::TransitionError;
use crate::rate_limit::RetryAfter;

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
    /// A POST whose body is neither urlencoded nor multipart (`415`).
    #[error("the request body is not a form")]
    UnsupportedMediaType,
    /// A form field, named, whose bytes are not UTF-8 text (`422`).
    #[error("a form field is not UTF-8 text")]
    NotUtf8(String),
    #[error("rate limited")]
    RateLimited(RetryAfter),
    /// Every slot for password hashing is taken (`503`, try again in a second).
    #[error("too busy to check a password now")]
    Busy,
    /// Every slot for reading an upload is taken (`503`, try again shortly).
    #[error("too many uploads at once")]
    UploadsBusy,
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

/// The form field an error page names (`NotUtf8`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedField(pub String);

/// Which error page a response gets: its title and message are the keys
/// `page.{name}.title` and `page.{name}.message`. Set by `AppError` on its responses, and
/// guessed from the status for the framework's own (unknown path, oversized body…);
/// `pages::error_page` renders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorPageKind {
    NotFound,
    Csrf,
    Unauthenticated,
    Forbidden,
    Honeypot,
    TooLarge,
    UnsupportedMediaType,
    NotUtf8,
    RateLimited,
    Busy,
    UploadsBusy,
    Conflict,
    NotAllowed,
    MethodNotAllowed,
    BadRequest,
    Unexpected,
}

impl ErrorPageKind {
    pub const ALL: [ErrorPageKind; 16] = [
        ErrorPageKind::NotFound,
        ErrorPageKind::Csrf,
        ErrorPageKind::Unauthenticated,
        ErrorPageKind::Forbidden,
        ErrorPageKind::Honeypot,
        ErrorPageKind::TooLarge,
        ErrorPageKind::UnsupportedMediaType,
        ErrorPageKind::NotUtf8,
        ErrorPageKind::RateLimited,
        ErrorPageKind::Busy,
        ErrorPageKind::UploadsBusy,
        ErrorPageKind::Conflict,
        ErrorPageKind::NotAllowed,
        ErrorPageKind::MethodNotAllowed,
        ErrorPageKind::BadRequest,
        ErrorPageKind::Unexpected,
    ];

    /// The middle part of the page's message keys.
    pub fn name(self) -> &'static str {
        match self {
            ErrorPageKind::NotFound => "not_found",
            ErrorPageKind::Csrf => "csrf",
            ErrorPageKind::Unauthenticated => "unauthenticated",
            ErrorPageKind::Forbidden => "forbidden",
            ErrorPageKind::Honeypot => "honeypot",
            ErrorPageKind::TooLarge => "too_large",
            ErrorPageKind::UnsupportedMediaType => "unsupported_media_type",
            ErrorPageKind::NotUtf8 => "not_utf8",
            ErrorPageKind::RateLimited => "rate_limited",
            ErrorPageKind::Busy => "busy",
            ErrorPageKind::UploadsBusy => "uploads_busy",
            ErrorPageKind::Conflict => "conflict",
            ErrorPageKind::NotAllowed => "not_allowed",
            ErrorPageKind::MethodNotAllowed => "method_not_allowed",
            ErrorPageKind::BadRequest => "bad_request",
            ErrorPageKind::Unexpected => "unexpected",
        }
    }

    /// The page of an error response that did not say which (the framework's own). A bare
    /// `403` comes from nowhere but a CSRF check.
    pub fn of_status(status: StatusCode) -> ErrorPageKind {
        match status {
            StatusCode::NOT_FOUND => ErrorPageKind::NotFound,
            StatusCode::FORBIDDEN => ErrorPageKind::Csrf,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorPageKind::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorPageKind::UnsupportedMediaType,
            StatusCode::TOO_MANY_REQUESTS => ErrorPageKind::RateLimited,
            StatusCode::METHOD_NOT_ALLOWED => ErrorPageKind::MethodNotAllowed,
            StatusCode::CONFLICT => ErrorPageKind::Conflict,
            s if s.is_client_error() => ErrorPageKind::BadRequest,
            _ => ErrorPageKind::Unexpected,
        }
    }
}

impl AppError {
    pub fn page_kind(&self) -> ErrorPageKind {
        match self {
            AppError::NotFound => ErrorPageKind::NotFound,
            AppError::Csrf => ErrorPageKind::Csrf,
            AppError::Unauthenticated => ErrorPageKind::Unauthenticated,
            AppError::Forbidden => ErrorPageKind::Forbidden,
            AppError::Honeypot => ErrorPageKind::Honeypot,
            AppError::PayloadTooLarge => ErrorPageKind::TooLarge,
            AppError::UnsupportedMediaType => ErrorPageKind::UnsupportedMediaType,
            AppError::NotUtf8(_) => ErrorPageKind::NotUtf8,
            AppError::RateLimited(_) => ErrorPageKind::RateLimited,
            AppError::Busy => ErrorPageKind::Busy,
            AppError::UploadsBusy => ErrorPageKind::UploadsBusy,
            AppError::Conflict => ErrorPageKind::Conflict,
            AppError::NotAllowed(_) => ErrorPageKind::NotAllowed,
            AppError::Unexpected(_) => ErrorPageKind::Unexpected,
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
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::NotUtf8(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Busy | AppError::UploadsBusy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Conflict | AppError::NotAllowed(_) => StatusCode::CONFLICT,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Unexpected(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        if let AppError::Unauthenticated = self {
            // Off to the sign-in page: a redirect, which the error renderer (4xx/5xx only)
            // leaves alone.
            return HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, "/admin/login"))
                .finish();
        }
        let mut response = HttpResponse::build(self.status_code());
        if let AppError::RateLimited(RetryAfter(wait)) = self {
            response.insert_header(("Retry-After", wait.as_secs().max(1).to_string()));
        }
        if let AppError::Busy = self {
            response.insert_header(("Retry-After", "1"));
        }
        if let AppError::UploadsBusy = self {
            response.insert_header(("Retry-After", "10"));
        }
        let mut response = response.finish();
        response.extensions_mut().insert(self.page_kind());
        if let AppError::NotUtf8(field) = self {
            response
                .extensions_mut()
                .insert(RefusedField(field.clone()));
        }
        response
    }
}
