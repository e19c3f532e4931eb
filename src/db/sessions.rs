//! Staff sessions, stored server-side by the hash of their id, and the per-username login
//! throttle. Expiry rules live in `extract::session`; this is storage only.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{login_address_throttle, login_throttle, sessions, users};
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

/// Forgets sign-in counts whose last failure is before `forget_before` and that lock
/// nothing any more (made-up usernames among them): they would only ever grow otherwise.
/// Answers how many rows went, both tables together.
pub fn delete_stale_throttles(
    conn: &mut AnyConnection,
    forget_before: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    let by_username = diesel::delete(
        login_throttle::table
            .filter(login_throttle::last_failure_at.lt(forget_before))
            .filter(
                login_throttle::locked_until
                    .is_null()
                    .or(login_throttle::locked_until.lt(now)),
            ),
    )
    .execute(conn)?;
    let by_address = diesel::delete(
        login_address_throttle::table
            .filter(login_address_throttle::last_failure_at.lt(forget_before))
            .filter(
                login_address_throttle::locked_until
                    .is_null()
                    .or(login_address_throttle::locked_until.lt(now)),
            ),
    )
    .execute(conn)?;
    Ok(by_username + by_address)
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

/// The per-(username, address) count of failed sign-ins.
pub fn address_throttle(
    conn: &mut AnyConnection,
    username: &str,
    address: &str,
) -> Result<Option<ThrottleRow>, DbError> {
    Ok(login_address_throttle::table
        .filter(login_address_throttle::username.eq(username))
        .filter(login_address_throttle::address.eq(address))
        .select((
            login_address_throttle::username,
            login_address_throttle::failures,
            login_address_throttle::last_failure_at,
            login_address_throttle::locked_until,
        ))
        .first::<ThrottleRow>(conn)
        .optional()?)
}

/// Counts one more failure of `username` (and of `username` from `address`) in the
/// database itself, so that parallel failures all count: failures older than
/// `forget_before` start again from zero; `lock` says when the new count locks until.
/// Answers the new per-username and per-address counts. Call inside a write transaction.
pub fn record_failure(
    conn: &mut AnyConnection,
    username: &str,
    address: &str,
    now: NaiveDateTime,
    forget_before: NaiveDateTime,
    lock: impl Fn(i32) -> Option<NaiveDateTime>,
) -> Result<(i32, i32), DbError> {
    // Old failures are forgotten first (a row only an old burst left behind).
    diesel::update(
        login_throttle::table
            .filter(login_throttle::username.eq(username))
            .filter(login_throttle::last_failure_at.lt(forget_before)),
    )
    .set(login_throttle::failures.eq(0))
    .execute(conn)?;
    diesel::update(
        login_address_throttle::table
            .filter(login_address_throttle::username.eq(username))
            .filter(login_address_throttle::address.eq(address))
            .filter(login_address_throttle::last_failure_at.lt(forget_before)),
    )
    .set(login_address_throttle::failures.eq(0))
    .execute(conn)?;
    // `INSERT … ON CONFLICT DO UPDATE SET failures = failures + 1 RETURNING failures`: one
    // statement, so two failures counted at once are two, on either backend (diesel builds
    // upserts only on the backend's own connection).
    let by_user: i32 = super::on_backend!(conn, |c| diesel::insert_into(login_throttle::table)
        .values((
            login_throttle::username.eq(username),
            login_throttle::failures.eq(1),
            login_throttle::last_failure_at.eq(now),
        ))
        .on_conflict(login_throttle::username)
        .do_update()
        .set((
            login_throttle::failures.eq(login_throttle::failures + 1),
            login_throttle::last_failure_at.eq(now),
        ))
        .returning(login_throttle::failures)
        .get_result(c))?;
    let by_address: i32 =
        super::on_backend!(conn, |c| diesel::insert_into(login_address_throttle::table)
            .values((
                login_address_throttle::username.eq(username),
                login_address_throttle::address.eq(address),
                login_address_throttle::failures.eq(1),
                login_address_throttle::last_failure_at.eq(now),
            ))
            .on_conflict((
                login_address_throttle::username,
                login_address_throttle::address
            ))
            .do_update()
            .set((
                login_address_throttle::failures.eq(login_address_throttle::failures + 1),
                login_address_throttle::last_failure_at.eq(now),
            ))
            .returning(login_address_throttle::failures)
            .get_result(c))?;
    diesel::update(login_throttle::table.filter(login_throttle::username.eq(username)))
        .set(login_throttle::locked_until.eq(lock(by_user)))
        .execute(conn)?;
    diesel::update(
        login_address_throttle::table
            .filter(login_address_throttle::username.eq(username))
            .filter(login_address_throttle::address.eq(address)),
    )
    .set(login_address_throttle::locked_until.eq(lock(by_address)))
    .execute(conn)?;
    Ok((by_user, by_address))
}

/// After a correct password from `address`: the username's count and that address's go;
/// other addresses that failed stay throttled.
pub fn clear_throttle(
    conn: &mut AnyConnection,
    username: &str,
    address: &str,
) -> Result<(), DbError> {
    diesel::delete(login_throttle::table.filter(login_throttle::username.eq(username)))
        .execute(conn)?;
    diesel::delete(
        login_address_throttle::table
            .filter(login_address_throttle::username.eq(username))
            .filter(login_address_throttle::address.eq(address)),
    )
    .execute(conn)?;
    Ok(())
}

/// Every count of `username`, from any address (an administrator set a new password).
pub fn clear_all_throttles(conn: &mut AnyConnection, username: &str) -> Result<(), DbError> {
    diesel::delete(login_throttle::table.filter(login_throttle::username.eq(username)))
        .execute(conn)?;
    diesel::delete(
        login_address_throttle::table.filter(login_address_throttle::username.eq(username)),
    )
    .execute(conn)?;
    Ok(())
}

/// A lock-out for the office's page: a username locked for every address (`address` is
/// `None`) or for one address.
#[derive(Debug, Clone)]
pub struct LockoutRow {
    pub username: String,
    pub address: Option<String>,
    pub failures: i32,
    pub last_failure_at: NaiveDateTime,
    pub locked_until: NaiveDateTime,
}

/// Lock-outs whose last failure is after `since`, newest first, at most `limit` of each kind.
pub fn recent_lockouts(
    conn: &mut AnyConnection,
    since: NaiveDateTime,
    limit: i64,
) -> Result<Vec<LockoutRow>, DbError> {
    let by_user: Vec<ThrottleRow> = login_throttle::table
        .filter(login_throttle::last_failure_at.gt(since))
        .filter(login_throttle::locked_until.is_not_null())
        .order(login_throttle::last_failure_at.desc())
        .limit(limit)
        .select(ThrottleRow::as_select())
        .load(conn)?;
    let by_address: Vec<(String, String, i32, NaiveDateTime, Option<NaiveDateTime>)> =
        login_address_throttle::table
            .filter(login_address_throttle::last_failure_at.gt(since))
            .filter(login_address_throttle::locked_until.is_not_null())
            .order(login_address_throttle::last_failure_at.desc())
            .limit(limit)
            .select((
                login_address_throttle::username,
                login_address_throttle::address,
                login_address_throttle::failures,
                login_address_throttle::last_failure_at,
                login_address_throttle::locked_until,
            ))
            .load(conn)?;
    let mut rows: Vec<LockoutRow> = by_user
        .into_iter()
        .filter_map(|r| {
            Some(LockoutRow {
                locked_until: r.locked_until?,
                username: r.username,
                address: None,
                failures: r.failures,
                last_failure_at: r.last_failure_at,
            })
        })
        .chain(by_address.into_iter().filter_map(
            |(username, address, failures, last_failure_at, locked_until)| {
                Some(LockoutRow {
                    locked_until: locked_until?,
                    username,
                    address: Some(address),
                    failures,
                    last_failure_at,
                })
            },
        ))
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.last_failure_at));
    Ok(rows)
}
