//! Joint actions (issue 13): the action, its member tasks (deadlines the sweeper walks and
//! the bulletin counts), its linked cases and its timeline. Who may see or change what is
//! decided in `services::joint_actions`, not here.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{
    complaints, joint_action_cases, joint_action_events, joint_action_members, joint_actions,
};
use super::{AnyConnection, DbError};
use crate::domain::bulletin::{task_tallies, OwedTask, Tally, TaskFact};
use crate::domain::calendar::city_date;
use crate::domain::joint_action::{JointEventKind, JointOutcome, JointState};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = joint_actions)]
pub struct JointActionRow {
    pub id: i64,
    pub title: String,
    pub lead_department: String,
    pub state: JointState,
    pub business_id: Option<i64>,
    pub outcome: Option<JointOutcome>,
    pub summary: Option<String>,
    pub cancel_reason: Option<String>,
    pub version: i32,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = joint_actions)]
pub struct NewJointActionRow {
    pub title: String,
    pub lead_department: String,
    pub state: JointState,
    pub business_id: Option<i64>,
    pub version: i32,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = joint_action_members)]
pub struct MemberRow {
    pub id: i64,
    pub action_id: i64,
    pub department_code: String,
    pub task: String,
    pub started_on: NaiveDate,
    pub due_on: NaiveDate,
    pub reported_at: Option<NaiveDateTime>,
    pub reported_by: Option<String>,
    pub report: Option<String>,
    pub superseded_at: Option<NaiveDateTime>,
    pub reminded_at: Option<NaiveDateTime>,
    pub overdue_at: Option<NaiveDateTime>,
    pub escalated_at: Option<NaiveDateTime>,
}

impl MemberRow {
    /// Neither reported nor ended with its action: the department still owes it.
    pub fn is_open(&self) -> bool {
        self.reported_at.is_none() && self.superseded_at.is_none()
    }

    /// The task as the bulletin reads it.
    pub fn fact(&self) -> TaskFact {
        TaskFact {
            department: self.department_code.clone(),
            due_on: self.due_on,
            reported_on: self.reported_at.map(city_date),
            ended_on: self
                .superseded_at
                .filter(|_| self.reported_at.is_none())
                .map(city_date),
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = joint_action_members)]
pub struct NewMemberRow {
    pub action_id: i64,
    pub department_code: String,
    pub task: String,
    pub started_on: NaiveDate,
    pub due_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = joint_action_events)]
pub struct JointEventRow {
    pub id: i64,
    pub action_id: i64,
    pub at: NaiveDateTime,
    pub actor_user: Option<String>,
    pub kind: JointEventKind,
    pub department_code: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = joint_action_events)]
pub struct NewJointEventRow {
    pub action_id: i64,
    pub at: NaiveDateTime,
    pub actor_user: Option<String>,
    pub kind: JointEventKind,
    pub department_code: Option<String>,
    pub note: Option<String>,
}

pub fn insert_action(conn: &mut AnyConnection, row: &NewJointActionRow) -> Result<i64, DbError> {
    Ok(diesel::insert_into(joint_actions::table)
        .values(row)
        .returning(joint_actions::id)
        .get_result(conn)?)
}

