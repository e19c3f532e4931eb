//! `/admin/users`: staff accounts — create, change role, department or email, reset the
//! password, (de)activate. What each may do and what it ends: `services::manage::accounts`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::Post;
use super::{
    after, department_choices, department_choices_keeping, department_name, failed, list_page,
    record_page, refused, row, saved, yes_no, Desk, RecordView, Section, Store,
};
use crate::db::users::UserRow;
use crate::domain::access::Role;
use crate::errors::AppError;
use crate::i18n::{self, Locale};
use crate::pages::city_minute;
use crate::pages::manage::{Choice, FormBuilder};
use crate::services::manage::accounts::UserForm;
use crate::services::manage::form::{FieldErrors, NoFields, USERNAME_MAX};
use crate::services::manage::{ManageError, Manager};

pub(super) struct Users;

const LIST: &str = "/admin/users";

impl Store for UserRow {
    type Form = UserForm;

    async fn find(manager: &Manager, username: &str) -> Result<UserRow, ManageError> {
        manager.user(username).await
    }

    async fn create(manager: &Manager, form: UserForm) -> Result<String, ManageError> {
        manager.create_user(form).await
    }

    async fn update(
        manager: &Manager,
        username: &str,
        form: UserForm,
    ) -> Result<String, ManageError> {
        manager.update_profile(username, form).await?;
        Ok(username.to_owned())
    }
}

fn role_choices(locale: Locale) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|role| Choice {
            value: role.as_str().to_owned(),
            label: i18n::t(locale, &format!("manage.role.{}", role.as_str())).to_owned(),
        })
        .collect()
}

/// Role, department (`departments`) and email.
fn profile_inputs(
    builder: FormBuilder<'_>,
    locale: Locale,
    departments: Vec<Choice>,
) -> FormBuilder<'_> {
    builder
        .select("role", "manage.field.role", role_choices(locale))
        .select("department", "manage.field.department", departments)
        .hint("manage.hint.user_department")
        .email("email", "manage.field.email")
        .hint("manage.hint.user_email")
}

