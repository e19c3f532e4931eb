//! What handlers need to call the services: the signed-in member as the rules see them,
//! the settings a case change depends on, and a service's refusal as a response.

use actix_web::http::header;
use actix_web::HttpResponse;

use crate::config::Config;
use crate::domain::access::StaffMember;
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::services::case::CaseSettings;
use crate::services::ServiceError;

impl From<ServiceError> for AppError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Forbidden => AppError::Forbidden,
            ServiceError::Stale => AppError::Conflict,
            ServiceError::NotAllowed(e) => AppError::NotAllowed(e),
            // Handlers that take an argument show it beside its field before this point.
            ServiceError::Argument(problem) => {
                AppError::Unexpected(anyhow::anyhow!("unhandled refusal of {}", problem.field))
            }
            ServiceError::Db(e) => e.into(),
            ServiceError::Unexpected(e) => AppError::Unexpected(e),
        }
    }
}

/// The member behind a staff session.
pub fn member(staff: &Staff) -> StaffMember {
    StaffMember {
        user_id: staff.user_id.as_str().into(),
        role: staff.role,
        department: staff.department.as_str().into(),
    }
}

pub fn case_settings(config: &Config) -> CaseSettings {
    CaseSettings {
        base_url: config.base_url.clone(),
        rating_window_days: config.rating_window_days,
    }
}

/// `303 See Other` to `path` with `query` encoded: where a form goes once its change is made.
pub fn see_other(path: &str, query: &[(&str, &str)]) -> HttpResponse {
    let location = if query.is_empty() {
        path.to_owned()
    } else {
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(query).unwrap_or_default()
        )
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// A service's answer to a form: done, refused for its argument (the message key to show
/// beside the field), or an error for the error page.
pub fn refused_argument<T>(
    result: Result<T, ServiceError>,
) -> Result<Result<T, &'static str>, AppError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(ServiceError::Argument(problem)) => Ok(Err(problem.message_key)),
        Err(error) => Err(error.into()),
    }
}
