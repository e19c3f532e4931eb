//! API keys of the software that files through Open311: stored as hashes, looked up on
//! every request (a new or revoked key counts at once), with the filings of the last hour
//! kept per key for its limit.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{api_key_uses, api_keys};
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: i64,
    pub name: String,
    pub key_hash: String,
    pub limit_per_hour: i32,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

pub fn insert(
    conn: &mut AnyConnection,
    name: &str,
    key_hash: &str,
    limit_per_hour: i32,
    now: NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(api_keys::table)
        .values((
            api_keys::name.eq(name),
            api_keys::key_hash.eq(key_hash),
            api_keys::limit_per_hour.eq(limit_per_hour),
            api_keys::created_at.eq(now),
        ))
        .returning(api_keys::id)
        .get_result(conn)?)
}

/// Every key, newest first.
pub fn all(conn: &mut AnyConnection) -> Result<Vec<ApiKeyRow>, DbError> {
    Ok(api_keys::table
        .select(ApiKeyRow::as_select())
        .order(api_keys::id.desc())
        .load(conn)?)
}

/// Whether a key that was still valid is revoked now.
pub fn revoke(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> Result<bool, DbError> {
    let changed = diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now))
    .execute(conn)?;
    Ok(changed == 1)
}

/// The key with this hash, unless it is revoked.
pub fn valid_by_hash(
    conn: &mut AnyConnection,
    key_hash: &str,
) -> Result<Option<ApiKeyRow>, DbError> {
    Ok(api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Counts one filing against the key's hourly limit, if the limit allows it, and records
/// the use; `false` when the key has used up its hour. Run in a write transaction: the
/// update of the key's row comes first, so on PostgreSQL two filings with one key take
/// turns (the row lock) and cannot both pass the last free slot.
pub fn take_filing_slot(
    conn: &mut AnyConnection,
    key: &ApiKeyRow,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    diesel::update(api_keys::table.filter(api_keys::id.eq(key.id)))
        .set(api_keys::last_used_at.eq(now))
        .execute(conn)?;
    let hour_ago = now - Duration::hours(1);
    diesel::delete(
        api_key_uses::table
            .filter(api_key_uses::api_key_id.eq(key.id))
            .filter(api_key_uses::used_at.le(hour_ago)),
    )
    .execute(conn)?;
    let used: i64 = api_key_uses::table
        .filter(api_key_uses::api_key_id.eq(key.id))
        .count()
        .get_result(conn)?;
    if used >= i64::from(key.limit_per_hour) {
        return Ok(false);
    }
    diesel::insert_into(api_key_uses::table)
        .values((
            api_key_uses::api_key_id.eq(key.id),
            api_key_uses::used_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Records a read with the key (the page shows when each key was last used).
pub fn touch(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(api_keys::table.filter(api_keys::id.eq(id)))
        .set(api_keys::last_used_at.eq(now))
        .execute(conn)?;
    Ok(())
}