pub fn insert_member(conn: &mut AnyConnection, row: &NewMemberRow) -> Result<(), DbError> {
    diesel::insert_into(joint_action_members::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn insert_case(
    conn: &mut AnyConnection,
    action_id: i64,
    complaint_id: &str,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::insert_into(joint_action_cases::table)
        .values((
            joint_action_cases::action_id.eq(action_id),
            joint_action_cases::complaint_id.eq(complaint_id),
            joint_action_cases::added_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn insert_event(conn: &mut AnyConnection, row: &NewJointEventRow) -> Result<(), DbError> {
    diesel::insert_into(joint_action_events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<JointActionRow>, DbError> {
    Ok(joint_actions::table
        .find(id)
        .select(JointActionRow::as_select())
        .first(conn)
        .optional()?)
}

/// The members of an action in the order they were added.
pub fn members_of(conn: &mut AnyConnection, id: i64) -> Result<Vec<MemberRow>, DbError> {
    Ok(joint_action_members::table
        .filter(joint_action_members::action_id.eq(id))
        .order(joint_action_members::id.asc())
        .select(MemberRow::as_select())
        .load(conn)?)
}

/// The ids of the cases linked to an action, in the order they were linked.
pub fn cases_of(conn: &mut AnyConnection, id: i64) -> Result<Vec<String>, DbError> {
    Ok(joint_action_cases::table
        .filter(joint_action_cases::action_id.eq(id))
        .order((
            joint_action_cases::added_at.asc(),
            joint_action_cases::complaint_id.asc(),
        ))
        .select(joint_action_cases::complaint_id)
        .load(conn)?)
}

pub fn events_of(conn: &mut AnyConnection, id: i64) -> Result<Vec<JointEventRow>, DbError> {
    Ok(joint_action_events::table
        .filter(joint_action_events::action_id.eq(id))
        .order(joint_action_events::id.asc())
        .select(JointEventRow::as_select())
        .load(conn)?)
}

/// At most this many actions on the list page.
const LIST_MAX: i64 = 500;

/// The newest actions: every one (`None`), or those `department` is a member of.
pub fn list(
    conn: &mut AnyConnection,
    department: Option<&str>,
) -> Result<Vec<JointActionRow>, DbError> {
    let query = joint_actions::table
        .order((joint_actions::created_at.desc(), joint_actions::id.desc()))
        .limit(LIST_MAX)
        .select(JointActionRow::as_select());
    Ok(match department {
        None => query.load(conn)?,
        Some(code) => query
            .filter(
                joint_actions::id.eq_any(
                    joint_action_members::table
                        .filter(joint_action_members::department_code.eq(code.to_owned()))
                        .select(joint_action_members::action_id),
                ),
            )
            .load(conn)?,
    })
}

/// The actions a case is linked to, oldest first.
pub fn actions_of_case(
    conn: &mut AnyConnection,
    complaint_id: &str,
) -> Result<Vec<JointActionRow>, DbError> {
    Ok(joint_actions::table
        .filter(
            joint_actions::id.eq_any(
                joint_action_cases::table
                    .filter(joint_action_cases::complaint_id.eq(complaint_id.to_owned()))
                    .select(joint_action_cases::action_id),
            ),
        )
        .order(joint_actions::id.asc())
        .select(JointActionRow::as_select())
        .load(conn)?)
}

/// Of `ids`, those that are complaints.
pub fn existing_cases(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<String>, DbError> {
    Ok(complaints::table
        .filter(complaints::id.eq_any(ids))
        .select(complaints::id)
        .load(conn)?)
}

/// Moves an action from `version` on, with `state` and the ending's columns when given;
/// `false` when the version moved meanwhile.
pub fn bump(
    conn: &mut AnyConnection,
    id: i64,
    version: i32,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        joint_actions::table
            .find(id)
            .filter(joint_actions::version.eq(version)),
    )
    .set((
        joint_actions::version.eq(version + 1),
        joint_actions::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// How an action ends.
pub enum Ending {
    Concluded {
        outcome: JointOutcome,
        summary: String,
    },
    Cancelled {
        reason: String,
    },
}

/// Ends an open action (after `bump` in the same transaction) and its open tasks.
pub fn end(
    conn: &mut AnyConnection,
    id: i64,
    ending: &Ending,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let target = joint_actions::table.find(id);
    match ending {
        Ending::Concluded { outcome, summary } => diesel::update(target)
            .set((
                joint_actions::state.eq(JointState::Concluded),
                joint_actions::outcome.eq(Some(*outcome)),
                joint_actions::summary.eq(Some(summary.as_str())),
                joint_actions::ended_at.eq(Some(now)),
            ))
            .execute(conn)?,
        Ending::Cancelled { reason } => diesel::update(target)
            .set((
                joint_actions::state.eq(JointState::Cancelled),
                joint_actions::cancel_reason.eq(Some(reason.as_str())),
                joint_actions::ended_at.eq(Some(now)),
            ))
            .execute(conn)?,
    };
    diesel::update(
        joint_action_members::table
            .filter(joint_action_members::action_id.eq(id))
            .filter(joint_action_members::reported_at.is_null())
            .filter(joint_action_members::superseded_at.is_null()),
    )
    .set(joint_action_members::superseded_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// Records a member's report of its task; `false` when it was reported already.
pub fn report(
    conn: &mut AnyConnection,
    member_id: i64,
    user: &str,
    text: &str,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        joint_action_members::table
            .find(member_id)
            .filter(joint_action_members::reported_at.is_null())
            .filter(joint_action_members::superseded_at.is_null()),
    )
    .set((
        joint_action_members::reported_at.eq(Some(now)),
        joint_action_members::reported_by.eq(Some(user)),
        joint_action_members::report.eq(Some(text)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Tasks still owed that fell due before `today`, by department and due date.
pub fn owed_tasks(conn: &mut AnyConnection, today: NaiveDate) -> Result<Vec<OwedTask>, DbError> {
    let rows: Vec<(String, NaiveDate, i64)> = joint_action_members::table
        .filter(joint_action_members::reported_at.is_null())
        .filter(joint_action_members::superseded_at.is_null())
        .filter(joint_action_members::due_on.lt(today))
        .group_by((
            joint_action_members::department_code,
            joint_action_members::due_on,
        ))
        .select((
            joint_action_members::department_code,
            joint_action_members::due_on,
            diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(COUNT(*) AS BIGINT)"),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(department, due_on, count)| OwedTask {
            department,
            due_on,
            count,
        })
        .collect())
}

/// Every task's tallies (a recount of the bulletin).
pub fn all_task_tallies(conn: &mut AnyConnection) -> Result<Vec<Tally>, DbError> {
    let rows: Vec<MemberRow> = joint_action_members::table
        .filter(
            joint_action_members::reported_at
                .is_not_null()
                .or(joint_action_members::superseded_at.is_not_null()),
        )
        .order(joint_action_members::id.asc())
        .select(MemberRow::as_select())
        .load(conn)?;
    Ok(rows.iter().flat_map(|m| task_tallies(&m.fact())).collect())
}

/// The open tasks due by `horizon` that still owe one of the sweeper's effects, after
/// `after_id` in id order.
macro_rules! sweepable {
    ($horizon:expr, $after_id:expr, $limit:expr) => {
        joint_action_members::table
            .filter(joint_action_members::reported_at.is_null())
            .filter(joint_action_members::superseded_at.is_null())
            .filter(joint_action_members::escalated_at.is_null())
            .filter(joint_action_members::due_on.le($horizon))
            .filter(joint_action_members::id.gt($after_id))
            .order(joint_action_members::id)
            .limit($limit)
            .select(MemberRow::as_select())
    };
}

/// Claims the next `limit` sweepable tasks for this write transaction, like
/// `deadlines::claim_sweepable`: `FOR UPDATE SKIP LOCKED` on PostgreSQL.
pub fn claim_sweepable(
    conn: &mut AnyConnection,
    horizon: NaiveDate,
    after_id: i64,
    limit: i64,
) -> Result<Vec<MemberRow>, DbError> {
    Ok(match conn {
        AnyConnection::Postgresql(pg) => sweepable!(horizon, after_id, limit)
            .for_update()
            .skip_locked()
            .load(pg)?,
        AnyConnection::Sqlite(sqlite) => sweepable!(horizon, after_id, limit).load(sqlite)?,
    })
}

/// Sets the sweeper's `mark` on an open task unless set; `false` when another pass did.
pub fn set_mark(
    conn: &mut AnyConnection,
    id: i64,
    mark: super::deadlines::SweepMark,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    use super::deadlines::SweepMark;
    let open = joint_action_members::table
        .find(id)
        .filter(joint_action_members::reported_at.is_null())
        .filter(joint_action_members::superseded_at.is_null());
    let updated = match mark {
        SweepMark::Reminded => {
            diesel::update(open.filter(joint_action_members::reminded_at.is_null()))
                .set(joint_action_members::reminded_at.eq(Some(now)))
                .execute(conn)?
        }
        SweepMark::Overdue => {
            diesel::update(open.filter(joint_action_members::overdue_at.is_null()))
                .set(joint_action_members::overdue_at.eq(Some(now)))
                .execute(conn)?
        }
        SweepMark::Escalated => {
            diesel::update(open.filter(joint_action_members::escalated_at.is_null()))
                .set(joint_action_members::escalated_at.eq(Some(now)))
                .execute(conn)?
        }
    };
    Ok(updated == 1)
}
