//! Staff password-reset links, stored by the SHA-256 of their token: insert, look up one
//! that is still good, and consume it once. The rules (30 minutes, single use) are the
//! caller's (`routes::admin::password_reset`); this is storage only.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::password_resets;
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = password_resets)]
pub struct PasswordResetRow {
    pub token_hash: String,
    pub user_id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut AnyConnection, row: &PasswordResetRow) -> Result<(), DbError> {
    diesel::insert_into(password_resets::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The link of `token_hash` if it is unused and not expired at `now`.
pub fn find_usable(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<PasswordResetRow>, DbError> {
    Ok(password_resets::table
        .filter(password_resets::token_hash.eq(token_hash))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(now))
        .select(PasswordResetRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks the link used if it still was usable: `true` for the one caller that did.
pub fn consume(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        password_resets::table
            .filter(password_resets::token_hash.eq(token_hash))
            .filter(password_resets::used_at.is_null())
            .filter(password_resets::expires_at.gt(now)),
    )
    .set(password_resets::used_at.eq(now))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Every other link of the user stops working (a new password was set).
pub fn retire_for_user(
    conn: &mut AnyConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(
        password_resets::table
            .filter(password_resets::user_id.eq(user_id))
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(now))
    .execute(conn)?;
    Ok(())
}
