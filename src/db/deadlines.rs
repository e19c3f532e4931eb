//! Deadline records (issue 10): written with the filing or action that starts, meets, moves
//! or supersedes them, marked by the sweeper, read by the pages and the bulletin.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::deadlines;
use super::{AnyConnection, DbError};
use crate::domain::deadlines::DeadlineKind;
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
