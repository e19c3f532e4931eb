//! What every handler shares: configuration, the database and this instance's limits.

use crate::config::Config;
use crate::db::reference::{CategoryRow, ReferenceData};
use crate::db::Database;
use crate::errors::AppError;
use crate::extract::rate_limit::RateLimit;

/// Tracking-code recovery mails per address: enough for a resident, useless for flooding.
pub const RECOVER_PER_ADDRESS_PER_HOUR: u32 = 3;
/// Tracking-code recovery requests per client address (counted per instance).
pub const RECOVER_PER_CLIENT_PER_HOUR: u32 = 10;

pub struct AppState {
    pub config: Config,
    pub db: Database,
    pub submit_limit: RateLimit,
    pub track_limit: RateLimit,
    /// Failed sign-ins per client address.
    pub login_limit: RateLimit,
    /// "I lost my tracking code" requests per client address and per email address.
    pub recover_client_limit: RateLimit,
    pub recover_address_limit: RateLimit,
    /// Wakes the email worker after a commit that wrote outbox rows (it also polls).
    pub mail_wakeup: std::sync::Arc<tokio::sync::Notify>,
}

/// The deadlines the public pages promise, in working days.
pub struct DefaultDeadlines {
    pub complaint_days: String,
    pub report_days: String,
    pub finish_days: String,
}

impl DefaultDeadlines {
    /// The longest deadline of any active category, so the promise holds for all of them.
    pub fn of(reference: &ReferenceData) -> DefaultDeadlines {
        let max = |days: fn(&CategoryRow) -> i32| {
            let longest = reference
                .categories
                .iter()
                .filter(|c| c.active)
                .map(days)
                .max();
            longest.unwrap_or(0).to_string()
        };
        DefaultDeadlines {
            complaint_days: max(|c| c.complaint_accept_days),
            report_days: max(|c| c.report_accept_days),
            finish_days: max(|c| c.complaint_finish_days),
        }
    }

    pub fn args(&self) -> [(&str, &str); 3] {
        [
            ("complaint_days", self.complaint_days.as_str()),
            ("report_days", self.report_days.as_str()),
            ("finish_days", self.finish_days.as_str()),
        ]
    }
}

impl AppState {
    pub fn new(config: Config, db: Database) -> AppState {
        AppState {
            submit_limit: RateLimit::per_hour(config.submit_limit_per_hour),
            track_limit: RateLimit::per_hour(config.track_limit_per_hour),
            login_limit: RateLimit::per_hour(config.login_limit_per_hour),
            recover_client_limit: RateLimit::per_hour(RECOVER_PER_CLIENT_PER_HOUR),
            recover_address_limit: RateLimit::per_hour(RECOVER_PER_ADDRESS_PER_HOUR),
            mail_wakeup: std::sync::Arc::new(tokio::sync::Notify::new()),
            config,
            db,
        }
    }

    pub async fn reference(&self) -> Result<ReferenceData, AppError> {
        Ok(self.db.read(ReferenceData::load).await?)
    }
}
