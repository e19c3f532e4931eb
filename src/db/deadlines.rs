//! Deadline records (issue 10): written with the filing or action that starts, meets, moves
//! or supersedes them, marked by the sweeper, read by the pages and the bulletin.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::deadlines;
use super::{AnyConnection, DbError};
use crate::domain::deadlines::{DeadlineKind, NewDeadline, OpenDeadline, RecordChange};
use crate::domain::ids::{ComplaintId, DepartmentCode};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = deadlines)]
pub struct DeadlineRow {
    pub id: i64,
    pub complaint_id: ComplaintId,
    pub department_code: DepartmentCode,
    pub kind: DeadlineKind,
    pub started_on: NaiveDate,
    pub due_on: NaiveDate,
    /// The city date the clock stopped; `None` while it runs.
    pub paused_on: Option<NaiveDate>,
    pub met_at: Option<NaiveDateTime>,
    pub superseded_at: Option<NaiveDateTime>,
    pub reminded_at: Option<NaiveDateTime>,
    pub overdue_at: Option<NaiveDateTime>,
    pub escalated_at: Option<NaiveDateTime>,
}

impl DeadlineRow {
    /// Neither met nor superseded: the department still owes it.
    pub fn is_open(&self) -> bool {
        self.met_at.is_none() && self.superseded_at.is_none()
    }

