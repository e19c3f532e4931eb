//! Several cases at once (issue 16): one action asked of many cases, each going through
//! `services::case::act` — the one write path — with its own version checked, in its own
//! transaction. A case the member may not see is refused like one the rules refuse, and
//! named nowhere.

use chrono::NaiveDateTime;

use crate::db::reference::ReferenceData;
use crate::db::Database;
use crate::domain::access::StaffMember;
use crate::domain::complaint::{ActionArgument, StaffAction};
use crate::domain::ids::ComplaintId;
use crate::services::case::{self, ActionRequest, CaseSettings};
use crate::services::ServiceError;

/// What is asked of every selected case.
#[derive(Debug, Clone)]
pub enum BulkAction {
    /// Assign to this username of the lead department.
    Assign(String),
    /// Add this internal note.
    Note(String),
}

/// One selected case: its id and the version the page showed (`None`: none was sent).
#[derive(Debug, Clone)]
pub struct Selected {
    pub id: ComplaintId,
    pub version: Option<i32>,
}

/// Which cases took the action: the public numbers of those done and of those changed
/// since the page was shown, and how many were refused (unseen, not allowed, no version).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    pub done: Vec<String>,
    pub stale: Vec<String>,
    pub refused: usize,
}

pub async fn bulk(
    db: &Database,
    reference: &ReferenceData,
    settings: &CaseSettings,
    member: &StaffMember,
    selected: Vec<Selected>,
    action: BulkAction,
    now: NaiveDateTime,
) -> Result<BulkOutcome, ServiceError> {
    let mut outcome = BulkOutcome::default();
    for Selected { id, version } in selected {
        let public_id = match case::load_visible(db, member, &id).await {
            Ok(case) => case.row.public_id,
            Err(ServiceError::NotFound) => {
                outcome.refused += 1;
                continue;
            }
            Err(error) => return Err(error),
        };
        let Some(version) = version else {
            outcome.refused += 1;
            continue;
        };
        let request = match &action {
            BulkAction::Assign(user) => ActionRequest {
                action: StaffAction::Assign,
                version,
                message: None,
                argument: ActionArgument::User(user.clone()),
            },
            BulkAction::Note(note) => ActionRequest {
                action: StaffAction::Note,
                version,
                message: Some(note.clone()),
                argument: ActionArgument::None,
            },
        };
        match case::act(db, reference, settings, member, &id, request, now).await {
            Ok(()) => outcome.done.push(public_id),
            Err(ServiceError::Stale) => outcome.stale.push(public_id),
            Err(
                ServiceError::NotFound
                | ServiceError::Forbidden
                | ServiceError::NotAllowed(_)
                | ServiceError::Argument(_),
            ) => outcome.refused += 1,
            Err(error) => return Err(error),
        }
    }
    Ok(outcome)
}
