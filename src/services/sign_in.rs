//! Checking a staff password (sign-in, password change) against the throttles: the client
//! address's hourly limit reserved before the check, one check at a time per username,
//! the stored counts per username and per (username, address), and the bound on Argon2
//! work. Nothing here knows about HTTP; routes turn a `Checked` into a page.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{Duration, NaiveDateTime};

use crate::clock::now_utc;
use crate::db::sessions::{self, ThrottleRow};
use crate::db::Database;
use crate::domain::login::{self, FailureCount, FORGET_AFTER_HOURS};
use crate::passwords::HashingGate;
use crate::rate_limit::{address_bucket, RetryAfter};
use crate::services::limits::Limit;
use crate::services::ServiceError;

/// What a password check came to.
#[derive(Debug)]
pub enum Checked<T> {
    /// The password was right; `T` is what the check produced (e.g. the new hash). The
    /// caller clears the counts (`sessions::clear_throttle`) in its own transaction.
    Passed(T),
    /// The password was wrong and the failure is counted.
    Failed,
    /// Not checked: this client address failed too often this hour.
    RateLimited(RetryAfter),
    /// Not checked: the username waits (from this address) until then.
    Locked { until: NaiveDateTime },
    /// Not checked: every hashing slot stayed busy (`503`).
    Busy,
}

/// One async lock per username while a check of it runs; entries go when nobody holds or
/// waits for them, so the map never holds more names than requests in flight.
#[derive(Default)]
struct UsernameLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

struct UsernameLock<'a> {
    map: &'a UsernameLocks,
    username: String,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl UsernameLocks {
    async fn lock(&self, username: &str) -> UsernameLock<'_> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            locks.entry(username.to_owned()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        UsernameLock {
            map: self,
            username: username.to_owned(),
            guard: Some(guard),
        }
    }

    fn len(&self) -> usize {
        self.locks.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Drop for UsernameLock<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self.map.locks.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map still holds it: nobody waits (waiters hold a clone, taken under
        // this same mutex).
        if locks
            .get(&self.username)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            locks.remove(&self.username);
        }
    }
}

/// The throttles of this instance (the counts themselves are in the database).
pub struct SignInGuard {
    /// Failed checks per client address per hour (`LOGIN_LIMIT_PER_HOUR`): reserved in
    /// this instance's memory before the check, so that a parallel burst cannot pass it
    /// together, and on PostgreSQL counted in the database for every instance.
    pub address_limit: Limit,
    usernames: UsernameLocks,
    /// Shared with every other page that hashes (`services::manage`, password reset).
    pub hashing: Arc<HashingGate>,
}

fn count(row: Option<ThrottleRow>) -> Option<FailureCount> {
    row.map(|r| FailureCount {
        failures: r.failures,
        last_failure_at: r.last_failure_at,
        locked_until: r.locked_until,
    })
}

impl SignInGuard {
    pub fn new(address_limit: Limit, hashing: HashingGate) -> SignInGuard {
        SignInGuard {
            address_limit,
            usernames: UsernameLocks::default(),
            hashing: Arc::new(hashing),
        }
    }

    /// Usernames with a check running or waiting (for tests of the clean-up).
    pub fn usernames_in_flight(&self) -> usize {
        self.usernames.len()
    }

    /// Checks a password of `username` from `address`: `work` runs the Argon2 check (under
    /// the hashing bound) and answers `Some` when the password is right. A failure is
    /// counted in the database before the next check of the same username starts here.
    pub async fn check<T, F>(
        &self,
        db: &Database,
        username: &str,
        address: IpAddr,
        work: F,
    ) -> Result<Checked<T>, ServiceError>
    where
        F: FnOnce() -> Option<T> + Send + 'static,
        T: Send + 'static,
    {
        // Counted, in memory and in the database, by network: an IPv6 client by its /64.
        let address = address_bucket(address);
        let reservation = match self.address_limit.memory().reserve(address, Instant::now()) {
            Ok(reservation) => reservation,
            Err(retry) => return Ok(Checked::RateLimited(retry)),
        };
        if self.address_limit.is_shared() {
            if let Err(retry) = self.address_limit.check(address).await {
                return Ok(Checked::RateLimited(retry));
            }
        }
        let _one_at_a_time = self.usernames.lock(username).await;
        let now = now_utc();
        let (name, addr) = (username.to_owned(), address.to_string());
        let (by_username, by_address) = db
            .read(move |conn| {
                Ok((
                    sessions::throttle(conn, &name)?,
                    sessions::address_throttle(conn, &name, &addr)?,
                ))
            })
            .await?;
        let (by_username, by_address) = (count(by_username), count(by_address));
        if let Some(until) = login::wait_until(by_username.as_ref(), by_address.as_ref(), now) {
            return Ok(Checked::Locked { until });
        }
        let outcome = match self.hashing.run(work).await {
            Ok(outcome) => outcome?,
            Err(_busy) => return Ok(Checked::Busy),
        };
        if let Some(value) = outcome {
            return Ok(Checked::Passed(value));
        }
        let (name, addr) = (username.to_owned(), address.to_string());
        let now = now_utc();
        db.write(move |conn| {
            sessions::record_failure(
                conn,
                &name,
                &addr,
                now,
                now - Duration::hours(FORGET_AFTER_HOURS),
                |failures| login::locked_until(failures, now),
            )
        })
        .await?;
        reservation.keep();
        if self.address_limit.is_shared() {
            self.address_limit.record(address).await;
        }
        Ok(Checked::Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_username_lock_is_forgotten_when_free() {
        let locks = UsernameLocks::default();
        let first = locks.lock("clerk1").await;
        let other = locks.lock("clerk2").await;
        assert_eq!(locks.len(), 2);
        drop(other);
        assert_eq!(locks.len(), 1);
        drop(first);
        assert_eq!(locks.len(), 0, "nothing left behind");
        let again = locks.lock("clerk1").await;
        drop(again);
        assert_eq!(locks.len(), 0);
    }
}
