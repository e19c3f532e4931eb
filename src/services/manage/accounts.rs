//! Staff accounts: creating one, its role, department and email, a new password,
//! (de)activation — ending its sessions where that takes powers away. The last active
//! administrator always stays one. Own password changes: `routes/admin/password.rs`.

use super::form::{self, raw_form, FieldErrors, Problem, Refusal};
use super::{audit, audit_change, shown, Actor, Audited, Catalog, ManageError, Manager};
use crate::db::manage as queries;
use crate::db::users::{self, UserRow};
use crate::db::{sessions, AnyConnection, DbError};
use crate::domain::access::Role;
use crate::passwords::{self, HashingGate};
use crate::services::now_utc;

raw_form! {
    /// An account as typed: the name and first password on creation, the profile (role,
    /// department, email) on creation and on its page, a new password on its own.
    pub struct UserForm {
        text: [username, role, department, email, password],
        checkbox: [],
        list: [],
    }
}

/// Role, department and email of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub role: Role,
    pub department: String,
    pub email: Option<String>,
}

/// A new account, its password not yet hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub username: String,
    pub profile: Profile,
    pub password: String,
}

/// An account as the audit trail describes it (never its password).
struct Account<'a> {
    username: &'a str,
    role: &'a str,
    department: &'a str,
    email: &'a Option<String>,
    active: bool,
}

impl<'a> Account<'a> {
    fn of(row: &'a UserRow) -> Account<'a> {
        Account {
            username: &row.username,
            role: row.role.as_str(),
            department: row.department_code.as_str(),
            email: &row.email,
            active: row.active,
        }
    }
}

impl Audited for Account<'_> {
    const ENTITY: &'static str = "user";

    fn key(&self) -> String {
        self.username.to_owned()
    }

    fn active(&self) -> bool {
        self.active
    }

    fn audit_fields(&self) -> Vec<(&'static str, String)> {
        shown(&[
            ("role", &self.role),
            ("department", &self.department),
            ("email", self.email),
            ("active", &self.active),
        ])
    }
}

/// The stored role; one the program does not know is no role at all.
fn role_of(user: &UserRow) -> Option<Role> {
    Some(user.role)
}

/// Role, department and email, checked into `errors`. The office is the coordinators'
/// department (DESIGN §4), so a coordinator elsewhere would be a contradiction; an
/// inactive department takes no cases, so nobody is placed there.
fn parse_profile(
    errors: &mut FieldErrors,
    form: &UserForm,
    catalog: &dyn Catalog,
) -> Option<Profile> {
    let role = errors.check("role", Role::parse(form.role.trim()).ok_or(Problem::Role));
    let department = form::chosen(&form.department).map_err(form::Issue::from);
    let department = department.and_then(|code| match catalog.department(&code) {
        None => Err(Refusal::UnknownDepartment.into()),
        Some(d) if !d.active => Err(Refusal::InactiveDepartment.into()),
        Some(d) if role == Some(Role::Coordinator) && !d.is_office => {
            Err(Refusal::CoordinatorOutsideOffice.into())
        }
        Some(_) => Ok(code),
    });
    let department = errors.check("department", department);
    let email = errors.check("email", form::optional_email(&form.email));
    Some(Profile {
        role: role?,
        department: department?,
        email: email?,
    })
}

impl NewAccount {
    pub fn parse(form: &UserForm, catalog: &dyn Catalog) -> Result<NewAccount, FieldErrors> {
        let mut errors = FieldErrors::default();
        let username = errors.check("username", form::username(&form.username));
        let profile = parse_profile(&mut errors, form, catalog);
        let password = errors.check("password", form::password(&form.password));
        errors.finish(|| {
            Some(NewAccount {
                username: username?,
                profile: profile?,
                password: password?,
            })
        })
    }

