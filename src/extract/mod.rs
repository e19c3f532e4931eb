//! Request plumbing: the visitor's language, the client address, the signed-in member, the
//! CSRF checks and the posted form (`form`), and security headers. No page or database
//! logic here.

pub mod client;
pub mod csrf;
pub mod form;
pub mod form_body;
pub mod headers;
pub mod locale;
pub mod session;

use actix_web::{web, HttpRequest};

use crate::errors::AppError;
use crate::state::AppState;

/// The shared state, for an extractor (handlers take `web::Data<AppState>` themselves).
fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    Ok(req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| anyhow::anyhow!("application state missing"))?
        .clone())
}
