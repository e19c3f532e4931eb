//! What the complainant does with their tracking code besides withdrawing: supply the
//! information a department asked for, and rate the answer.

use chrono::{Duration, NaiveDateTime};

use crate::db::attachments::{self, NewAttachmentRow};
use crate::db::complaints::{self, ComplaintRow, NewEventRow};
use crate::db::outbox;
use crate::db::reference::ReferenceData;
use crate::domain::calendar::city_date;
use crate::domain::complaint::{ActorKind, CaseStatus, ComplaintState, Effect, Transition};
use crate::errors::AppError;
use crate::mail::messages::{CaseContext, CaseUpdate};
use crate::mail::OutgoingEmail;
use crate::services::filing::Attachment;
use crate::services::triage::{effects, EffectPlan};
use crate::services::WriteError;
use crate::state::AppState;

fn status(row: &ComplaintRow, now: NaiveDateTime) -> CaseStatus {
    CaseStatus {
        state: ComplaintState::parse(&row.state).unwrap_or(ComplaintState::Assigned),
        lead: row.lead_department.clone(),
        designated: row.designated,
        paused: row.paused_since.is_some(),
        within_acceptance_window: city_date(now) <= row.accept_due,
    }
}

fn event(
    row: &ComplaintRow,
    transition: &Transition,
    note: Option<String>,
    now: NaiveDateTime,
) -> NewEventRow {
    NewEventRow {
        complaint_id: row.id.clone(),
        at: now,
        actor_kind: ActorKind::Complainant.as_str().to_owned(),
        actor_user: None,
        kind: transition.event.as_str().to_owned(),
        from_state: Some(transition.from.as_str().to_owned()),
        to_state: Some(transition.to.as_str().to_owned()),
        department_code: None,
        public_message: None,
        // The complainant's own words go to the department, not to the public page.
        internal_note: note,
        is_opinion: false,
    }
}

async fn write(
    state: &AppState,
    row: &ComplaintRow,
    plan: EffectPlan,
    event: NewEventRow,
    files: Vec<Attachment>,
    emails: Vec<OutgoingEmail>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let (id, version) = (row.id.clone(), row.version);
    let emails: Vec<_> = emails
        .into_iter()
        .map(|e| e.into_outbox_row(Some(&row.id), now))
        .collect();
    let result = state
        .db
        .write(move |conn| {
            if !complaints::apply_changes(conn, &id, version, &plan.changes, now)? {
                return Err(WriteError::Stale);
            }
            let event_id = complaints::insert_event_returning_id(conn, &event)?;
            for file in &files {
                attachments::insert(
                    conn,
                    &NewAttachmentRow {
                        id: uuid::Uuid::new_v4().to_string(),
                        complaint_id: id.clone(),
                        event_id: Some(event_id),
                        file_name: file.file_name.clone(),
                        content_type: file.kind.content_type().to_owned(),
                        size_bytes: file.bytes.len() as i64,
                        data: file.bytes.clone(),
                        created_at: now,
                    },
                )?;
            }
            for row in &emails {
                outbox::insert(conn, row)?;
            }
            Ok(())
        })
        .await;
    result?;
    state.mail_wakeup.notify_one();
    Ok(())
}

fn office_code(reference: &ReferenceData) -> Result<String, AppError> {
    reference
        .office()
        .map(|d| d.code.clone())
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no coordination office")))
}

/// The complainant answers an information request: the clock runs again.
pub async fn supply_info(
    state: &AppState,
    reference: &ReferenceData,
    row: &ComplaintRow,
    message: String,
    files: Vec<Attachment>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let transition = status(row, now).supply_info()?;
    let plan = effects(reference, row, &transition, &office_code(reference)?, now)?;
    let event = event(row, &transition, Some(message), now);
    write(state, row, plan, event, files, Vec::new(), now).await
}

/// The complainant rates the answer: 1–2 within the window reopens the case and flags it
/// to the office, anything else closes it. The rating is kept either way.
pub async fn rate(
    state: &AppState,
    reference: &ReferenceData,
    row: &ComplaintRow,
    score: u8,
    comment: Option<String>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let window = Duration::days(i64::from(state.config.rating_window_days));
    let within = row
        .resolved_at
        .is_some_and(|resolved| now - resolved <= window);
    let transition = status(row, now).rate(score, within)?;
    let mut plan = effects(reference, row, &transition, &office_code(reference)?, now)?;
    plan.changes.rating_score = Some(Some(i32::from(score)));
    plan.changes.rating_comment = Some(comment.clone());
    plan.changes.rated_at = Some(Some(now));
    let event = event(row, &transition, comment, now);
    let update = match transition.effect {
        Effect::Reopen { .. } => CaseUpdate::Reopened {
            finish_due: plan.changes.finish_due.unwrap_or(row.finish_due),
        },
        _ => CaseUpdate::Closed,
    };
    let emails =
        CaseContext::of(row, reference, &state.config.base_url)?.emails(Some(&update), &[])?;
    write(state, row, plan, event, Vec::new(), emails, now).await
}