    /// The row to insert, with the password hashed (slow: off the async runtime).
    pub fn into_row(self) -> anyhow::Result<UserRow> {
        Ok(UserRow {
            id: uuid::Uuid::now_v7().to_string().into(),
            username: self.username,
            password_hash: passwords::hash(&self.password)?,
            role: self.profile.role,
            department_code: self.profile.department.into(),
            email: self.profile.email,
            active: true,
            created_at: now_utc(),
        })
    }
}

/// Inserts a new account, refusing a name that is taken; audited unless `actor` is `None`
/// (`green-channel create-user`, the operator's bootstrap, which leaves no trail).
pub fn insert_account(
    conn: &mut AnyConnection,
    actor: Option<&Actor>,
    row: &UserRow,
) -> Result<(), ManageError> {
    let taken = || ManageError::refused("username", Refusal::DuplicateUsername);
    if users::find_by_username(conn, &row.username)?.is_some() {
        return Err(taken());
    }
    match users::insert(conn, row) {
        Err(error) if error.is_unique_violation() => return Err(taken()),
        other => other?,
    }
    if let Some(actor) = actor {
        audit_change(conn, actor, None, &Account::of(row), None)?;
    }
    Ok(())
}

/// The last active administrator stays one: `user` (as stored now) may not stop being an
/// active administrator while no other is.
fn last_admin_refusal(
    conn: &mut AnyConnection,
    user: &UserRow,
    still_active_admin: bool,
) -> Result<bool, DbError> {
    let is_active_admin = user.active && role_of(user) == Some(Role::Admin);
    Ok(
        is_active_admin
            && !still_active_admin
            && queries::other_active_admins(conn, &user.id)? == 0,
    )
}

fn stored(conn: &mut AnyConnection, username: &str) -> Result<UserRow, ManageError> {
    users::find_by_username(conn, username)?.ok_or(ManageError::NotFound)
}

/// Runs Argon2 `work` under the instance's bound, as sign-in does (`503` when full).
async fn gated<T: Send + 'static>(
    hashing: &HashingGate,
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, ManageError> {
    match hashing.run(work).await {
        Ok(outcome) => Ok(outcome??),
        Err(_busy) => Err(ManageError::Busy),
    }
}

impl Manager {
    pub async fn user(&self, username: &str) -> Result<UserRow, ManageError> {
        let username = username.to_owned();
        self.read(move |conn| users::find_by_username(conn, &username))
            .await?
            .ok_or(ManageError::NotFound)
    }

    /// Creates an account; its username.
    pub async fn create_user(&self, form: UserForm) -> Result<String, ManageError> {
        let account = NewAccount::parse(&form, self.reference())?;
        let row = gated(&self.hashing, move || account.into_row()).await?;
        let username = row.username.clone();
        self.write(move |conn, actor, _| insert_account(conn, Some(actor), &row))
            .await?;
        Ok(username)
    }

    /// Role, department and email; the role is read at every request, so a change takes
    /// effect in open sessions at once.
    pub async fn update_profile(&self, username: &str, form: UserForm) -> Result<(), ManageError> {
        let username = username.to_owned();
        self.write(move |conn, actor, reference| {
            let user = stored(conn, &username)?;
            let mut errors = FieldErrors::default();
            let profile = parse_profile(&mut errors, &form, reference);
            let profile = errors.finish(|| profile)?;
            let new = UserRow {
                role: profile.role,
                department_code: profile.department.into(),
                email: profile.email,
                ..user.clone()
            };
            let stays_admin = profile.role == Role::Admin && user.active;
            if last_admin_refusal(conn, &user, stays_admin)? {
                return Err(ManageError::refused("role", Refusal::LastAdmin));
            }
            if audit_change(
                conn,
                actor,
                Some(&Account::of(&user)),
                &Account::of(&new),
                None,
            )? {
                queries::update_user_profile(
                    conn,
                    &new.id,
                    new.role.as_str(),
                    new.department_code.as_str(),
                    new.email.as_deref(),
                )?;
            }
            Ok(())
        })
        .await
    }

