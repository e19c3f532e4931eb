//! The login throttle: after five failures a username waits, longer each time, whether or
//! not such a user exists, so the wait reveals nothing.

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

#[cfg(test)]
mod tests {
    use super::*;

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
