//! The login throttle: after five failures a username waits, longer each time, whether or
//! not such a user exists, so the wait reveals nothing. Failures are counted per username
//! and per (username, address): a username locked by failures from elsewhere still lets a
//! correct password through from an address that has not failed, so nobody can lock a
//! clerk out from afar.

use chrono::{Duration, NaiveDateTime};

pub const FREE_FAILURES: i32 = 5;
const FIRST_WAIT_SECS: i64 = 30;
const LONGEST_WAIT_SECS: i64 = 15 * 60;
/// Failures older than this are forgotten.
pub const FORGET_AFTER_HOURS: i64 = 24;

/// When the username may try again after its `failures`-th failure at `now`.
pub fn locked_until(failures: i32, now: NaiveDateTime) -> Option<NaiveDateTime> {
    if failures < FREE_FAILURES {
        return None;
    }
    let doublings = (failures - FREE_FAILURES).min(10) as u32;
    let wait = (FIRST_WAIT_SECS << doublings).min(LONGEST_WAIT_SECS);
    Some(now + Duration::seconds(wait))
}

/// One stored count of failures (per username, or per username and address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    pub failures: i32,
    pub last_failure_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

/// Until when an attempt on a username from an address must wait, if it must: while the
/// address's own count is locked; or while the username is locked, unless the address has
/// no recent failure of its own (one try each for the addresses that have not failed).
pub fn wait_until(
    by_username: Option<&FailureCount>,
    by_address: Option<&FailureCount>,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let locked = |count: Option<&FailureCount>| {
        count
            .and_then(|c| c.locked_until)
            .filter(|until| *until > now)
    };
    if let Some(until) = locked(by_address) {
        return Some(until);
    }
    let address_failed = by_address.is_some_and(|c| {
        c.failures > 0 && (now - c.last_failure_at).num_hours() < FORGET_AFTER_HOURS
    });
    locked(by_username).filter(|_| address_failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_username_waits_only_at_addresses_that_failed() {
        let now = chrono::DateTime::from_timestamp(100_000, 0)
            .unwrap()
            .naive_utc();
        let locked = FailureCount {
            failures: 5,
            last_failure_at: now,
            locked_until: Some(now + Duration::seconds(30)),
        };
        let one_failure = FailureCount {
            failures: 1,
            last_failure_at: now,
            locked_until: None,
        };
        let long_ago = FailureCount {
            last_failure_at: now - Duration::hours(FORGET_AFTER_HOURS),
            ..one_failure
        };
        let until = Some(now + Duration::seconds(30));
        assert_eq!(wait_until(None, None, now), None);
        assert_eq!(
            wait_until(Some(&locked), None, now),
            None,
            "a fresh address"
        );
        assert_eq!(wait_until(Some(&locked), Some(&long_ago), now), None);
        assert_eq!(wait_until(Some(&locked), Some(&one_failure), now), until);
        assert_eq!(wait_until(None, Some(&locked), now), until);
        assert_eq!(wait_until(Some(&one_failure), Some(&locked), now), until);
        let expired = FailureCount {
            locked_until: Some(now),
            ..locked
        };
        assert_eq!(wait_until(Some(&expired), Some(&expired), now), None);
    }

    #[test]
    fn the_wait_grows_after_five_failures_up_to_a_ceiling() {
        let now = chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc();
        let wait = |n| locked_until(n, now).map(|t| (t - now).num_seconds());
        assert_eq!(wait(4), None);
        assert_eq!(wait(5), Some(30));
        assert_eq!(wait(6), Some(60));
        assert_eq!(wait(7), Some(120));
        assert_eq!(wait(20), Some(900));
    }
}
