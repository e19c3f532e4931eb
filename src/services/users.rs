//! `green-channel create-user`: a staff account made by the operator, checked by the same
//! rules as the users page (`manage::accounts`) and, like the bootstrap admin, not audited.

use crate::db::reference::ReferenceData;
use crate::db::Database;
use crate::services::manage::accounts::{insert_account, NewAccount, UserForm};

/// Creates an account in `department`, or in the coordination office when none is named.
pub fn create_user(
    db: &Database,
    username: &str,
    role: &str,
    department: Option<&str>,
    email: Option<&str>,
    password: &str,
) -> anyhow::Result<()> {
    let reference = db.read_blocking(ReferenceData::load)?;
    let department = match department {
        Some(code) => code.to_owned(),
        None => reference
            .office()
            .map(|d| d.code.clone())
            .ok_or_else(|| anyhow::anyhow!("no coordination office"))?,
    };
    let form = UserForm {
        username: username.to_owned(),
        role: role.to_owned(),
        department,
        email: email.unwrap_or_default().to_owned(),
        password: password.to_owned(),
    };
    let row = NewAccount::parse(&form, &reference)
        .map_err(|errors| anyhow::anyhow!("{errors}"))?
        .into_row()?;
    db.write_blocking(move |conn| insert_account(conn, None, &row))?;
    Ok(())
}
