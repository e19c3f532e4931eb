//! Use cases that join the pure rules of `domain` with the database and the outbox: each
//! builds every row of one change first, then writes them in one transaction.

pub mod bulletin;
pub mod businesses;
pub mod case;
pub mod desk;
pub mod digest;
pub mod filing;
pub mod housekeeping;
pub mod joint_actions;
pub mod jurisdiction;
pub mod limits;
pub mod manage;
pub mod open311;
pub mod seed_demo;
pub mod sign_in;
pub mod sweeper;
pub mod totp;
pub mod users;

use crate::db::DbError;
use crate::domain::complaint::TransitionError;

/// Why a service did not do what it was asked; routes turn it into a response.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No such case, or the actor may not know it exists (`404`).
    #[error("not found")]
    NotFound,
    /// The actor sees the case but may not take this action (`403`).
    #[error("forbidden")]
    Forbidden,
    /// Someone changed the case since the actor read it (`409`).
    #[error("the complaint changed since it was read")]
    Stale,
    /// The state does not allow the action (`409`).
    #[error(transparent)]
    NotAllowed(#[from] TransitionError),
    /// The action's own parameter names nothing valid (`422`, beside the field).
    #[error("refused parameter {}", .0.field)]
    Argument(case::ArgumentProblem),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

// Kept for callers written before the clock had a module of its own.
pub use crate::clock::now_utc;