    /// Escalated to the office (督办) and still owed (the queue's `escalated=1`).
    pub fn is_escalated(&self) -> bool {
        self.is_open() && self.escalated_at.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = deadlines)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewDeadlineRow {
    pub complaint_id: ComplaintId,
    pub department_code: DepartmentCode,
    pub kind: DeadlineKind,
    pub started_on: NaiveDate,
    pub due_on: NaiveDate,
    pub paused_on: Option<NaiveDate>,
    pub met_at: Option<NaiveDateTime>,
    pub superseded_at: Option<NaiveDateTime>,
    pub reminded_at: Option<NaiveDateTime>,
    pub overdue_at: Option<NaiveDateTime>,
    pub escalated_at: Option<NaiveDateTime>,
}

/// Every deadline of a case, oldest first.
pub fn of_complaint(
    conn: &mut AnyConnection,
    complaint: &ComplaintId,
) -> Result<Vec<DeadlineRow>, DbError> {
    Ok(deadlines::table
        .filter(deadlines::complaint_id.eq(complaint))
        .order(deadlines::id.asc())
        .select(DeadlineRow::as_select())
        .load(conn)?)
}

/// Every deadline of the listed cases (a queue page), oldest first.
pub fn of_complaints(
    conn: &mut AnyConnection,
    ids: Vec<String>,
) -> Result<Vec<DeadlineRow>, DbError> {
    Ok(deadlines::table
        .filter(deadlines::complaint_id.eq_any(ids))
        .order(deadlines::id.asc())
        .select(DeadlineRow::as_select())
        .load(conn)?)
}

/// Every deadline still owed, its clock running, that fell due before `today`.
pub fn overdue(conn: &mut AnyConnection, today: NaiveDate) -> Result<Vec<DeadlineRow>, DbError> {
    Ok(deadlines::table
        .filter(deadlines::met_at.is_null())
        .filter(deadlines::superseded_at.is_null())
        .filter(deadlines::paused_on.is_null())
        .filter(deadlines::due_on.lt(today))
        .order(deadlines::id.asc())
        .select(DeadlineRow::as_select())
        .load(conn)?)
}

/// One statement a row: the MultiConnection has no batch insert (STACK.md), and a change
/// starts one or two deadlines.
pub fn insert(conn: &mut AnyConnection, rows: &[NewDeadlineRow]) -> Result<(), DbError> {
    for row in rows {
        diesel::insert_into(deadlines::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Writes a change's record changes, on the city date `today` at `now`. Only open records
/// are met, superseded, paused or moved, so a record settled meanwhile stays as it is.
pub fn apply(
    conn: &mut AnyConnection,
    complaint: &ComplaintId,
    changes: &[RecordChange],
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let open = deadlines::met_at
        .is_null()
        .and(deadlines::superseded_at.is_null());
    for change in changes {
        match change {
            RecordChange::Start(new) => {
                insert(conn, &[started(complaint, new, today, now)])?;
            }
            RecordChange::Meet(id) => {
                diesel::update(deadlines::table.find(id).filter(open))
                    .set(deadlines::met_at.eq(now))
                    .execute(conn)?;
            }
            RecordChange::Supersede(id) => {
                diesel::update(deadlines::table.find(id).filter(open))
                    .set(deadlines::superseded_at.eq(now))
                    .execute(conn)?;
            }
            RecordChange::Pause(id) => {
                diesel::update(deadlines::table.find(id).filter(open))
                    .set(deadlines::paused_on.eq(today))
                    .execute(conn)?;
            }
            RecordChange::Resume { id, due_on } => {
                diesel::update(deadlines::table.find(id).filter(open))
                    .set(resumed(*due_on))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// The columns a restart sets: the moved date, the clock running, and a fresh reminder
/// owed before the new date.
#[allow(clippy::type_complexity)]
fn resumed(
    due_on: NaiveDate,
) -> (
    diesel::dsl::Eq<deadlines::due_on, NaiveDate>,
    diesel::dsl::Eq<deadlines::paused_on, Option<NaiveDate>>,
    diesel::dsl::Eq<deadlines::reminded_at, Option<NaiveDateTime>>,
) {
    (
        deadlines::due_on.eq(due_on),
        deadlines::paused_on.eq(None::<NaiveDate>),
        deadlines::reminded_at.eq(None::<NaiveDateTime>),
    )
}

/// The same changes on records held in memory (the demo seeder's histories), numbering
/// new records from `next_id`: what `apply` leaves in the database.
pub fn apply_in_memory(
    rows: &mut Vec<DeadlineRow>,
    complaint: &ComplaintId,
    changes: &[RecordChange],
    today: NaiveDate,
    now: NaiveDateTime,
    next_id: &mut i64,
) {
    for change in changes {
        if let RecordChange::Start(new) = change {
            *next_id += 1;
            let row = started(complaint, new, today, now);
            rows.push(DeadlineRow::from_new(*next_id, row));
            continue;
        }
        let (RecordChange::Meet(id)
        | RecordChange::Supersede(id)
        | RecordChange::Pause(id)
        | RecordChange::Resume { id, .. }) = change
        else {
            continue;
        };
        let Some(row) = rows.iter_mut().find(|r| r.id == *id && r.is_open()) else {
            continue;
        };
        match change {
            RecordChange::Meet(_) => row.met_at = Some(now),
            RecordChange::Supersede(_) => row.superseded_at = Some(now),
            RecordChange::Pause(_) => row.paused_on = Some(today),
            RecordChange::Resume { due_on, .. } => {
                row.due_on = *due_on;
                row.paused_on = None;
                row.reminded_at = None;
            }
            RecordChange::Start(_) => {}
        }
    }
}

/// The record a change starts on the city date `today`.
pub fn started(
    complaint: &ComplaintId,
    new: &NewDeadline,
    today: NaiveDate,
    now: NaiveDateTime,
) -> NewDeadlineRow {
    NewDeadlineRow {
        complaint_id: complaint.clone(),
        department_code: new.department.clone(),
        kind: new.kind,
        started_on: today,
        due_on: new.due_on,
        paused_on: None,
        met_at: new.met.then_some(now),
        superseded_at: None,
        reminded_at: None,
        overdue_at: None,
        escalated_at: None,
    }
}

impl DeadlineRow {
    pub fn from_new(id: i64, new: NewDeadlineRow) -> DeadlineRow {
        DeadlineRow {
            id,
            complaint_id: new.complaint_id,
            department_code: new.department_code,
            kind: new.kind,
            started_on: new.started_on,
            due_on: new.due_on,
            paused_on: new.paused_on,
            met_at: new.met_at,
            superseded_at: new.superseded_at,
            reminded_at: new.reminded_at,
            overdue_at: new.overdue_at,
            escalated_at: new.escalated_at,
        }
    }

    pub fn into_new(self) -> NewDeadlineRow {
        NewDeadlineRow {
            complaint_id: self.complaint_id,
            department_code: self.department_code,
            kind: self.kind,
            started_on: self.started_on,
            due_on: self.due_on,
            paused_on: self.paused_on,
            met_at: self.met_at,
            superseded_at: self.superseded_at,
            reminded_at: self.reminded_at,
            overdue_at: self.overdue_at,
            escalated_at: self.escalated_at,
        }
    }

    /// The record as the write path's rules see it, if still open.
    pub fn as_open(&self) -> Option<OpenDeadline> {
        self.is_open().then(|| OpenDeadline {
            id: self.id,
            kind: self.kind,
            department: self.department_code.clone(),
            due_on: self.due_on,
            paused_on: self.paused_on,
        })
    }
}

/// The open, running deadlines due by `horizon` that still owe one of the sweeper's
/// effects, after `after_id` in id order.
macro_rules! sweepable {
    ($horizon:expr, $after_id:expr, $limit:expr) => {
        deadlines::table
            .filter(deadlines::met_at.is_null())
            .filter(deadlines::superseded_at.is_null())
            .filter(deadlines::escalated_at.is_null())
            .filter(deadlines::paused_on.is_null())
            .filter(deadlines::due_on.le($horizon))
            .filter(deadlines::id.gt($after_id))
            .order(deadlines::id)
            .limit($limit)
            .select(DeadlineRow::as_select())
    };
}

/// Claims the next `limit` sweepable deadlines for this transaction (which must be a write
/// transaction). PostgreSQL: `FOR UPDATE SKIP LOCKED`, so a second sweeper (another
/// instance or a `sweep` command) passes over them instead of acting twice; SQLite: the
/// transaction holds the only write lock.
pub fn claim_sweepable(
    conn: &mut AnyConnection,
    horizon: NaiveDate,
    after_id: i64,
    limit: i64,
) -> Result<Vec<DeadlineRow>, DbError> {
    Ok(match conn {
        AnyConnection::Postgresql(pg) => sweepable!(horizon, after_id, limit)
            .for_update()
            .skip_locked()
            .load(pg)?,
        AnyConnection::Sqlite(sqlite) => sweepable!(horizon, after_id, limit).load(sqlite)?,
    })
}

/// A mark the sweeper sets once per deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepMark {
    Reminded,
    Overdue,
    Escalated,
}

/// Sets `mark` on an open deadline unless it is set already; `false` when another pass
/// got there first (the caller then writes nothing of that effect).
pub fn set_mark(
    conn: &mut AnyConnection,
    id: i64,
    mark: SweepMark,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let open = deadlines::table
        .find(id)
        .filter(deadlines::met_at.is_null())
        .filter(deadlines::superseded_at.is_null());
    let updated = match mark {
        SweepMark::Reminded => diesel::update(open.filter(deadlines::reminded_at.is_null()))
            .set(deadlines::reminded_at.eq(now))
            .execute(conn)?,
        SweepMark::Overdue => diesel::update(open.filter(deadlines::overdue_at.is_null()))
            .set(deadlines::overdue_at.eq(now))
            .execute(conn)?,
        SweepMark::Escalated => diesel::update(open.filter(deadlines::escalated_at.is_null()))
            .set(deadlines::escalated_at.eq(now))
            .execute(conn)?,
    };
    Ok(updated == 1)
}
