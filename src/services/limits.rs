//! The per-address limits as handlers use them: in this instance's memory on SQLite (one
//! instance serves a SQLite file), in the database on PostgreSQL, where several instances
//! share the work and must share the counts too, or N instances would give a client N
//! times each limit (issue 15).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::db::{rate_limits, Backend, Database};
use crate::rate_limit::{address_bucket, RateLimit, RetryAfter};

/// A limit's window, in the minutes the database counts by.
const WINDOW_MINUTES: i64 = 60;

pub struct Limit {
    /// The name its rows carry in the database.
    name: &'static str,
    per_hour: u32,
    memory: RateLimit,
    shared: Option<Database>,
}

fn minute_of(now: chrono::NaiveDateTime) -> i64 {
    now.and_utc().timestamp().div_euclid(60)
}

/// How long until the oldest minute with hits leaves the window.
fn retry_after(oldest: Option<i64>, now: chrono::NaiveDateTime) -> RetryAfter {
    let now_secs = now.and_utc().timestamp();
    let leaves_at = oldest.map_or(now_secs + 60, |m| (m + WINDOW_MINUTES) * 60);
    RetryAfter(Duration::from_secs(
        u64::try_from(leaves_at - now_secs).unwrap_or(0).max(1),
    ))
}

impl Limit {
    /// `per_hour` hits per client address; counted in `db` when it is PostgreSQL.
    pub fn per_hour(name: &'static str, per_hour: u32, db: &Database) -> Limit {
        Limit {
            name,
            per_hour,
            memory: RateLimit::per_hour(per_hour),
            shared: (db.backend() == Backend::Postgres).then(|| db.clone()),
        }
    }

    /// The count in this instance's memory (on PostgreSQL, beside the shared one).
    pub fn memory(&self) -> &RateLimit {
        &self.memory
    }

    /// Whether the count is shared by every instance on the database.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// Whether one more hit is allowed now; does not count it.
    pub async fn check(&self, addr: IpAddr) -> Result<(), RetryAfter> {
        let Some(db) = &self.shared else {
            return self.memory.check(addr, Instant::now());
        };
        let (name, bucket) = (self.name, address_bucket(addr).to_string());
        let now = crate::clock::now_utc();
        let minute = minute_of(now);
        let window = db
            .read(move |conn| rate_limits::window(conn, name, &bucket, minute, WINDOW_MINUTES))
            .await;
        match window {
            Ok(w) if w.hits >= i64::from(self.per_hour) => Err(retry_after(w.oldest, now)),
            Ok(_) => Ok(()),
            Err(error) => {
                // A limit is a guard, not a gate: the request goes on and its own database
                // work reports the trouble.
                tracing::warn!(limit = name, error = %error, "shared limit unreadable");
                Ok(())
            }
        }
    }

    /// Counts a hit.
    pub async fn record(&self, addr: IpAddr) {
        let Some(db) = &self.shared else {
            return self.memory.record(addr, Instant::now());
        };
        let (name, bucket) = (self.name, address_bucket(addr).to_string());
        let minute = minute_of(crate::clock::now_utc());
        // One statement, committed on its own.
        if let Err(error) = db
            .read(move |conn| rate_limits::add(conn, name, &bucket, minute, WINDOW_MINUTES))
            .await
        {
            tracing::warn!(limit = name, error = %error, "shared limit not counted");
        }
    }

    /// Counts a hit if the limit allows it, in one step: racers on other instances cannot
    /// pass the check together.
    pub async fn hit(&self, addr: IpAddr) -> Result<(), RetryAfter> {
        let Some(db) = &self.shared else {
            return self.memory.hit(addr, Instant::now());
        };
        let (name, bucket) = (self.name, address_bucket(addr).to_string());
        let now = crate::clock::now_utc();
        let minute = minute_of(now);
        let per_hour = i64::from(self.per_hour);
        let counted = db
            .read(move |conn| {
                let window = rate_limits::add(conn, name, &bucket, minute, WINDOW_MINUTES)?;
                if window.hits > per_hour {
                    rate_limits::remove(conn, name, &bucket, minute)?;
                }
                Ok(window)
            })
            .await;
        match counted {
            Ok(w) if w.hits > per_hour => Err(retry_after(w.oldest, now)),
            Ok(_) => Ok(()),
            Err(error) => {
                tracing::warn!(limit = name, error = %error, "shared limit not counted");
                Ok(())
            }
        }
    }
}

/// The first minute whose hits a window still reaches: older ones can be deleted.
pub fn forget_before(now: chrono::NaiveDateTime) -> i64 {
    minute_of(now) - WINDOW_MINUTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_ends_when_the_oldest_minute_leaves_the_window() {
        let now = chrono::DateTime::from_timestamp(60 * 1000 + 30, 0)
            .unwrap()
            .naive_utc();
        // Hits in minute 990 leave the window at the start of minute 1050.
        assert_eq!(
            retry_after(Some(990), now).0,
            Duration::from_secs(50 * 60 - 30)
        );
        assert_eq!(retry_after(None, now).0, Duration::from_secs(60));
        // Never zero: a client told to wait 0 s would retry at once.
        assert_eq!(retry_after(Some(900), now).0, Duration::from_secs(1));
    }
}
