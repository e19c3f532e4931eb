//! Use cases that join the pure rules of `domain` with the database and the outbox: each
//! builds every row of one change first, then writes them in one transaction.

pub mod filing;
pub mod jurisdiction;
pub mod resident;
pub mod seed_demo;
pub mod triage;
pub mod users;
pub mod withdrawal;

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

// Kept for callers written before the clock had a module of its own.
pub use crate::clock::now_utc;
