//! The deadline sweeper (issue 10): one pass reminds departments of deadlines coming due,
//! marks the ones that passed, escalates the late ones to the coordination office (督办)
//! and closes resolved cases nobody rated in time. It runs every minute inside the service
//! and as `green-channel sweep`; each effect happens once per deadline however many passes,
//! instances or commands run, because the mark, the event and the emails of an effect are
//! written in one transaction that first claims the deadline.

use std::fmt;

use chrono::{Duration, NaiveDateTime};

use crate::db::bulletin;
use crate::db::complaints::{self, ComplaintRow, NewEventRow};
use crate::db::deadlines::{self, DeadlineRow, SweepMark};
use crate::db::outbox;
use crate::db::reference::ReferenceData;
use crate::db::{users, AnyConnection, Database, DbError};
use crate::domain::calendar::city_date;
use crate::domain::complaint::{ActorKind, EventKind};
use crate::domain::deadlines::{due_effects, REMIND_WITHIN_WORKING_DAYS};
use crate::domain::ids::ComplaintId;
use crate::mail::messages::{CaseContext, DepartmentNotice};
use crate::mail::OutgoingEmail;
use crate::services::case::{self, Actor, CaseSettings, Command};
use crate::services::ServiceError;

/// Deadlines claimed per transaction: short transactions, so clerks' actions never wait
/// long behind a pass.
const BATCH: i64 = 50;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepCounts {
    pub reminded: usize,
    pub overdue: usize,
    pub escalated: usize,
    pub closed: usize,
}

impl SweepCounts {
    pub fn is_empty(&self) -> bool {
        *self == SweepCounts::default()
    }
}

/// The line `green-channel sweep` prints (DESIGN §4 names it).
impl fmt::Display for SweepCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "reminded {}, overdue {}, escalated {}, closed {}",
            self.reminded, self.overdue, self.escalated, self.closed
        )
    }
}

/// Called after the claim of each batch, before its effects are written: the sweep
/// command's `--hold-after-claim` waits here, so a test can kill it mid-transaction.
pub type AfterClaim = Box<dyn Fn(usize) + Send + Sync>;

/// One pass as of `now`.
pub async fn sweep(
    db: &Database,
    reference: &ReferenceData,
    settings: &CaseSettings,
    now: NaiveDateTime,
    after_claim: Option<std::sync::Arc<AfterClaim>>,
) -> Result<SweepCounts, ServiceError> {
    let mut counts = SweepCounts::default();
    let mut after_id = 0;
    loop {
        let reference = reference.clone();
        let base_url = settings.base_url.clone();
        let hook = after_claim.clone();
        let batch = db
            .write(move |conn| {
                sweep_batch(conn, &reference, &base_url, now, after_id, hook.as_deref())
            })
            .await?;
        counts.reminded += batch.counts.reminded;
        counts.overdue += batch.counts.overdue;
        counts.escalated += batch.counts.escalated;
        match batch.last_id {
            Some(id) => after_id = id,
            None => break,
        }
    }
    // Joint actions' member tasks are deadlines too (issue 13).
    let tasks = super::joint_actions::sweep_tasks(db, reference, &settings.base_url, now).await?;
    counts.reminded += tasks.reminded;
    counts.overdue += tasks.overdue;
    counts.escalated += tasks.escalated;
    counts.closed = close_unrated(db, reference, settings, now).await?;
    super::businesses::advance_window(db, now).await?;
    Ok(counts)
}

struct Batch {
    counts: SweepCounts,
    /// The last deadline claimed; `None` when there was none left.
    last_id: Option<i64>,
}

/// Claims a batch of deadlines and writes each effect it owes: mark, event, emails.
fn sweep_batch(
    conn: &mut AnyConnection,
    reference: &ReferenceData,
    base_url: &str,
    now: NaiveDateTime,
    after_id: i64,
    after_claim: Option<&AfterClaim>,
) -> Result<Batch, ServiceError> {
    let calendar = &reference.calendar;
    let today = city_date(now);
    let horizon = calendar.add_working_days(today, REMIND_WITHIN_WORKING_DAYS);
    let claimed = deadlines::claim_sweepable(conn, horizon, after_id, BATCH)?;
    if let Some(hook) = after_claim {
        hook(claimed.len());
    }
    let mut counts = SweepCounts::default();
    for deadline in &claimed {
        let Some(row) = complaints::find(conn, &deadline.complaint_id)? else {
            continue;
        };
        let due = due_effects(calendar, deadline.due_on, false, row.designated, today);
        let context = CaseContext::of(&row, reference, base_url)?;
        let notice = |make: fn(String, _, _) -> DepartmentNotice| {
            make(
                deadline.department_code.to_string(),
                deadline.kind,
                deadline.due_on,
            )
        };
        if due.remind && deadline.reminded_at.is_none() {
            let email = context.to_department(&notice(|department, deadline, due_on| {
                DepartmentNotice::DeadlineReminder {
                    department,
                    deadline,
                    due_on,
                }
            }))?;
            let assignee = assignee_email(conn, &row, deadline)?;
            if effect(
                conn,
                deadline,
                SweepMark::Reminded,
                None,
                email,
                assignee,
                now,
            )? {
                counts.reminded += 1;
            }
        }
        if due.overdue && deadline.overdue_at.is_none() {
            let email = context.to_department(&notice(|department, deadline, due_on| {
                DepartmentNotice::DeadlineOverdue {
                    department,
                    deadline,
                    due_on,
                }
            }))?;
            let supervisors = users::supervisor_emails(conn, &deadline.department_code)?;
            let event = Some(EventKind::Overdue);
            if effect(
                conn,
                deadline,
                SweepMark::Overdue,
                event,
                email,
                supervisors,
                now,
            )? {
                counts.overdue += 1;
            }
        }
        if due.escalate {
            let email = context.to_department(&notice(|department, deadline, due_on| {
                DepartmentNotice::Escalated {
                    department,
                    deadline,
                    due_on,
                }
            }))?;
            let event = Some(EventKind::Escalated);
            // An escalation counts in the bulletin on its day.
            let tallies_before = bulletin::case_tallies(conn, &deadline.complaint_id, calendar)?;
            if effect(
                conn,
                deadline,
                SweepMark::Escalated,
                event,
                email,
                Vec::new(),
                now,
            )? {
                bulletin::refresh_case(conn, &deadline.complaint_id, tallies_before, calendar)?;
                counts.escalated += 1;
            }
        }
    }
    Ok(Batch {
        counts,
        last_id: claimed.last().map(|d| d.id),
    })
}

