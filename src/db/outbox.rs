//! The email outbox: every message is written in the transaction of the change that caused
//! it, already rendered, and waits here until the delivery worker claims, sends and marks it.
//! Rows are never deleted; nothing here talks SMTP or renders a message.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::outbox;
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewOutboxRow {
    pub complaint_id: Option<String>,
    pub recipient: String,
    pub recipient_kind: String,
    pub template: String,
    pub locale: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub state: String,
    pub attempts: i32,
    pub due_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub complaint_id: Option<String>,
    pub recipient: String,
    pub recipient_kind: String,
    pub template: String,
    pub locale: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub state: String,
    pub attempts: i32,
    pub due_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub retry_requested_at: Option<NaiveDateTime>,
}

impl OutboxRow {
    /// When the give-up window started: at creation, or at an operator's retry.
    pub fn window_started_at(&self) -> NaiveDateTime {
        self.retry_requested_at.unwrap_or(self.created_at)
    }
}

/// Waiting to be sent (possibly after failed attempts).
pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
/// The server refused it permanently (a 5xx reply).
pub const FAILED: &str = "failed";
/// Temporary failures until `OUTBOX_GIVE_UP_HOURS` had passed.
pub const GIVEN_UP: &str = "given_up";
/// Not sent: the recipient's daily cap was reached.
pub const SUPPRESSED: &str = "suppressed";

pub const STATES: [&str; 5] = [PENDING, SENT, FAILED, GIVEN_UP, SUPPRESSED];

/// `last_error` is for people reading the outbox page, not a log: keep it short.
const LAST_ERROR_MAX_CHARS: usize = 1000;