    /// Sets a new password and ends every session of the account, so whoever held one (or
    /// the old password) is out at once. The login throttle of the name is cleared too.
    pub async fn reset_password(&self, username: &str, form: UserForm) -> Result<(), ManageError> {
        self.user(username).await?;
        let password = form::password(&form.password)
            .map_err(|problem| FieldErrors::one("password", problem))?;
        let new_hash = gated(&self.hashing, move || passwords::hash(&password)).await?;
        let username = username.to_owned();
        self.write(move |conn, actor, _| {
            let user = stored(conn, &username)?;
            users::set_password_hash(conn, &user.id, &new_hash)?;
            sessions::delete_for_user(conn, &user.id)?;
            sessions::clear_all_throttles(conn, &user.username)?;
            audit(
                conn,
                actor,
                Account::ENTITY,
                &user.username,
                "reset_password",
                "password replaced; sessions ended",
            )?;
            Ok(())
        })
        .await
    }

    /// (De)activates an account; deactivation ends its sessions in the same transaction, so
    /// its next request is refused. Asking for what already is changes nothing.
    pub async fn set_user_active(&self, username: &str, active: bool) -> Result<(), ManageError> {
        let username = username.to_owned();
        self.write(move |conn, actor, _| {
            let user = stored(conn, &username)?;
            if user.active == active {
                return Ok(());
            }
            if last_admin_refusal(conn, &user, active)? {
                return Err(ManageError::refused("status", Refusal::LastAdmin));
            }
            queries::set_user_active(conn, &user.id, active)?;
            let also = (!active).then_some("sessions ended");
            if !active {
                sessions::delete_for_user(conn, &user.id)?;
            }
            let new = UserRow {
                active,
                ..user.clone()
            };
            audit_change(
                conn,
                actor,
                Some(&Account::of(&user)),
                &Account::of(&new),
                also,
            )?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::manage::form::Issue;
    use crate::services::manage::Standing;

    struct Known;

    impl Catalog for Known {
        fn district(&self, _: &str) -> Option<Standing> {
            None
        }

        fn department(&self, code: &str) -> Option<Standing> {
            match code {
                "office" => Some(Standing {
                    active: true,
                    is_office: true,
                }),
                "food" => Some(Standing {
                    active: true,
                    is_office: false,
                }),
                "closed" => Some(Standing {
                    active: false,
                    is_office: false,
                }),
                _ => None,
            }
        }

        fn category(&self, _: &str) -> Option<Standing> {
            None
        }
    }

    fn form(role: &str, department: &str) -> UserForm {
        UserForm {
            username: "li.si".into(),
            role: role.into(),
            department: department.into(),
            email: "".into(),
            password: "a-long-enough-password".into(),
        }
    }

    fn refusal(role: &str, department: &str) -> Option<Issue> {
        NewAccount::parse(&form(role, department), &Known)
            .unwrap_err()
            .get("department")
    }

    #[test]
    fn an_account_is_placed_in_an_active_department_and_coordinators_in_the_office() {
        let account = NewAccount::parse(&form("coordinator", "office"), &Known).unwrap();
        assert_eq!(account.profile.role, Role::Coordinator);
        assert_eq!(account.profile.email, None);
        assert!(NewAccount::parse(&form("clerk", "food"), &Known).is_ok());
        assert_eq!(
            refusal("coordinator", "food"),
            Some(Issue::Refused(Refusal::CoordinatorOutsideOffice))
        );
        assert_eq!(
            refusal("clerk", "closed"),
            Some(Issue::Refused(Refusal::InactiveDepartment))
        );
        assert_eq!(
            refusal("clerk", "nowhere"),
            Some(Issue::Refused(Refusal::UnknownDepartment))
        );
        let errors = NewAccount::parse(&form("boss", "food"), &Known).unwrap_err();
        assert_eq!(errors.get("role"), Some(Issue::Malformed(Problem::Role)));
    }
}