/// The clerk a reminder also goes to: the case's assignee, when the deadline is the lead's
/// and the clerk left an address.
fn assignee_email(
    conn: &mut AnyConnection,
    row: &ComplaintRow,
    deadline: &DeadlineRow,
) -> Result<Vec<String>, DbError> {
    let Some(assignee) = &row.assignee else {
        return Ok(Vec::new());
    };
    if deadline.department_code != row.lead_department {
        return Ok(Vec::new());
    }
    let user = users::find_by_id(conn, assignee)?;
    Ok(user
        .filter(|u| u.active)
        .and_then(|u| u.email)
        .into_iter()
        .collect())
}

/// Sets the mark and, if this pass set it, writes the event and the emails (the inbox's
/// message, and the same to each of `also_to`). `false` when the mark was set already.
fn effect(
    conn: &mut AnyConnection,
    deadline: &DeadlineRow,
    mark: SweepMark,
    event: Option<EventKind>,
    email: Option<OutgoingEmail>,
    also_to: Vec<String>,
    now: NaiveDateTime,
) -> Result<bool, ServiceError> {
    if !deadlines::set_mark(conn, deadline.id, mark, now)? {
        return Ok(false);
    }
    let id: &ComplaintId = &deadline.complaint_id;
    if let Some(kind) = event {
        let state = complaints::find(conn, id)?.map(|row| row.state);
        complaints::insert_event(
            conn,
            &NewEventRow {
                complaint_id: id.clone(),
                at: now,
                actor_kind: ActorKind::System,
                actor_user: None,
                kind,
                from_state: state,
                to_state: state,
                department_code: Some(deadline.department_code.clone()),
                public_message: None,
                internal_note: None,
                is_opinion: false,
            },
        )?;
    }
    let mut emails: Vec<OutgoingEmail> = Vec::new();
    if let Some(email) = email {
        for address in also_to {
            if address != email.recipient {
                emails.push(OutgoingEmail {
                    recipient: address,
                    ..email.clone()
                });
            }
        }
        emails.insert(0, email);
    }
    for row in case::outbox_rows(&emails, id, now) {
        outbox::insert(conn, &row)?;
    }
    Ok(true)
}

/// Closes the resolved cases whose rating window has passed, each through the case's own
/// write path (a case rated or reopened meanwhile is left alone: its version moved).
async fn close_unrated(
    db: &Database,
    reference: &ReferenceData,
    settings: &CaseSettings,
    now: NaiveDateTime,
) -> Result<usize, ServiceError> {
    let cutoff = now - Duration::days(i64::from(settings.rating_window_days));
    let mut closed = 0;
    let mut after = ComplaintId::from("");
    loop {
        let from = after.clone();
        let ids = db
            .read(move |conn| complaints::resolved_before(conn, cutoff, &from, BATCH))
            .await?;
        let Some(last) = ids.last() else {
            break;
        };
        after = last.clone();
        for id in ids {
            let Some(case) = case::load(db, &id).await? else {
                continue;
            };
            let version = case.row.version;
            let command = Command::CloseUnrated;
            match case::apply(
                db,
                reference,
                settings,
                &case,
                &Actor::System,
                command,
                version,
                now,
            )
            .await
            {
                Ok(()) => closed += 1,
                // Another pass, or the complainant, changed it first.
                Err(ServiceError::Stale | ServiceError::NotAllowed(_)) => {}
                Err(error) => return Err(error),
            }
        }
    }
    Ok(closed)
}

/// The sweeper inside the service: a pass every `interval`, until `stop` turns true.
pub struct SweeperTask {
    pub db: Database,
    pub settings: CaseSettings,
    pub interval: std::time::Duration,
    /// Passes finished, for `/metrics` (`green_channel_sweeper_passes_total`).
    pub passes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl SweeperTask {
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(interval = ?self.interval, "deadline sweeper started");
        loop {
            if *stop.borrow() {
                break;
            }
            match self.pass().await {
                Ok(counts) if !counts.is_empty() => tracing::info!(%counts, "sweeper pass"),
                Ok(_) => {}
                Err(error) => tracing::error!(error = %error, "sweeper pass failed"),
            }
            self.passes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
        tracing::info!("deadline sweeper stopped");
    }

    /// One pass of the deadlines, then the week's digest if it is due and has not gone.
    async fn pass(&self) -> Result<SweepCounts, ServiceError> {
        let reference = self.db.read(ReferenceData::load).await?;
        let now = crate::clock::now_utc();
        let counts = sweep(&self.db, &reference, &self.settings, now, None).await?;
        let digests =
            super::digest::send_digests(&self.db, &reference, &self.settings.base_url, now, false)
                .await?;
        if digests > 0 {
            tracing::info!(digests, "weekly digest sent");
        }
        Ok(counts)
    }
}
