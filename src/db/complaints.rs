//! Complaints with their co-handlers, timeline events and search terms: the rows, the
//! filing insert, and the keyed reads of the tracking page.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{complaint_departments, complaints, events};
use super::{on_backend, AnyConnection, DbError};
use crate::domain::complaint::{
    ActorKind, Channel, ComplaintKind, ComplaintState, EventKind, Outcome,
};
use crate::domain::ids::{ComplaintId, DepartmentCode, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = complaints)]
#[diesel(treat_none_as_default_value = false)]
pub struct ComplaintRow {
    pub id: ComplaintId,
    pub tracking_code: String,
    /// The filing's idempotency key (`services::filing::submission_key`): the form's
    /// submission id bound to whoever posted it, never the id itself.
    pub submission_id: Option<String>,
    pub kind: ComplaintKind,
    pub channel: Channel,
    pub category_code: String,
    pub district_code: String,
    pub business_name: String,
    pub business_address: String,
    pub business_credit_code: Option<String>,
    pub product: Option<String>,
    pub incident_date: Option<NaiveDate>,
    pub description: String,
    pub demand: Option<String>,
    pub complainant_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub anonymous: bool,
    pub locale: String,
    pub state: ComplaintState,
    pub lead_department: DepartmentCode,
    pub routing_rule_id: Option<i64>,
    pub accept_due: NaiveDate,
    pub finish_due: Option<NaiveDate>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub assignee: Option<UserId>,
    pub designated: bool,
    pub returned_by: Option<DepartmentCode>,
    pub paused_since: Option<NaiveDateTime>,
    pub info_requested_at: Option<NaiveDateTime>,
    pub accepted_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub outcome: Option<Outcome>,
    pub reopen_count: i32,
    pub flagged_to_office: bool,
    pub rating_score: Option<i32>,
    pub rating_comment: Option<String>,
    pub rated_at: Option<NaiveDateTime>,
    /// The deadline running now; `None` while the clock is stopped or the case is over.
    pub current_due: Option<NaiveDate>,
    /// The public case number (`domain::public_id`), granting nothing.
    pub public_id: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = complaint_departments)]
