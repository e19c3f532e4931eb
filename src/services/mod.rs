//! Use cases that join the pure rules of `domain` with the database and the outbox: each
//! builds every row of one change first, then writes them in one transaction.

pub mod filing;
pub mod jurisdiction;
pub mod resident;
pub mod triage;
pub mod users;
pub mod withdrawal;

use chrono::{NaiveDateTime, Timelike, Utc};

/// Now, in UTC, to the microsecond (PostgreSQL keeps no more; both backends then agree).
pub fn now_utc() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}
