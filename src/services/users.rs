//! Staff accounts: creating one with a hashed password in a known department.

use crate::db::reference::ReferenceData;
use crate::db::users::{self, UserRow};
use crate::db::Database;
use crate::services::now_utc;

pub const ROLES: [&str; 4] = ["clerk", "supervisor", "coordinator", "admin"];

pub fn create_user(
    db: &Database,
    username: &str,
    role: &str,
    department: Option<&str>,
    email: Option<&str>,
    password: &str,
) -> anyhow::Result<()> {
    let role = crate::domain::access::Role::parse(role)
        .ok_or_else(|| anyhow::anyhow!("unknown role {role}"))?;
    anyhow::ensure!(
        !username.is_empty()
            && username.len() <= 64
            && username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
        "a username has 1–64 letters, digits, dots, dashes or underscores"
    );
    anyhow::ensure!(
        password.chars().count() >= 10,
        "a password needs at least 10 characters"
    );
    let reference = db.read_blocking(ReferenceData::load)?;
    let department = match department {
        Some(code) => reference
            .department(code)
            .map(|d| d.code.clone())
            .ok_or_else(|| anyhow::anyhow!("no department with code {code}"))?,
        None => reference
            .office()
            .map(|d| d.code.clone())
            .ok_or_else(|| anyhow::anyhow!("no coordination office"))?,
    };
    let row = UserRow {
        id: uuid::Uuid::now_v7().to_string().into(),
        username: username.to_owned(),
        password_hash: crate::passwords::hash(password)?,
        role,
        department_code: department.into(),
        email: email.map(str::to_owned),
        active: true,
        created_at: now_utc(),
    };
    db.write_blocking(move |conn| -> anyhow::Result<()> {
        anyhow::ensure!(
            users::find_by_username(conn, &row.username)?.is_none(),
            "user {} already exists",
            row.username
        );
        users::insert(conn, &row)?;
        Ok(())
    })
}
