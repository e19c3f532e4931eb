//! `/admin/users`: staff accounts — create, change role, department or email, reset the password,
//! (de)activate, ending sessions in the same transaction. Own password changes: `password.rs`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::super::password::MIN_PASSWORD_CHARS;
use super::{
    admin_context, admin_form, audit, city_time, department_choices, department_name,
    require_admin, saved, yes_no,
};
use crate::db::manage::{self, created, Changes};
use crate::db::reference::ReferenceData;
use crate::db::users::{self, UserRow};
use crate::db::{sessions, DbError};
use crate::domain::access::Role;
use crate::domain::fields::Email;
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::i18n::Locale;
use crate::pages::manage::{Choice, FormBuilder, FormData, ListPage, RecordPage, RecordRow};
use crate::pages::render;
use crate::passwords;
use crate::services::now_utc;
use crate::state::AppState;

const LIST: &str = "/admin/users";
const MAX_PASSWORD_CHARS: usize = 200;

fn role_choices(admin_locale: Locale) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|role| Choice {
            value: role.as_str().to_owned(),
            label: crate::i18n::t(admin_locale, &format!("manage.role.{}", role.as_str()))
                .to_owned(),
        })
        .collect()
}

/// The account fields of the creation form.
fn profile_inputs<'a>(
    builder: FormBuilder<'a>,
    reference: &ReferenceData,
    locale: Locale,
) -> FormBuilder<'a> {
    // No department is preselected: a new account lands where the administrator chose.
    let mut departments = vec![Choice {
        value: String::new(),
        label: crate::i18n::t(locale, "manage.choose").to_owned(),
    }];
    departments.extend(department_choices(reference, locale));
    builder
        .select("role", "manage.field.role", role_choices(locale))
        .select("department", "manage.field.department", departments)
        .hint("manage.hint.user_department")
        .email("email", "manage.field.email")
        .hint("manage.hint.user_email")
}

async fn load_users(state: &AppState) -> Result<Vec<UserRow>, AppError> {
    Ok(state.db.read(manage::all_users).await?)
}

fn list_page(
    req: &HttpRequest,
    staff: &Staff,
    reference: &ReferenceData,
    all: &[UserRow],
    create: &FormData,
    status: StatusCode,
) -> HttpResponse {
    let admin = admin_context(req, staff, reference, LIST);
    let locale = admin.ctx.locale;
    let rows = all
        .iter()
        .map(|u| RecordRow {
            key: u.username.clone(),
            href: format!("{LIST}/{}", u.username),
            active: u.active,
            cells: vec![
                u.username.clone(),
                admin.t(&format!("manage.role.{}", u.role)).to_owned(),
                department_name(reference, &u.department_code, locale),
                u.email.clone().unwrap_or_default(),
            ],
        })
        .collect();
    let builder = FormBuilder::new(locale, create)
        .text("username", "manage.field.username", 64)
        .hint("manage.hint.username");
    let create = profile_inputs(builder, reference, locale)
        .password("password", "manage.field.initial_password")
        .hint("manage.hint.password")
        .build("create", LIST, "manage.users.new", "manage.create");
    let page = ListPage {
        title: admin.t("manage.users.title").to_owned(),
        intro: Some(admin.t("manage.users.intro").to_owned()),
        warnings: Vec::new(),
        columns: [
            "manage.field.username",
            "manage.field.role",
            "manage.field.department",
            "manage.field.email",
        ]
        .iter()
        .map(|k| admin.t(k).to_owned())
        .collect(),
        rows,
        create: Some(create),
        admin,
    };
    render(status, &page)
}

/// The forms of one account's page; `problem` re-renders one of them with what was typed.
enum Shown {
    Stored,
    Profile(FormData),
    Password(FormData),
    Status(FormData),
}

