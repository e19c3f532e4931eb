//! Periodic clean-up of what only grows otherwise: expired sessions, sign-in counts
//! that lock nothing any more (made-up usernames included), and limit hits older than any
//! window (PostgreSQL). Nothing a person may still
//! need is deleted: the lock-outs page reads only the last `FORGET_AFTER_HOURS`.

use chrono::{Duration, NaiveDateTime};

use crate::db::{rate_limits, sessions, Backend, Database};
use crate::domain::login::FORGET_AFTER_HOURS;
use crate::services::ServiceError;

/// How often the service cleans up (the first pass runs at start).
pub const HOUSEKEEPING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// How long sessions last (`SESSION_IDLE_MINUTES`, and the absolute lifetime the
/// session extractor enforces).
#[derive(Debug, Clone, Copy)]
pub struct SessionLifetime {
    pub idle_minutes: u32,
    pub absolute_hours: i64,
}

/// What a pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cleaned {
    pub sessions: usize,
    pub throttles: usize,
    pub limit_hits: usize,
}

/// One pass as of `now`: sessions past either lifetime, and sign-in counts older than
/// `FORGET_AFTER_HOURS` that lock nothing.
pub async fn clean(
    db: &Database,
    lifetime: SessionLifetime,
    now: NaiveDateTime,
) -> Result<Cleaned, ServiceError> {
    let idle_before = now - Duration::minutes(i64::from(lifetime.idle_minutes));
    let created_before = now - Duration::hours(lifetime.absolute_hours);
    let forget_before = now - Duration::hours(FORGET_AFTER_HOURS);
    let shared_limits = db.backend() == Backend::Postgres;
    let hits_before = crate::services::limits::forget_before(now);
    Ok(db
        .write(move |conn| {
            Ok::<_, crate::db::DbError>(Cleaned {
                sessions: sessions::delete_expired(conn, idle_before, created_before)?,
                throttles: sessions::delete_stale_throttles(conn, forget_before, now)?,
                limit_hits: if shared_limits {
                    rate_limits::delete_before(conn, hits_before)?
                } else {
                    0
                },
            })
        })
        .await?)
}

/// The clean-up inside the service: a pass every `HOUSEKEEPING_INTERVAL`, until `stop`.
pub struct HousekeepingTask {
    pub db: Database,
    pub lifetime: SessionLifetime,
}

impl HousekeepingTask {
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                break;
            }
            match clean(&self.db, self.lifetime, crate::clock::now_utc()).await {
                Ok(cleaned) if cleaned != Cleaned::default() => tracing::info!(
                    sessions = cleaned.sessions,
                    throttles = cleaned.throttles,
                    limit_hits = cleaned.limit_hits,
                    "expired sessions and sign-in counts deleted"
                ),
                Ok(_) => {}
                Err(error) => tracing::error!(error = %error, "housekeeping pass failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(HOUSEKEEPING_INTERVAL) => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
    }
}