/// Which of an account's forms shows what was typed, and its problems.
#[derive(Clone, Copy)]
enum Shown<'a> {
    Profile(&'a UserForm),
    Password(&'a UserForm),
    Status,
}

/// An account's page: its profile, a new password, and (de)activation.
fn account_page(
    desk: &Desk,
    user: &UserRow,
    shown: Shown<'_>,
    errors: &FieldErrors,
    status: StatusCode,
) -> HttpResponse {
    let path = format!("{LIST}/{}", user.username);
    let admin = desk.frame(&path);
    let (reference, locale) = (desk.reference(), desk.locale());
    let stored = Users::stored(user);
    let none = FieldErrors::default();
    let (profile, profile_errors) = match shown {
        Shown::Profile(form) => (form, errors),
        _ => (&stored, &none),
    };
    let (password, password_errors) = match shown {
        Shown::Password(form) => (form, errors),
        _ => (&stored, &none),
    };
    // An account in a deactivated department still shows where it is.
    let departments = department_choices_keeping(reference, locale, &user.department_code);
    let profile = profile_inputs(
        FormBuilder::new(locale, profile, profile_errors),
        locale,
        departments,
    )
    .build(
        "profile",
        path.clone(),
        "manage.users.profile",
        "manage.save",
    );
    let password = FormBuilder::new(locale, password, password_errors)
        .password("password", "manage.field.new_password")
        .hint("manage.hint.password")
        .build(
            "reset-password",
            format!("{path}/password"),
            "manage.users.reset",
            "manage.users.reset",
        )
        .intro(admin.t("manage.users.reset_intro").to_owned())
        .caution();
    let status_change = if user.active {
        FormBuilder::new(locale, &NoFields, &none)
            .build(
                "deactivate",
                format!("{path}/deactivate"),
                "manage.users.deactivate",
                "manage.users.deactivate",
            )
            .intro(admin.t("manage.users.deactivate_intro").to_owned())
            .caution()
    } else {
        FormBuilder::new(locale, &NoFields, &none).build(
            "activate",
            format!("{path}/activate"),
            "manage.users.activate",
            "manage.users.activate",
        )
    };
    let mut forms = vec![profile, password, status_change];
    if !user.active {
        forms.swap(0, 2);
    }
    // A status problem (the last administrator) has no field: say it at the top.
    let warnings = match (shown, errors.get("status")) {
        (Shown::Status, Some(issue)) => vec![admin.t(issue.message_key()).to_owned()],
        _ => Vec::new(),
    };
    let facts = vec![
        (
            admin.t("manage.field.active").to_owned(),
            yes_no(&admin, user.active),
        ),
        (
            admin.t("manage.users.created").to_owned(),
            city_minute(user.created_at),
        ),
    ];
    let view = RecordView {
        title: user.username.clone(),
        warnings,
        facts,
        forms,
    };
    record_page::<Users>(admin, view, status)
}

impl Section for Users {
    const LIST: &'static str = LIST;
    const TEXTS: [&'static str; 3] = [
        "manage.users.title",
        "manage.users.intro",
        "manage.users.back",
    ];
    const COLUMNS: &'static [&'static str] = &[
        "manage.field.username",
        "manage.field.role",
        "manage.field.department",
        "manage.field.email",
    ];
    type Record = UserRow;

    /// No department is preselected: a new account lands where the administrator chose.
    fn blank() -> UserForm {
        UserForm {
            role: Role::Clerk.as_str().to_owned(),
            ..UserForm::default()
        }
    }

    fn stored(user: &UserRow) -> UserForm {
        UserForm {
            username: user.username.clone(),
            role: user.role.as_str().to_owned(),
            department: user.department_code.to_string(),
            email: user.email.clone().unwrap_or_default(),
            password: String::new(),
        }
    }

    async fn list_page(
        desk: &Desk,
        create: &UserForm,
        errors: &FieldErrors,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError> {
        let all = desk.manager.users().await.map_err(failed)?;
        let admin = desk.frame(LIST);
        let (reference, locale) = (desk.reference(), desk.locale());
        let rows = all
            .iter()
            .map(|u| {
                let cells = vec![
                    admin.t(&format!("manage.role.{}", u.role)).to_owned(),
                    department_name(reference, &u.department_code, locale),
                    u.email.clone().unwrap_or_default(),
                ];
                let mut listed = row(LIST, &u.username, u.active, cells);
                // Overdue notices go to a department's supervisors by email.
                if u.active && u.role == Role::Supervisor && u.email.is_none() {
                    listed
                        .flags
                        .push(("no-email", admin.t("manage.users.no_email")));
                }
                listed
            })
            .collect();
        let builder = FormBuilder::new(locale, create, errors)
            .text("username", "manage.field.username", USERNAME_MAX)
            .hint("manage.hint.username");
        let departments = after(
            admin.t("manage.choose"),
            department_choices(reference, locale),
        );
        let create = profile_inputs(builder, locale, departments)
            .password("password", "manage.field.initial_password")
            .hint("manage.hint.password")
            .build("create", LIST, "manage.users.new", "manage.create");
        Ok(list_page::<Users>(admin, rows, create, status))
    }

    async fn record_page(
        desk: &Desk,
        user: &UserRow,
        edit: &UserForm,
        errors: &FieldErrors,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError> {
        Ok(account_page(
            desk,
            user,
            Shown::Profile(edit),
            errors,
            status,
        ))
    }
}

/// What an account's own action came to: done (`303` to the list), or its page again with
/// the problem (`422`) in the form `shown`.
async fn answer(
    desk: &Desk,
    username: &str,
    result: Result<(), ManageError>,
    shown: Shown<'_>,
) -> Result<HttpResponse, AppError> {
    match refused(result)? {
        Ok(()) => Ok(saved(LIST, username)),
        Err(errors) => {
            let user = desk.manager.user(username).await.map_err(failed)?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(account_page(desk, &user, shown, &errors, status))
        }
    }
}

/// A new password; every session of the account ends with the old one.
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    path: web::Path<String>,
    Post(desk, form): Post<UserForm>,
) -> Result<HttpResponse, AppError> {
    let result = desk.manager.reset_password(&path, form.clone()).await;
    answer(&desk, &path, result, Shown::Password(&form)).await
}

/// `…/activate` or `…/deactivate`: the account's status (anything else is not found).
#[tracing::instrument(skip_all, fields(status = %path.1))]
pub async fn set_status(
    path: web::Path<(String, String)>,
    Post(desk, NoFields): Post<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (username, status) = path.into_inner();
    let active = match status.as_str() {
        "activate" => true,
        "deactivate" => false,
        _ => return Err(AppError::NotFound),
    };
    let result = desk.manager.set_user_active(&username, active).await;
    answer(&desk, &username, result, Shown::Status).await
}
