//! The complainant withdraws a case before it is resolved; they and the lead department
//! are told (DESIGN §8).

use chrono::NaiveDateTime;

use crate::db::complaints::{self, ComplaintRow, NewEventRow};
use crate::db::outbox;
use crate::db::reference::ReferenceData;
use crate::db::Database;
use crate::domain::complaint::{ActorKind, ComplaintState};
use crate::errors::AppError;
use crate::mail::messages::{CaseContext, CaseUpdate, DepartmentNotice};
use crate::services::WriteError;

pub async fn withdraw(
    db: &Database,
    reference: &ReferenceData,
    complaint: &ComplaintRow,
    reason: Option<String>,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let state = ComplaintState::parse(&complaint.state)
        .ok_or_else(|| anyhow::anyhow!("unknown state {}", complaint.state))?;
    let transition = state.withdraw()?;
    let emails = CaseContext::of(complaint, reference, base_url)?
        .emails(Some(&CaseUpdate::Withdrawn), &[DepartmentNotice::Withdrawn])?;
    let rows: Vec<_> = emails
        .into_iter()
        .map(|e| e.into_outbox_row(Some(&complaint.id), now))
        .collect();
    let event = NewEventRow {
        complaint_id: complaint.id.clone(),
        at: now,
        actor_kind: ActorKind::Complainant.as_str().to_owned(),
        actor_user: None,
        kind: transition.event.as_str().to_owned(),
        from_state: Some(transition.from.as_str().to_owned()),
        to_state: Some(transition.to.as_str().to_owned()),
        department_code: None,
        public_message: None,
        // The complainant's own words go to the department, not to the public page.
        internal_note: reason,
        is_opinion: false,
    };
    let (id, version) = (complaint.id.clone(), complaint.version);
    let to = transition.to.as_str();
    let result = db
        .write(move |conn| {
            if !complaints::set_state(conn, &id, version, to, None, now)? {
                return Err(WriteError::Stale);
            }
            complaints::insert_event(conn, &event)?;
            for row in &rows {
                outbox::insert(conn, row)?;
            }
            Ok(())
        })
        .await;
    Ok(result?)
}
