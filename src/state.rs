//! What every handler shares: configuration, the database, this instance's limits and
//! its copy of the reference data.

use std::sync::{Arc, RwLock};

use diesel::prelude::*;

use crate::config::Config;
use crate::db::reference::{CategoryRow, ReferenceData};
use crate::db::{AnyConnection, Database, DbError};
use crate::errors::AppError;
use crate::services::bulletin::PublicStats;
use crate::services::limits::Limit;

/// Tracking-code recovery mails per address: enough for a resident, useless for flooding.
pub const RECOVER_PER_ADDRESS_PER_HOUR: u32 = 3;
/// Tracking-code recovery requests per client address.
pub const RECOVER_PER_CLIENT_PER_HOUR: u32 = 10;

pub struct AppState {
    pub config: Config,
    pub db: Database,
    pub submit_limit: Limit,
    pub track_limit: Limit,
    /// Failed sign-ins per client address, one check per username at a time, and the
    /// bound on Argon2 work.
    pub sign_in: crate::services::sign_in::SignInGuard,
    /// "I lost my tracking code" requests per client address and per email address.
    pub recover_client_limit: Limit,
    pub recover_address_limit: Limit,
    /// Staff password-reset requests per client address and per username.
    pub password_reset: crate::routes::admin::ResetLimits,
    /// Wakes the email worker after a commit that wrote outbox rows (it also polls).
    pub mail_wakeup: std::sync::Arc<tokio::sync::Notify>,
    /// The reference data as last read.
    pub reference_cache: Arc<ReferenceCache>,
    /// Passes of this instance's deadline sweeper (`/metrics`).
    pub sweeper_passes: Arc<std::sync::atomic::AtomicU64>,
    /// `GET /stats`, computed at most once per `STATS_MAX_AGE` in this instance.
    pub stats_cache: Arc<StatsCache>,
    /// The outbox figures `/metrics` shows, read at most every `metrics_cache_seconds`.
    pub outbox_figures: crate::metrics::OutboxFiguresCache,
    /// The bound address of `METRICS_ADDR`, where `/metrics` needs no token.
    pub metrics_local_addr: Option<std::net::SocketAddr>,
    /// Slots for reading multipart bodies (`form_body::MAX_CONCURRENT_UPLOADS`).
    pub uploads: Arc<tokio::sync::Semaphore>,
}

/// How long the public figures are kept (and how long browsers may keep them).
pub const STATS_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(300);

/// The public figures as last computed, and when. The lock is held while they are
/// computed, so concurrent requests wait for one computation instead of each running it.
#[derive(Default)]
pub struct StatsCache {
    latest: tokio::sync::Mutex<Option<(std::time::Instant, Arc<PublicStats>)>>,
}

impl StatsCache {
    pub async fn get_or_compute<F, Fut>(&self, compute: F) -> Result<Arc<PublicStats>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<PublicStats, AppError>>,
    {
        let mut latest = self.latest.lock().await;
        if let Some((at, stats)) = latest.as_ref() {
            if at.elapsed() < STATS_MAX_AGE {
                return Ok(stats.clone());
            }
        }
        let stats = Arc::new(compute().await?);
        *latest = Some((std::time::Instant::now(), stats.clone()));
        Ok(stats)
    }
}

/// The reference data as last read, with the audit stamp it was read at. Every change to
/// it — the management pages, `load-jurisdiction`, in any instance — writes an audit event
/// in its transaction, so the newest audit id is a version stamp: one indexed look-up per use
/// instead of reading six tables (the benchmark of issue 6 found that reading them on every
/// request cost more than the rest of the tracking page).
#[derive(Default)]
pub struct ReferenceCache {
    latest: RwLock<Option<(i64, Arc<ReferenceData>)>>,
}

impl ReferenceCache {
    /// The current reference data, on a connection already in hand (inside `Database::read`).
    pub fn get(&self, conn: &mut AnyConnection) -> Result<Arc<ReferenceData>, DbError> {
        use crate::db::schema::audit_events;
        // The stamp first: a change committed between the two reads is then seen as a new
        // stamp next time, never cached under the old one.
        // One row always; `first` would add a `LIMIT ?` that makes SQLite prepare the
        // statement again on every use (see `complaints::find_by_tracking_code`), and on the
        // backend's own connection the cached statement is found by type (`on_backend!`).
        let stamp = crate::db::on_backend!(conn, |c| audit_events::table
            .select(diesel::dsl::max(audit_events::id))
            .get_result::<Option<i64>>(c))?
        .unwrap_or(0);
        let cached = self
            .latest
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some((cached_stamp, data)) = cached {
            if cached_stamp == stamp {
                return Ok(data);
            }
        }
        let data = Arc::new(ReferenceData::load(conn)?);
        *self.latest.write().unwrap_or_else(|e| e.into_inner()) = Some((stamp, data.clone()));
        Ok(data)
    }
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
            submit_limit: Limit::per_hour("submit", config.submit_limit_per_hour, &db),
            track_limit: Limit::per_hour("track", config.track_limit_per_hour, &db),
            sign_in: crate::services::sign_in::SignInGuard::new(
                Limit::per_hour("sign_in", config.login_limit_per_hour, &db),
                crate::passwords::HashingGate::for_this_machine(),
            ),
            recover_client_limit: Limit::per_hour(
                "recover_client",
                RECOVER_PER_CLIENT_PER_HOUR,
                &db,
            ),
            recover_address_limit: Limit::per_hour(
                "recover_address",
                RECOVER_PER_ADDRESS_PER_HOUR,
                &db,
            ),
            password_reset: crate::routes::admin::ResetLimits::new(
                config.login_limit_per_hour,
                &db,
            ),
            mail_wakeup: std::sync::Arc::new(tokio::sync::Notify::new()),
            reference_cache: Arc::new(ReferenceCache::default()),
            sweeper_passes: Arc::default(),
            stats_cache: Arc::default(),
            outbox_figures: crate::metrics::OutboxFiguresCache::new(
                std::time::Duration::from_secs(config.metrics_cache_seconds),
            ),
            metrics_local_addr: None,
            uploads: Arc::new(tokio::sync::Semaphore::new(
                crate::extract::form_body::MAX_CONCURRENT_UPLOADS,
            )),
            config,
            db,
        }
    }

    /// The reference data, read again only when it may have changed (`ReferenceCache`).
    pub async fn reference(&self) -> Result<Arc<ReferenceData>, AppError> {
        let cache = self.reference_cache.clone();
        Ok(self.db.read(move |conn| cache.get(conn)).await?)
    }
}
