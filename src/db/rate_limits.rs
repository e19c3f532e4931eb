//! The per-address limits' hits in the database, for instances that share one PostgreSQL
//! server (issue 15): a row per limit, client bucket and minute, and a limit's window the
//! rows of its last `window_minutes` minutes. PostgreSQL only: on SQLite the limits are
//! counted in memory (`rate_limit::RateLimit`).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::schema::rate_limit_hits;
use super::{AnyConnection, DbError};

/// The hits in a window, and the oldest minute that has any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct Window {
    #[diesel(sql_type = BigInt)]
    pub hits: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub oldest: Option<i64>,
}

fn postgres(conn: &mut AnyConnection) -> Result<&mut diesel::PgConnection, DbError> {
    match conn {
        AnyConnection::Postgresql(c) => Ok(c),
        AnyConnection::Sqlite(_) => Err(DbError::Query(diesel::result::Error::QueryBuilderError(
            "shared rate limits are kept on PostgreSQL only".into(),
        ))),
    }
}

/// Counts one hit in `minute` and answers the window that ends with it, this hit included.
/// One statement: the upsert's row lock orders racers in the same minute, and each reads
/// the count its own increment made, so no two racers see the same total.
pub fn add(
    conn: &mut AnyConnection,
    name: &str,
    bucket: &str,
    minute: i64,
    window_minutes: i64,
) -> Result<Window, DbError> {
    Ok(diesel::sql_query(
        "WITH bumped AS ( \
             INSERT INTO rate_limit_hits (limit_name, bucket, minute, hits) \
             VALUES ($1, $2, $3, 1) \
             ON CONFLICT (limit_name, bucket, minute) \
             DO UPDATE SET hits = rate_limit_hits.hits + 1 \
             RETURNING hits), \
         earlier AS ( \
             SELECT SUM(hits) AS hits, MIN(minute) AS oldest FROM rate_limit_hits \
             WHERE limit_name = $1 AND bucket = $2 AND minute > $3 - $4 AND minute < $3 \
               AND hits > 0) \
         SELECT CAST((SELECT hits FROM bumped) + COALESCE((SELECT hits FROM earlier), 0) \
                     AS BIGINT) AS hits, \
                LEAST($3, (SELECT oldest FROM earlier)) AS oldest",
    )
    .bind::<Text, _>(name)
    .bind::<Text, _>(bucket)
    .bind::<BigInt, _>(minute)
    .bind::<BigInt, _>(window_minutes)
    .get_result(postgres(conn)?)?)
}

/// Takes back one hit counted in `minute` (a refused attempt does not count).
pub fn remove(
    conn: &mut AnyConnection,
    name: &str,
    bucket: &str,
    minute: i64,
) -> Result<(), DbError> {
    diesel::update(
        rate_limit_hits::table
            .filter(rate_limit_hits::limit_name.eq(name))
            .filter(rate_limit_hits::bucket.eq(bucket))
            .filter(rate_limit_hits::minute.eq(minute)),
    )
    .set(rate_limit_hits::hits.eq(rate_limit_hits::hits - 1))
    .execute(conn)?;
    Ok(())
}

/// The window ending with `minute`, without counting a hit.
pub fn window(
    conn: &mut AnyConnection,
    name: &str,
    bucket: &str,
    minute: i64,
    window_minutes: i64,
) -> Result<Window, DbError> {
    Ok(diesel::sql_query(
        "SELECT CAST(COALESCE(SUM(hits), 0) AS BIGINT) AS hits, \
                CAST(MIN(minute) AS BIGINT) AS oldest \
         FROM rate_limit_hits \
         WHERE limit_name = $1 AND bucket = $2 AND minute > $3 - $4 AND minute <= $3 \
           AND hits > 0",
    )
    .bind::<Text, _>(name)
    .bind::<Text, _>(bucket)
    .bind::<BigInt, _>(minute)
    .bind::<BigInt, _>(window_minutes)
    .get_result(postgres(conn)?)?)
}

/// Deletes the rows of minutes before `before` (no window reaches them any more).
pub fn delete_before(conn: &mut AnyConnection, before: i64) -> Result<usize, DbError> {
    Ok(
        diesel::delete(rate_limit_hits::table.filter(rate_limit_hits::minute.lt(before)))
            .execute(conn)?,
    )
}
