//! "I lost my tracking code": the cases filed with an email address. Read-only; the email
//! itself goes through the outbox like any other.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::complaints;
use super::{AnyConnection, DbError};

/// A case as the recovery email lists it.
#[derive(Debug, Clone, Queryable)]
pub struct FiledCase {
    pub tracking_code: String,
    pub created_at: NaiveDateTime,
}

/// The cases filed with exactly this address, newest first, at most `limit`. Exactly: the
/// local part of an address may be case-sensitive, and codes must not reach another mailbox.
pub fn cases_filed_with(
    conn: &mut AnyConnection,
    address: &str,
    limit: i64,
) -> Result<Vec<FiledCase>, DbError> {
    Ok(complaints::table
        .filter(complaints::email.eq(address))
        // The id breaks ties, so that the cut at `limit` is the same on both backends.
        .order((complaints::created_at.desc(), complaints::id.desc()))
        .limit(limit)
        .select((complaints::tracking_code, complaints::created_at))
        .load(conn)?)
}
