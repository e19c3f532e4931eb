//! Attachments, stored in the database with their complaint (DESIGN §4) so no instance
//! depends on a local disk. Listing never loads the bytes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::attachments;
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = attachments)]
pub struct NewAttachmentRow {
    pub id: String,
    pub complaint_id: String,
    pub event_id: Option<i64>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub data: Vec<u8>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct AttachmentInfo {
    pub id: String,
    pub complaint_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, row: &NewAttachmentRow) -> Result<(), DbError> {
    diesel::insert_into(attachments::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn list(conn: &mut AnyConnection, complaint_id: &str) -> Result<Vec<AttachmentInfo>, DbError> {
    Ok(attachments::table
        .filter(attachments::complaint_id.eq(complaint_id))
        // The id last: files of one filing share a time and may share a name, and a tie
        // would come back in a different order on each backend.
        .order((
            attachments::created_at,
            attachments::file_name,
            attachments::id,
        ))
        .select(AttachmentInfo::as_select())
        .load(conn)?)
}

pub fn find_with_data(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<(AttachmentInfo, Vec<u8>)>, DbError> {
    Ok(attachments::table
        .filter(attachments::id.eq(id))
        .select((AttachmentInfo::as_select(), attachments::data))
        .first(conn)
        .optional()?)
}
