//! What handlers need to call the services: the signed-in member as the rules see them,
//! the settings a case change depends on, and a service's refusal as a response.

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
