//! Staff sessions, stored server-side by the hash of their id, and the per-username login
//! throttle. Expiry rules live in `extract::session`; this is storage only.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{login_throttle, sessions, users};
use super::users::UserRow;
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, row: &SessionRow) -> Result<(), DbError> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_with_user(
    conn: &mut AnyConnection,
    id_hash: &str,
) -> Result<Option<(SessionRow, UserRow)>, DbError> {
    Ok(sessions::table
        .inner_join(users::table)
        .filter(sessions::id_hash.eq(id_hash))
        .select((SessionRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()?)
}

pub fn touch(conn: &mut AnyConnection, id_hash: &str, now: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(sessions::table.filter(sessions::id_hash.eq(id_hash)))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut AnyConnection, id_hash: &str) -> Result<(), DbError> {
    diesel::delete(sessions::table.filter(sessions::id_hash.eq(id_hash))).execute(conn)?;
    Ok(())
}

pub fn delete_for_user(conn: &mut AnyConnection, user_id: &str) -> Result<(), DbError> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)?;
    Ok(())
}

/// Every session of a user but `keep` (after a password change, the other devices sign in
/// again).
pub fn delete_others_of_user(
    conn: &mut AnyConnection,
    user_id: &str,
    keep: &str,
) -> Result<(), DbError> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id_hash.ne(keep)),
    )
    .execute(conn)?;
    Ok(())
}

pub fn delete_expired(
    conn: &mut AnyConnection,
    idle_before: NaiveDateTime,
    created_before: NaiveDateTime,
) -> Result<usize, DbError> {
    Ok(diesel::delete(
        sessions::table.filter(
            sessions::last_seen_at
                .lt(idle_before)
                .or(sessions::created_at.lt(created_before)),
        ),
    )
    .execute(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = login_throttle)]
#[diesel(treat_none_as_null = true)]
pub struct ThrottleRow {
    pub username: String,
    pub failures: i32,
    pub last_failure_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

pub fn throttle(conn: &mut AnyConnection, username: &str) -> Result<Option<ThrottleRow>, DbError> {
    Ok(login_throttle::table
        .filter(login_throttle::username.eq(username))
        .select(ThrottleRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn save_throttle(conn: &mut AnyConnection, row: &ThrottleRow) -> Result<(), DbError> {
    let updated =
        diesel::update(login_throttle::table.filter(login_throttle::username.eq(&row.username)))
            .set(row)
            .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(login_throttle::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn clear_throttle(conn: &mut AnyConnection, username: &str) -> Result<(), DbError> {
    diesel::delete(login_throttle::table.filter(login_throttle::username.eq(username)))
        .execute(conn)?;
    Ok(())
}