#[diesel(treat_none_as_default_value = false)]
pub struct CoHandlerRow {
    pub complaint_id: ComplaintId,
    pub department_code: DepartmentCode,
    pub added_at: NaiveDateTime,
    pub opinion_due: NaiveDate,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewEventRow {
    pub complaint_id: ComplaintId,
    pub at: NaiveDateTime,
    pub actor_kind: ActorKind,
    pub actor_user: Option<UserId>,
    pub kind: EventKind,
    pub from_state: Option<ComplaintState>,
    pub to_state: Option<ComplaintState>,
    pub department_code: Option<DepartmentCode>,
    pub public_message: Option<String>,
    pub internal_note: Option<String>,
    pub is_opinion: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: i64,
    pub complaint_id: ComplaintId,
    pub at: NaiveDateTime,
    pub actor_kind: ActorKind,
    pub actor_user: Option<UserId>,
    pub kind: EventKind,
    pub from_state: Option<ComplaintState>,
    pub to_state: Option<ComplaintState>,
    pub department_code: Option<DepartmentCode>,
    pub public_message: Option<String>,
    pub internal_note: Option<String>,
    pub is_opinion: bool,
}

/// A complaint with everything written in its filing transaction.
#[derive(Debug, Clone)]
pub struct Filing {
    pub complaint: ComplaintRow,
    pub co_handlers: Vec<CoHandlerRow>,
    pub events: Vec<NewEventRow>,
    pub search_terms: String,
    pub attachments: Vec<super::attachments::NewAttachmentRow>,
    pub deadlines: Vec<super::deadlines::NewDeadlineRow>,
}

/// Inserts a filing's rows but its search terms; the complaint's business (`business_id`)
/// is written with it.
pub fn insert_filing(
    conn: &mut AnyConnection,
    filing: &Filing,
    business_id: Option<i64>,
) -> Result<(), DbError> {
    diesel::insert_into(complaints::table)
        .values((&filing.complaint, complaints::business_id.eq(business_id)))
        .execute(conn)?;
    for co in &filing.co_handlers {
        diesel::insert_into(complaint_departments::table)
            .values(co)
            .execute(conn)?;
    }
    for event in &filing.events {
        insert_event(conn, event)?;
    }
    // The search terms are written by the caller (`DeferredWrites`).
    for attachment in &filing.attachments {
        super::attachments::insert(conn, attachment)?;
    }
    super::deadlines::insert(conn, &filing.deadlines)?;
    Ok(())
}

pub fn insert_event(conn: &mut AnyConnection, event: &NewEventRow) -> Result<(), DbError> {
    diesel::insert_into(events::table)
        .values(event)
        .execute(conn)?;
    Ok(())
}

/// The tracking code of the complaint an earlier POST with this submission id created.
pub fn tracking_code_for_submission(
    conn: &mut AnyConnection,
    submission_id: &str,
) -> Result<Option<String>, DbError> {
    Ok(complaints::table
        .filter(complaints::submission_id.eq(submission_id))
        .select(complaints::tracking_code)
        // Unique: no `LIMIT ?` (see `find_by_tracking_code`).
        .get_result(conn)
        .optional()?)
}

/// The case behind a tracking code: the busiest read of the service (the tracking page).
///
/// `get_result`, not `first`: the code is unique, and `first` adds `LIMIT ?`, whose bound
/// value SQLite (3.48 and later) reads while planning, so that binding it again expires the
/// cached statement and every execution parses and plans the query anew (the benchmark of
/// issue 6 found that re-preparation was half of the tracking page's time).
pub fn find_by_tracking_code(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<ComplaintRow>, DbError> {
    Ok(on_backend!(conn, |c| complaints::table
        .filter(complaints::tracking_code.eq(code))
        .select(ComplaintRow::as_select())
        .get_result(c)
        .optional())?)
}

pub fn events_of(conn: &mut AnyConnection, complaint_id: &str) -> Result<Vec<EventRow>, DbError> {
    // The tracking page's second read: on the backend's connection (`on_backend!`).
    Ok(on_backend!(conn, |c| events::table
        .filter(events::complaint_id.eq(complaint_id))
        .order(events::id)
        .select(EventRow::as_select())
        .load(c))?)
}

pub fn co_handlers_of(
    conn: &mut AnyConnection,
    complaint_id: &str,
) -> Result<Vec<String>, DbError> {
    Ok(complaint_departments::table
        .filter(complaint_departments::complaint_id.eq(complaint_id))
        .order(complaint_departments::department_code)
        .select(complaint_departments::department_code)
        .load(conn)?)
}

/// Moves a complaint to `state` if it is still at `version`; false means someone else
/// changed it first (optimistic concurrency, DESIGN §5).
pub fn set_state(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    state: &str,
    current_due: Option<NaiveDate>,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        complaints::table
            .filter(complaints::id.eq(id))
            .filter(complaints::version.eq(version)),
    )
    .set((
        complaints::state.eq(state),
        complaints::current_due.eq(current_due),
        complaints::version.eq(version + 1),
        complaints::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn count(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(complaints::table.count().get_result(conn)?)
}

/// A change to a complaint, every field optional (`Some(None)` clears a nullable column);
/// always written with its event, under the version check.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = complaints)]
pub struct ComplaintChanges {
    pub state: Option<ComplaintState>,
    pub lead_department: Option<DepartmentCode>,
    pub accept_due: Option<NaiveDate>,
    pub finish_due: Option<Option<NaiveDate>>,
    pub current_due: Option<Option<NaiveDate>>,
    pub assignee: Option<Option<UserId>>,
    pub designated: Option<bool>,
    pub returned_by: Option<Option<DepartmentCode>>,
    pub paused_since: Option<Option<NaiveDateTime>>,
    pub info_requested_at: Option<Option<NaiveDateTime>>,
    pub accepted_at: Option<Option<NaiveDateTime>>,
    pub resolved_at: Option<Option<NaiveDateTime>>,
    pub outcome: Option<Option<Outcome>>,
    pub reopen_count: Option<i32>,
    pub flagged_to_office: Option<bool>,
    pub rating_score: Option<Option<i32>>,
    pub rating_comment: Option<Option<String>>,
    pub rated_at: Option<Option<NaiveDateTime>>,
}

impl ComplaintChanges {
    /// The same change on a row in memory (the seeder, and emails about the case as the
    /// change leaves it). Each field as `AsChangeset` writes it: `None` leaves it alone.
    pub fn apply_to(&self, row: &mut ComplaintRow) {
        fn set<T: Clone>(target: &mut T, value: &Option<T>) {
            if let Some(v) = value {
                *target = v.clone();
            }
        }
        set(&mut row.state, &self.state);
        set(&mut row.lead_department, &self.lead_department);
        set(&mut row.accept_due, &self.accept_due);
        set(&mut row.finish_due, &self.finish_due);
        set(&mut row.current_due, &self.current_due);
        set(&mut row.assignee, &self.assignee);
        set(&mut row.designated, &self.designated);
        set(&mut row.returned_by, &self.returned_by);
        set(&mut row.paused_since, &self.paused_since);
        set(&mut row.info_requested_at, &self.info_requested_at);
        set(&mut row.accepted_at, &self.accepted_at);
        set(&mut row.resolved_at, &self.resolved_at);
        set(&mut row.outcome, &self.outcome);
        set(&mut row.reopen_count, &self.reopen_count);
        set(&mut row.flagged_to_office, &self.flagged_to_office);
        set(&mut row.rating_score, &self.rating_score);
        set(&mut row.rating_comment, &self.rating_comment);
        set(&mut row.rated_at, &self.rated_at);
    }
}

/// Applies `changes` if the complaint is still at `version`, bumping it; false means
/// someone else changed it first.
pub fn apply_changes(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    changes: &ComplaintChanges,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let updated = diesel::update(
        complaints::table
            .filter(complaints::id.eq(id))
            .filter(complaints::version.eq(version)),
    )
    .set((
        changes,
        complaints::version.eq(version + 1),
        complaints::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<ComplaintRow>, DbError> {
    Ok(complaints::table
        .filter(complaints::id.eq(id))
        .select(ComplaintRow::as_select())
        // The primary key: no `LIMIT ?` (see `find_by_tracking_code`).
        .get_result(conn)
        .optional()?)
}

pub fn co_handler_rows(
    conn: &mut AnyConnection,
    complaint_id: &str,
) -> Result<Vec<CoHandlerRow>, DbError> {
    Ok(complaint_departments::table
        .filter(complaint_departments::complaint_id.eq(complaint_id))
        .order(complaint_departments::department_code)
        .select(CoHandlerRow::as_select())
        .load(conn)?)
}

pub fn add_co_handler(conn: &mut AnyConnection, row: &CoHandlerRow) -> Result<(), DbError> {
    diesel::insert_into(complaint_departments::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn remove_co_handlers(conn: &mut AnyConnection, complaint_id: &str) -> Result<(), DbError> {
    diesel::delete(
        complaint_departments::table.filter(complaint_departments::complaint_id.eq(complaint_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// The new event's id, so attachments can point at it.
pub fn insert_event_returning_id(
    conn: &mut AnyConnection,
    event: &NewEventRow,
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(events::table)
        .values(event)
        .returning(events::id)
        .get_result(conn)?)
}

/// A staff member saw a complaint's personal data; kept apart from the timeline, so a
/// view never changes the complaint (DESIGN §8).
pub fn record_personal_data_view(
    conn: &mut AnyConnection,
    user_id: &str,
    complaint_id: &str,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    use super::schema::personal_data_views;
    diesel::insert_into(personal_data_views::table)
        .values((
            personal_data_views::user_id.eq(user_id),
            personal_data_views::complaint_id.eq(complaint_id),
            personal_data_views::at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// What a case's admin page shows besides the case itself.
pub struct CaseRecords {
    pub events: Vec<EventRow>,
    pub files: Vec<super::attachments::AttachmentInfo>,
    /// Usernames by id, for the timeline and the assignee.
    pub actors: std::collections::HashMap<UserId, String>,
    /// Usernames of the lead department's active staff, for `assign`.
    pub lead_users: Vec<String>,
}

pub fn case_records(
    conn: &mut AnyConnection,
    id: &ComplaintId,
    lead: &DepartmentCode,
) -> Result<CaseRecords, DbError> {
    Ok(CaseRecords {
        events: events_of(conn, id)?,
        files: super::attachments::list(conn, id)?,
        actors: super::users::names_by_id(conn)?,
        lead_users: super::users::active_usernames_of(conn, lead)?,
    })
}

/// Resolved cases whose answer was given before `cutoff` (the rating window is over),
/// after `after` in id order.
pub fn resolved_before(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    after: &ComplaintId,
    limit: i64,
) -> Result<Vec<ComplaintId>, DbError> {
    Ok(complaints::table
        .filter(complaints::state.eq(ComplaintState::Resolved))
        .filter(complaints::resolved_at.lt(cutoff))
        .filter(complaints::id.gt(after))
        .order(complaints::id)
        .limit(limit)
        .select(complaints::id)
        .load(conn)?)
}
