//! The wall clock, in the one precision both databases keep. Depends on nothing of ours,
//! so every layer (extractors, services, the email worker) may ask it the time.

use chrono::{NaiveDateTime, Timelike, Utc};

/// Now, in UTC, to the microsecond (PostgreSQL keeps no more; both backends then agree).
pub fn now_utc() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}