fn record_page(
    req: &HttpRequest,
    staff: &Staff,
    reference: &ReferenceData,
    user: &UserRow,
    shown: Shown,
    status: StatusCode,
) -> HttpResponse {
    let path = format!("{LIST}/{}", user.username);
    let admin = admin_context(req, staff, reference, &path);
    let locale = admin.ctx.locale;
    let stored = FormData::default()
        .with("role", user.role.as_str())
        .with("department", user.department_code.as_str())
        .with("email", user.email.clone().unwrap_or_default());
    let empty = FormData::default();
    let (profile, password, status_form) = match &shown {
        Shown::Stored => (&stored, &empty, &empty),
        Shown::Profile(form) => (form, &empty, &empty),
        Shown::Password(form) => (&stored, form, &empty),
        Shown::Status(form) => (&stored, &empty, form),
    };
    let mut departments = department_choices(reference, locale);
    // An account in a deactivated department still shows where it is.
    if !departments.iter().any(|c| c.value == user.department_code) {
        departments.insert(
            0,
            Choice {
                value: user.department_code.to_string(),
                label: department_name(reference, &user.department_code, locale),
            },
        );
    }
    let profile = FormBuilder::new(locale, profile)
        .select("role", "manage.field.role", role_choices(locale))
        .select("department", "manage.field.department", departments)
        .hint("manage.hint.user_department")
        .email("email", "manage.field.email")
        .hint("manage.hint.user_email")
        .build(
            "profile",
            path.clone(),
            "manage.users.profile",
            "manage.save",
        );
    let password = FormBuilder::new(locale, password)
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
        FormBuilder::new(locale, status_form)
            .build(
                "deactivate",
                format!("{path}/deactivate"),
                "manage.users.deactivate",
                "manage.users.deactivate",
            )
            .intro(admin.t("manage.users.deactivate_intro").to_owned())
            .caution()
    } else {
        FormBuilder::new(locale, status_form).build(
            "activate",
            format!("{path}/activate"),
            "manage.users.activate",
            "manage.users.activate",
        )
    };
    let mut forms = vec![profile, password, status_change];
    // A status problem (the last administrator) has no field: say it at the top.
    let mut warnings = Vec::new();
    if let Shown::Status(form) = &shown {
        if let Some(key) = form.error("status") {
            warnings.push(admin.t(key).to_owned());
        }
    }
    if !user.active {
        forms.swap(0, 2);
    }
    let page = RecordPage {
        title: user.username.clone(),
        back_href: LIST.to_owned(),
        back_label: admin.t("manage.users.back").to_owned(),
        warnings,
        facts: vec![
            (
                admin.t("manage.field.active").to_owned(),
                yes_no(&admin, user.active),
            ),
            (
                admin.t("manage.users.created").to_owned(),
                city_time(user.created_at),
            ),
        ],
        forms,
        admin,
    };
    render(status, &page)
}

fn parse_username(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        Err("manage.error.required")
    } else if name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        Ok(name.to_owned())
    } else {
        Err("manage.error.username")
    }
}

fn parse_password(raw: &str) -> Result<String, &'static str> {
    let chars = raw.chars().count();
    if chars == 0 {
        Err("manage.error.required")
    } else if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        Ok(raw.to_owned())
    } else {
        Err("manage.error.password")
    }
}

/// Role, department and email, checked into `form`. The office is the coordinators'
/// department (DESIGN §4), so a coordinator elsewhere would be a contradiction.
fn parse_profile(
    form: &mut FormData,
    reference: &ReferenceData,
) -> Option<(Role, String, Option<String>)> {
    let role = Role::parse(form.value("role").trim());
    if role.is_none() {
        form.add_error("role", "manage.error.role");
    }
    let department = form.value("department").trim().to_owned();
    match reference.department(&department) {
        _ if department.is_empty() => form.add_error("department", "manage.error.required"),
        None => form.add_error("department", "manage.error.unknown_department"),
        Some(d) if !d.active => form.add_error("department", "manage.error.inactive_department"),
        Some(d) if role == Some(Role::Coordinator) && !d.is_office => {
            form.add_error("department", "manage.error.coordinator_office")
        }
        Some(_) => {}
    }
    let email = match form.value("email").trim() {
        "" => Some(None),
        raw => match Email::parse(raw) {
            Ok(email) => Some(Some(email.as_str().to_owned())),
            Err(_) => {
                form.add_error("email", "manage.error.email");
                None
            }
        },
    };
    Some((role?, department, email?)).filter(|_| form.is_valid())
}

