//! Use cases that join the pure rules of `domain` with the database and the outbox: each
//! builds every row of one change first, then writes them in one transaction.

pub mod filing;
pub mod jurisdiction;
pub mod manage;
pub mod resident;
pub mod seed_demo;
pub mod triage;
pub mod users;
pub mod withdrawal;

use chrono::{NaiveDateTime, Timelike, Utc};

use crate::db::DbError;
use crate::errors::AppError;

/// Why a change to a complaint was not written: someone changed it first (the version
/// check), or the database failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    #[error("the complaint changed since it was read")]
    Stale,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<WriteError> for AppError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::Stale => AppError::Conflict,
            WriteError::Db(e) => e.into(),
        }
    }
}

/// Now, in UTC, to the microsecond (PostgreSQL keeps no more; both backends then agree).
pub fn now_utc() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}
