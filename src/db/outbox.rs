//! The email outbox: every message is written in the transaction of the change that caused
//! it, already rendered, and waits here until the delivery worker sends it.

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
}

pub const PENDING: &str = "pending";

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
