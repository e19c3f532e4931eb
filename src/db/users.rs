//! Staff accounts. Passwords arrive here already hashed; nothing here sees a password.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::users;
use super::{AnyConnection, DbError};
use crate::domain::access::Role;
use crate::domain::ids::{DepartmentCode, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: UserId,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub department_code: DepartmentCode,
    pub email: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

pub fn count(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(users::table.count().get_result(conn)?)
}

pub fn insert(conn: &mut AnyConnection, user: &UserRow) -> Result<(), DbError> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_username(
    conn: &mut AnyConnection,
    username: &str,
) -> Result<Option<UserRow>, DbError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<UserRow>, DbError> {
    Ok(users::table
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_password_hash(conn: &mut AnyConnection, id: &str, hash: &str) -> Result<(), DbError> {
    diesel::update(users::table.filter(users::id.eq(id)))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

/// Usernames by user id, for showing who did what.
pub fn names_by_id(
    conn: &mut AnyConnection,
) -> Result<std::collections::HashMap<UserId, String>, DbError> {
    let rows: Vec<(UserId, String)> = users::table
        .select((users::id, users::username))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Usernames of a department's active staff, in order.
pub fn active_usernames_of(
    conn: &mut AnyConnection,
    department: &DepartmentCode,
) -> Result<Vec<String>, DbError> {
    Ok(users::table
        .filter(users::department_code.eq(department))
        .filter(users::active.eq(true))
        .order(users::username)
        .select(users::username)
        .load(conn)?)
}

/// The addresses of a department's active supervisors (who hear of its overdue cases).
pub fn supervisor_emails(
    conn: &mut AnyConnection,
    department: &DepartmentCode,
) -> Result<Vec<String>, DbError> {
    Ok(users::table
        .filter(users::department_code.eq(department))
        .filter(users::role.eq(Role::Supervisor))
        .filter(users::active.eq(true))
        .filter(users::email.is_not_null())
        .order(users::username)
        .select(users::email.assume_not_null())
        .load(conn)?)
}

/// Every active supervisor with an email address: (department, username, email).
pub fn all_supervisor_emails(
    conn: &mut AnyConnection,
) -> Result<Vec<(DepartmentCode, String, String)>, DbError> {
    Ok(users::table
        .filter(users::role.eq(Role::Supervisor))
        .filter(users::active.eq(true))
        .filter(users::email.is_not_null())
        .order((users::department_code, users::username))
        .select((
            users::department_code,
            users::username,
            users::email.assume_not_null(),
        ))
        .load(conn)?)
}
