//! Storage of the staff second factor: enrolments (sealed secret, last step taken),
//! recovery-code hashes, and the pending sign-ins between the password and the code. The
//! rules are `services::totp` and `routes::admin::totp`; this is storage only.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{pending_sign_ins, totp_enrolments, totp_recovery_codes};
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = totp_enrolments)]
pub struct EnrolmentRow {
    pub user_id: String,
    pub sealed_secret: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub last_step: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pending_sign_ins)]
pub struct PendingSignInRow {
    pub id_hash: String,
    pub user_id: String,
    pub created_at: NaiveDateTime,
}

pub fn enrolment(conn: &mut AnyConnection, user_id: &str) -> Result<Option<EnrolmentRow>, DbError> {
    Ok(totp_enrolments::table
        .filter(totp_enrolments::user_id.eq(user_id))
        .select(EnrolmentRow::as_select())
        .first(conn)
        .optional()?)
}

/// A new, unconfirmed enrolment unless the user already has one (then that one stays).
pub fn start_enrolment(
    conn: &mut AnyConnection,
    row: &EnrolmentRow,
) -> Result<EnrolmentRow, DbError> {
    if let Some(existing) = enrolment(conn, &row.user_id)? {
        return Ok(existing);
    }
    diesel::insert_into(totp_enrolments::table)
        .values(row)
        .execute(conn)?;
    Ok(row.clone())
}

/// Confirms the enrolment with the step of its first code; `false` if it was confirmed
/// meanwhile or the step was taken.
pub fn confirm(
    conn: &mut AnyConnection,
    user_id: &str,
    step: i64,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        totp_enrolments::table
            .filter(totp_enrolments::user_id.eq(user_id))
            .filter(totp_enrolments::confirmed_at.is_null()),
    )
    .set((
        totp_enrolments::confirmed_at.eq(now),
        totp_enrolments::last_step.eq(step),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Takes `step` for the user's confirmed enrolment if no later or equal step was taken:
/// `true` for the one request that did (a code is accepted once, even by racing requests).
pub fn take_step(conn: &mut AnyConnection, user_id: &str, step: i64) -> Result<bool, DbError> {
    let changed = diesel::update(
        totp_enrolments::table
            .filter(totp_enrolments::user_id.eq(user_id))
            .filter(totp_enrolments::confirmed_at.is_not_null())
            .filter(
                totp_enrolments::last_step
                    .is_null()
                    .or(totp_enrolments::last_step.lt(step)),
            ),
    )
    .set(totp_enrolments::last_step.eq(step))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Replaces the user's recovery codes by these hashes.
pub fn replace_recovery_codes(
    conn: &mut AnyConnection,
    user_id: &str,
    hashes: &[String],
) -> Result<(), DbError> {
    diesel::delete(totp_recovery_codes::table.filter(totp_recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    for hash in hashes {
        diesel::insert_into(totp_recovery_codes::table)
            .values((
                totp_recovery_codes::code_hash.eq(hash),
                totp_recovery_codes::user_id.eq(user_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Uses the recovery code of `hash` once: `true` for the one request that did.
pub fn use_recovery_code(
    conn: &mut AnyConnection,
    user_id: &str,
    hash: &str,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        totp_recovery_codes::table
            .filter(totp_recovery_codes::code_hash.eq(hash))
            .filter(totp_recovery_codes::user_id.eq(user_id))
            .filter(totp_recovery_codes::used_at.is_null()),
    )
    .set(totp_recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn unused_recovery_codes(conn: &mut AnyConnection, user_id: &str) -> Result<i64, DbError> {
    Ok(totp_recovery_codes::table
        .filter(totp_recovery_codes::user_id.eq(user_id))
        .filter(totp_recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Removes the user's enrolment, recovery codes and pending sign-ins (`reset-totp`):
/// whether there was an enrolment.
pub fn remove(conn: &mut AnyConnection, user_id: &str) -> Result<bool, DbError> {
    diesel::delete(pending_sign_ins::table.filter(pending_sign_ins::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(totp_recovery_codes::table.filter(totp_recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let removed =
        diesel::delete(totp_enrolments::table.filter(totp_enrolments::user_id.eq(user_id)))
            .execute(conn)?;
    Ok(removed > 0)
}

pub fn insert_pending(conn: &mut AnyConnection, row: &PendingSignInRow) -> Result<(), DbError> {
    diesel::insert_into(pending_sign_ins::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The pending sign-in of `id_hash` if it was made after `since`.
pub fn pending(
    conn: &mut AnyConnection,
    id_hash: &str,
    since: NaiveDateTime,
) -> Result<Option<PendingSignInRow>, DbError> {
    Ok(pending_sign_ins::table
        .filter(pending_sign_ins::id_hash.eq(id_hash))
        .filter(pending_sign_ins::created_at.gt(since))
        .select(PendingSignInRow::as_select())
        .first(conn)
        .optional()?)
}

/// Ends a pending sign-in (it became a session) and any older than `before`.
pub fn delete_pending(
    conn: &mut AnyConnection,
    id_hash: &str,
    before: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::delete(
        pending_sign_ins::table.filter(
            pending_sign_ins::id_hash
                .eq(id_hash)
                .or(pending_sign_ins::created_at.lt(before)),
        ),
    )
    .execute(conn)?;
    Ok(())
}
