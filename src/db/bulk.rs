//! Bulk writes of whole case histories (the demo seeder): the same row types the service
//! writes (and their bulletin day tallies), in multi-row `INSERT`s on the backend's own connection, so that the compiler
//! checks every column against `schema.rs` and a million cases take minutes, not hours.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::complaints::Filing;
use super::outbox::{NewOutboxRow, SENT};
use super::schema::{
    complaint_departments, complaint_search, complaints, deadlines, events, outbox,
};
use super::{on_backend, AnyConnection, DbError};
use crate::domain::calendar::WorkCalendar;

/// An email as a history leaves it: handed over once, a moment after it was written.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
#[diesel(treat_none_as_default_value = false)]
pub struct SentEmailRow {
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
    pub sent_at: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
}

impl SentEmailRow {
    /// The row written at `row.created_at`, as the worker would have sent it.
    pub fn sent(row: NewOutboxRow) -> SentEmailRow {
        let sent = row.created_at + TimeDelta::seconds(2);
        SentEmailRow {
            complaint_id: row.complaint_id,
            recipient: row.recipient,
            recipient_kind: row.recipient_kind,
            template: row.template,
            locale: row.locale,
            subject: row.subject,
            text_body: row.text_body,
            html_body: row.html_body,
            state: SENT.to_owned(),
            attempts: 1,
            due_at: row.due_at,
            created_at: row.created_at,
            sent_at: Some(sent),
            last_attempt_at: Some(sent),
        }
    }
}

/// Rows per statement: well under both backends' limits on bound parameters (SQLite 32766,
/// PostgreSQL 65535) for the widest table (complaints, 41 columns).
const ROWS_PER_STATEMENT: usize = 300;

/// Writes the filings (complaint, co-handlers, events, search terms, deadlines) and their
/// emails.
pub fn insert_histories(
    conn: &mut AnyConnection,
    filings: Vec<Filing>,
    emails: Vec<SentEmailRow>,
    calendar: &WorkCalendar,
) -> Result<(), DbError> {
    super::bulletin::filing_tallies(&filings, calendar).write(conn)?;
    let mut rows = Vec::with_capacity(filings.len());
    let mut co_handlers = Vec::new();
    let mut timeline = Vec::new();
    let mut search = Vec::with_capacity(filings.len());
    let mut deadline_rows = Vec::new();
    for filing in filings {
        search.push((
            complaint_search::complaint_id.eq(filing.complaint.id.clone()),
            complaint_search::terms.eq(filing.search_terms),
        ));
        rows.push(filing.complaint);
        co_handlers.extend(filing.co_handlers);
        timeline.extend(filing.events);
        deadline_rows.extend(filing.deadlines);
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        on_backend!(conn, |c| diesel::insert_into(complaints::table)
            .values(chunk)
            .execute(c))?;
    }
    for chunk in co_handlers.chunks(ROWS_PER_STATEMENT) {
        on_backend!(conn, |c| diesel::insert_into(complaint_departments::table)
            .values(chunk)
            .execute(c))?;
    }
    for chunk in timeline.chunks(ROWS_PER_STATEMENT) {
        on_backend!(conn, |c| diesel::insert_into(events::table)
            .values(chunk)
            .execute(c))?;
    }
    for chunk in search.chunks(ROWS_PER_STATEMENT) {
        on_backend!(conn, |c| diesel::insert_into(complaint_search::table)
            .values(chunk)
            .execute(c))?;
    }
    for chunk in deadline_rows.chunks(ROWS_PER_STATEMENT) {
        on_backend!(conn, |c| diesel::insert_into(deadlines::table)
            .values(chunk)
            .execute(c))?;
    }
    for chunk in emails.chunks(ROWS_PER_STATEMENT) {
        on_backend!(conn, |c| diesel::insert_into(outbox::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}