async fn hash(password: String) -> Result<String, AppError> {
    web::block(move || passwords::hash(&password))
        .await
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?
        .map_err(AppError::from)
}

async fn find(state: &AppState, username: &str) -> Result<UserRow, AppError> {
    let username = username.to_owned();
    state
        .db
        .read(move |conn| users::find_by_username(conn, &username))
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    require_admin(&staff)?;
    let reference = state.reference().await?;
    let all = load_users(&state).await?;
    let form = FormData::default().with("role", "clerk");
    Ok(list_page(
        &req,
        &staff,
        &reference,
        &all,
        &form,
        StatusCode::OK,
    ))
}

pub async fn create(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let mut form = admin_form(&staff, &body)?;
    let reference = state.reference().await?;
    let username = parse_username(form.value("username"));
    let username = form.check("username", username);
    let profile = parse_profile(&mut form, &reference);
    let password = parse_password(form.value("password"));
    let password = form.check("password", password);
    if let Some(name) = &username {
        let name = name.clone();
        if state
            .db
            .read(move |conn| users::find_by_username(conn, &name))
            .await?
            .is_some()
        {
            form.add_error("username", "manage.error.duplicate_username");
        }
    }
    let invalid = |form: FormData| {
        let (state, req, staff, reference) = (&state, &req, &staff, &reference);
        async move {
            let all = load_users(state).await?;
            Ok::<_, AppError>(list_page(
                req,
                staff,
                reference,
                &all,
                &form.forget("password"),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    };
    let (Some(username), Some((role, department, email)), Some(password), true) =
        (username, profile, password, form.is_valid())
    else {
        return invalid(form).await;
    };
    let row = UserRow {
        id: uuid::Uuid::now_v7().to_string().into(),
        username: username.clone(),
        password_hash: hash(password).await?,
        role,
        department_code: department.into(),
        email,
        active: true,
        created_at: now_utc(),
    };
    let actor = staff.user_id.clone();
    let written = state
        .db
        .write(move |conn| {
            if users::find_by_username(conn, &row.username)?.is_some() {
                return Ok(false);
            }
            users::insert(conn, &row)?;
            let detail = created(&[
                ("role", &row.role),
                ("department", &row.department_code),
                ("email", &row.email),
            ]);
            audit(conn, &actor, "user", &row.username, "create", detail)?;
            Ok::<_, DbError>(true)
        })
        .await;
    match written {
        Ok(true) => Ok(saved(LIST, &username)),
        Ok(false) => {
            form.add_error("username", "manage.error.duplicate_username");
            invalid(form).await
        }
        Err(error) if error.is_unique_violation() => {
            form.add_error("username", "manage.error.duplicate_username");
            invalid(form).await
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn show(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    require_admin(&staff)?;
    let reference = state.reference().await?;
    let user = find(&state, &path).await?;
    Ok(record_page(
        &req,
        &staff,
        &reference,
        &user,
        Shown::Stored,
        StatusCode::OK,
    ))
}

/// Role, department and email. The last active administrator keeps the admin role.
pub async fn update(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let mut form = admin_form(&staff, &body)?;
    let reference = state.reference().await?;
    let user = find(&state, &path).await?;
    let profile = parse_profile(&mut form, &reference);
    let Some((role, department, email)) = profile else {
        return Ok(record_page(
            &req,
            &staff,
            &reference,
            &user,
            Shown::Profile(form),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let mut changes = Changes::default();
    changes.field("role", user.role.as_str(), role.as_str());
    changes.field("department", user.department_code.as_str(), department.as_str());
    changes.field("email", &user.email, &email);
    if changes.is_empty() {
        return Ok(saved(LIST, &user.username));
    }
    let actor = staff.user_id.clone();
    let (id, username, was_admin) = (
        user.id.clone(),
        user.username.clone(),
        user.role == Role::Admin,
    );
    let written = state
        .db
        .write(move |conn| {
            if was_admin
                && user_is_active(conn, &id)?
                && role != Role::Admin
                && manage::other_active_admins(conn, &id)? == 0
            {
                return Ok(false);
            }
            manage::update_user_profile(conn, &id, role.as_str(), &department, email.as_deref())?;
            audit(conn, &actor, "user", &username, "update", changes.detail())?;
            Ok::<_, DbError>(true)
        })
        .await?;
    if written {
        return Ok(saved(LIST, &user.username));
    }
    form.add_error("role", "manage.error.last_admin");
    Ok(record_page(
        &req,
        &staff,
        &reference,
        &user,
        Shown::Profile(form),
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

fn user_is_active(conn: &mut crate::db::AnyConnection, id: &str) -> Result<bool, DbError> {
    Ok(users::find_by_id(conn, id)?.is_some_and(|u| u.active))
}

/// Sets a new password and ends every session of the account, so whoever held one (or the
/// old password) is out at once. The login throttle of the name is cleared too.
pub async fn reset_password(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let mut form = admin_form(&staff, &body)?;
    let user = find(&state, &path).await?;
    let password = parse_password(form.value("password"));
    let Some(password) = form.check("password", password) else {
        let reference = state.reference().await?;
        let form = form.forget("password");
        return Ok(record_page(
            &req,
            &staff,
            &reference,
            &user,
            Shown::Password(form),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let new_hash = hash(password).await?;
    let actor = staff.user_id.clone();
    let (id, username) = (user.id.clone(), user.username.clone());
    state
        .db
        .write(move |conn| {
            users::set_password_hash(conn, &id, &new_hash)?;
            sessions::delete_for_user(conn, &id)?;
            sessions::clear_throttle(conn, &username)?;
            audit(
                conn,
                &actor,
                "user",
                &username,
                "reset_password",
                "password replaced; sessions ended".into(),
            )?;
            Ok::<_, DbError>(())
        })
        .await?;
    Ok(saved(LIST, &user.username))
}

/// Deactivation revokes the account's sessions in the same transaction: its next request
/// is refused. The last active administrator cannot be deactivated.
pub async fn deactivate(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let mut form = admin_form(&staff, &body)?;
    let user = find(&state, &path).await?;
    let actor = staff.user_id.clone();
    let (id, username, is_admin) = (
        user.id.clone(),
        user.username.clone(),
        user.role == Role::Admin,
    );
    let written = state
        .db
        .write(move |conn| {
            let Some(current) = users::find_by_id(conn, &id)? else {
                return Ok(true);
            };
            if !current.active {
                return Ok(true);
            }
            if is_admin && manage::other_active_admins(conn, &id)? == 0 {
                return Ok(false);
            }
            manage::set_user_active(conn, &id, false)?;
            sessions::delete_for_user(conn, &id)?;
            audit(
                conn,
                &actor,
                "user",
                &username,
                "deactivate",
                "active: true → false; sessions ended".into(),
            )?;
            Ok::<_, DbError>(true)
        })
        .await?;
    if written {
        return Ok(saved(LIST, &user.username));
    }
    form.add_error("status", "manage.error.last_admin");
    let reference = state.reference().await?;
    Ok(record_page(
        &req,
        &staff,
        &reference,
        &user,
        Shown::Status(form),
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

pub async fn activate(
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    admin_form(&staff, &body)?;
    let user = find(&state, &path).await?;
    if user.active {
        return Ok(saved(LIST, &user.username));
    }
    let actor = staff.user_id.clone();
    let (id, username) = (user.id.clone(), user.username.clone());
    state
        .db
        .write(move |conn| {
            manage::set_user_active(conn, &id, true)?;
            audit(
                conn,
                &actor,
                "user",
                &username,
                "activate",
                "active: false → true".into(),
            )?;
            Ok::<_, DbError>(())
        })
        .await?;
    Ok(saved(LIST, &user.username))
}