pub fn insert(conn: &mut AnyConnection, row: &NewOutboxRow) -> Result<(), DbError> {
    diesel::insert_into(outbox::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn for_complaint(
    conn: &mut AnyConnection,
    complaint_id: &str,
) -> Result<Vec<OutboxRow>, DbError> {
    Ok(outbox::table
        .filter(outbox::complaint_id.eq(complaint_id))
        .order(outbox::id)
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// The ids of up to `limit` due rows nobody holds a lease on, oldest due first.
macro_rules! due_ids {
    ($now:expr, $limit:expr) => {
        outbox::table
            .filter(outbox::state.eq(PENDING))
            .filter(outbox::due_at.le($now))
            .filter(
                outbox::lease_until
                    .is_null()
                    .or(outbox::lease_until.lt($now)),
            )
            .order((outbox::due_at, outbox::id))
            .limit($limit)
            .select(outbox::id)
    };
}

/// Leases the rows and reads them back, on the backend's own connection.
macro_rules! lease_and_load {
    ($conn:expr, $ids:expr, $lease_until:expr) => {{
        if $ids.is_empty() {
            Vec::new()
        } else {
            diesel::update(outbox::table.filter(outbox::id.eq_any(&$ids)))
                .set(outbox::lease_until.eq(Some($lease_until)))
                .execute($conn)?;
            outbox::table
                .filter(outbox::id.eq_any(&$ids))
                .order((outbox::due_at, outbox::id))
                .select(OutboxRow::as_select())
                .load($conn)?
        }
    }};
}

/// Claims up to `limit` due rows for one worker until `lease_until`: no other worker, here
/// or in another instance, takes them before then. Must run in a write transaction.
///
/// PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent claimers pass over each other's rows
/// instead of waiting; it is not expressible through `MultiConnection` (STACK §3), hence the
/// inner connection. SQLite: the transaction is `BEGIN IMMEDIATE` on the single writer, so
/// the select and the update cannot interleave with another claim.
pub fn claim_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<OutboxRow>, DbError> {
    let rows = match conn {
        AnyConnection::Postgresql(pg) => {
            let ids: Vec<i64> = due_ids!(now, limit).for_update().skip_locked().load(pg)?;
            lease_and_load!(pg, ids, lease_until)
        }
        AnyConnection::Sqlite(sqlite) => {
            let ids: Vec<i64> = due_ids!(now, limit).load(sqlite)?;
            lease_and_load!(sqlite, ids, lease_until)
        }
    };
    Ok(rows)
}

/// Gives claimed rows back before their lease ends (a worker stopping mid-batch).
pub fn release(conn: &mut AnyConnection, ids: &[i64]) -> Result<usize, DbError> {
    let mut released = 0;
    for id in ids {
        released += diesel::update(
            outbox::table
                .filter(outbox::id.eq(id))
                .filter(outbox::state.eq(PENDING)),
        )
        .set(outbox::lease_until.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    }
    Ok(released)
}

/// Releases every lease. Only for SQLite at start-up: one process serves a SQLite database
/// (DESIGN §2), so a lease found then was left by a process that died between claiming and
/// marking, and its rows are sent again now rather than when the lease runs out.
pub fn release_all_leases(conn: &mut AnyConnection) -> Result<usize, DbError> {
    Ok(diesel::update(
        outbox::table
            .filter(outbox::state.eq(PENDING))
            .filter(outbox::lease_until.is_not_null()),
    )
    .set(outbox::lease_until.eq(None::<NaiveDateTime>))
    .execute(conn)?)
}

fn clip(error: &str) -> String {
    error.chars().take(LAST_ERROR_MAX_CHARS).collect()
}

/// Records a delivered message. Only a pending row changes: a row an operator or a second
/// worker already settled stays as it is.
pub fn mark_sent(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> Result<bool, DbError> {
    let changed = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::state.eq(PENDING)),
    )
    .set((
        outbox::state.eq(SENT),
        outbox::sent_at.eq(Some(now)),
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::last_attempt_at.eq(Some(now)),
        outbox::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Records a temporary failure: one more attempt, tried again at `due_at`.
pub fn mark_retry(
    conn: &mut AnyConnection,
    id: i64,
    now: NaiveDateTime,
    due_at: NaiveDateTime,
    error: &str,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::state.eq(PENDING)),
    )
    .set((
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::due_at.eq(due_at),
        outbox::last_attempt_at.eq(Some(now)),
        outbox::last_error.eq(Some(clip(error))),
        outbox::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Settles a row that will not be sent: `FAILED`, `GIVEN_UP` or `SUPPRESSED`.
/// `attempted` says whether a delivery attempt was made (a suppressed row had none).
pub fn mark_settled(
    conn: &mut AnyConnection,
    id: i64,
    state: &'static str,
    now: NaiveDateTime,
    attempted: bool,
    error: &str,
) -> Result<bool, DbError> {
    debug_assert!([FAILED, GIVEN_UP, SUPPRESSED].contains(&state));
    let increment = i32::from(attempted);
    let changed = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::state.eq(PENDING)),
    )
    .set((
        outbox::state.eq(state),
        outbox::attempts.eq(outbox::attempts + increment),
        outbox::last_attempt_at.eq(Some(now)),
        outbox::last_error.eq(Some(clip(error))),
        outbox::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// How many complainant messages went to `recipient` since `since` (the daily cap).
pub fn complainant_mail_sent_since(
    conn: &mut AnyConnection,
    recipient: &str,
    since: NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(outbox::table
        .filter(outbox::recipient.eq(recipient))
        .filter(outbox::sent_at.gt(since))
        .filter(outbox::state.eq(SENT))
        .filter(outbox::recipient_kind.eq("complainant"))
        .count()
        .get_result(conn)?)
}

/// An operator's retry of a failed, given-up or suppressed message (the `/admin/outbox`
/// button): pending again, due now, with a fresh give-up window. Attempts and the last
/// error are kept as the record of what happened.
pub fn retry(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> Result<bool, DbError> {
    let changed = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::state.eq_any([FAILED, GIVEN_UP, SUPPRESSED])),
    )
    .set((
        outbox::state.eq(PENDING),
        outbox::due_at.eq(now),
        outbox::retry_requested_at.eq(Some(now)),
        outbox::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Messages that will not be delivered without an operator (failed, given up, suppressed),
/// newest first, for the `/admin/outbox` page.
pub fn undelivered(
    conn: &mut AnyConnection,
    limit: i64,
    before_id: Option<i64>,
) -> Result<Vec<OutboxRow>, DbError> {
    let mut query = outbox::table
        .filter(outbox::state.eq_any([FAILED, GIVEN_UP, SUPPRESSED]))
        .order(outbox::id.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .into_boxed();
    if let Some(before) = before_id {
        query = query.filter(outbox::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// Figures for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxStats {
    /// Rows per state, every state of `STATES` present.
    pub by_state: Vec<(&'static str, i64)>,
    pub oldest_pending_created_at: Option<NaiveDateTime>,
}

pub fn stats(conn: &mut AnyConnection) -> Result<OutboxStats, DbError> {
    let counts: Vec<(String, i64)> = outbox::table
        .group_by(outbox::state)
        .select((outbox::state, diesel::dsl::count_star()))
        .load(conn)?;
    let by_state = STATES
        .iter()
        .map(|&state| {
            let n = counts
                .iter()
                .find(|(s, _)| s == state)
                .map_or(0, |(_, n)| *n);
            (state, n)
        })
        .collect();
    let oldest_pending_created_at = outbox::table
        .filter(outbox::state.eq(PENDING))
        .select(diesel::dsl::min(outbox::created_at))
        .get_result(conn)?;
    Ok(OutboxStats {
        by_state,
        oldest_pending_created_at,
    })
}
