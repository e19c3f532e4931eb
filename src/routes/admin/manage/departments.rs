//! `/admin/departments`: the member units (names, inbox, district, active) and which one is the
//! coordination office — always exactly one, and active. Departments are never deleted.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{admin_context, admin_form, audit, choice, parse_names, require_admin, saved, yes_no};
use crate::db::manage::{self, created, Changes};
use crate::db::reference::{split_codes, DepartmentRow, Named, ReferenceData};
use crate::db::DbError;
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::i18n::Locale;
use crate::pages::manage::{Choice, FormBuilder, FormData, ListPage, RecordPage, RecordRow};
use crate::pages::render;
use crate::services::jurisdiction::{self, NAME_MAX};
use crate::state::AppState;

const LIST: &str = "/admin/departments";

/// City level, then every district (an inactive one stays choosable for existing records).
fn district_choices(reference: &ReferenceData, locale: Locale, none_label: &str) -> Vec<Choice> {
    let mut choices = vec![Choice {
        value: String::new(),
        label: none_label.to_owned(),
    }];
    choices.extend(
        reference
            .districts
            .iter()
            .map(|d| choice(&d.code, d, locale)),
    );
    choices
}

fn form_inputs<'a>(
    builder: FormBuilder<'a>,
    reference: &ReferenceData,
    locale: Locale,
    none_label: &str,
) -> FormBuilder<'a> {
    builder
        .text("name_zh_hans", "manage.field.name_zh_hans", NAME_MAX)
        .text("name_zh_hant", "manage.field.name_zh_hant", NAME_MAX)
        .text("name_en", "manage.field.name_en", NAME_MAX)
        .email("inbox_email", "manage.field.inbox_email")
        .select(
            "district",
            "manage.field.district",
            district_choices(reference, locale, none_label),
        )
        .checkbox("is_office", "manage.field.is_office")
        .hint("manage.hint.is_office")
}

fn list_page(
    req: &HttpRequest,
    staff: &Staff,
    reference: &ReferenceData,
    create: &FormData,
    status: StatusCode,
) -> HttpResponse {
    let admin = admin_context(req, staff, reference, LIST);
    let locale = admin.ctx.locale;
    let city = admin.t("manage.city_level");
    let rows = reference
        .departments
        .iter()
        .map(|d| RecordRow {
            key: d.code.clone(),
            href: format!("{LIST}/{}", d.code),
            active: d.active,
            cells: vec![
                d.code.clone(),
                d.name(locale).to_owned(),
                d.district_code
                    .as_deref()
                    .and_then(|c| reference.district(c))
                    .map_or_else(|| city.to_owned(), |x| x.name(locale).to_owned()),
                d.inbox_email.clone(),
                if d.is_office {
                    admin.t("manage.office").to_owned()
                } else {
                    String::new()
                },
            ],
        })
        .collect();
    let builder = FormBuilder::new(locale, create)
        .text("code", "manage.field.code", 64)
        .hint("manage.hint.code");
    let create = form_inputs(builder, reference, locale, city).build(
        "create",
        LIST,
        "manage.departments.new",
        "manage.create",
    );
    let page = ListPage {
        title: admin.t("manage.departments.title").to_owned(),
        intro: Some(admin.t("manage.departments.intro").to_owned()),
        warnings: Vec::new(),
        columns: [
            "manage.field.code",
            "manage.field.name",
            "manage.field.district",
            "manage.field.inbox_email",
            "manage.field.is_office",
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

/// What depends on a department, shown before it is deactivated.
struct Dependents {
    /// Active rules naming it as lead or co-handler.
    rules: usize,
    active_users: i64,
}

async fn dependents(state: &AppState, code: &str) -> Result<Dependents, AppError> {
    let code = code.to_owned();
    Ok(state
        .db
        .read(move |conn| {
            let rules = manage::all_rules(conn)?;
            Ok(Dependents {
                rules: rules
                    .iter()
                    .filter(|r| {
                        r.active
                            && (r.lead_department == code
                                || split_codes(&r.co_departments).contains(&code))
                    })
                    .count(),
                active_users: manage::active_users_in(conn, &code)?,
            })
        })
        .await?)
}

fn record_page(
    req: &HttpRequest,
    staff: &Staff,
    reference: &ReferenceData,
    department: &DepartmentRow,
    dependents: &Dependents,
    form: &FormData,
    status: StatusCode,
) -> HttpResponse {
    let code = &department.code;
    let path = format!("{LIST}/{code}");
    let admin = admin_context(req, staff, reference, &path);
    let locale = admin.ctx.locale;
    let builder = FormBuilder::new(locale, form).fixed("code", "manage.field.code", code);
    let edit = form_inputs(builder, reference, locale, admin.t("manage.city_level"))
        .checkbox("active", "manage.field.active")
        .hint("manage.hint.department_active")
        .build("edit", path.clone(), "manage.edit", "manage.save");
    let mut forms = vec![edit];
    if !department.is_office && department.active {
        let office = reference
            .office()
            .map_or_else(String::new, |o| o.name(locale).to_owned());
        let empty = FormData::default();
        let make_office = FormBuilder::new(locale, &empty)
            .build(
                "make-office",
                format!("{path}/office"),
                "manage.departments.make_office",
                "manage.departments.make_office",
            )
            .intro(admin.ctx.t_args(
                "manage.departments.make_office_intro",
                &[("office", &office)],
            ))
            .caution();
        forms.push(make_office);
    }
    // What deactivating it would touch, so the administrator sees it before they do.
    let facts = vec![
        (
            admin.t("manage.field.is_office").to_owned(),
            yes_no(&admin, department.is_office),
        ),
        (
            admin.t("manage.departments.rules").to_owned(),
            dependents.rules.to_string(),
        ),
        (
            admin.t("manage.departments.users").to_owned(),
            dependents.active_users.to_string(),
        ),
    ];
    let page = RecordPage {
        title: department.name(locale).to_owned(),
        back_href: LIST.to_owned(),
        back_label: admin.t("manage.departments.back").to_owned(),
        warnings: Vec::new(),
        facts,
        forms,
        admin,
    };
    render(status, &page)
}

fn stored_form(d: &DepartmentRow) -> FormData {
    FormData::default()
        .with("name_zh_hans", &d.name_zh_hans)
        .with("name_zh_hant", &d.name_zh_hant)
        .with("name_en", &d.name_en)
        .with("inbox_email", &d.inbox_email)
        .with("district", d.district_code.clone().unwrap_or_default())
        .with_checked("is_office", d.is_office)
        .with_checked("active", d.active)
}

/// The fields both forms share, checked into `form`.
struct Parsed {
    names: [String; 3],
    inbox_email: String,
    district: Option<String>,
}

fn parse(form: &mut FormData, reference: &ReferenceData) -> Option<Parsed> {
    let names = parse_names(form);
    let email = jurisdiction::inbox_email(form.value("inbox_email"));
    let inbox_email = form.check("inbox_email", email);
    let district = match form.value("district").trim() {
        "" => Some(None),
        code if reference.district(code).is_some() => Some(Some(code.to_owned())),
        _ => {
            form.add_error("district", "manage.error.unknown_district");
            None
        }
    };
    Some(Parsed {
        names: names?,
        inbox_email: inbox_email?,
        district: district?,
    })
}

/// The office invariant, checked in the writing transaction: `None` when it holds.
fn office_problem(
    conn: &mut crate::db::AnyConnection,
    code: &str,
    is_office: bool,
    active: bool,
) -> Result<Option<(&'static str, &'static str)>, DbError> {
    let offices = manage::offices(conn)?;
    let others = offices.iter().any(|o| o != code);
    Ok(if is_office && others {
        Some(("is_office", "manage.error.second_office"))
    } else if !is_office && !others {
        Some(("is_office", "manage.error.office_required"))
    } else if is_office && !active {
        Some(("active", "manage.error.office_inactive"))
    } else {
        None
    })
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    require_admin(&staff)?;
    let reference = state.reference().await?;
    Ok(list_page(
        &req,
        &staff,
        &reference,
        &FormData::default(),
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
    let code = jurisdiction::record_code(form.value("code"));
    let code = form.check("code", code);
    if code
        .as_deref()
        .is_some_and(|c| reference.department(c).is_some())
    {
        form.add_error("code", "manage.error.duplicate_code");
    }
    let parsed = parse(&mut form, &reference);
    let is_office = form.checked("is_office");
    if is_office && reference.office().is_some() {
        form.add_error("is_office", "manage.error.second_office");
    }
    let (Some(code), Some(parsed), true) = (code, parsed, form.is_valid()) else {
        return Ok(list_page(
            &req,
            &staff,
            &reference,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let [hans, hant, en] = parsed.names;
    let row = DepartmentRow {
        code: code.clone(),
        name_zh_hans: hans,
        name_zh_hant: hant,
        name_en: en,
        district_code: parsed.district,
        inbox_email: parsed.inbox_email,
        is_office,
        active: true,
    };
    let actor = staff.user_id.clone();
    let written = state
        .db
        .write(move |conn| {
            if is_office && !manage::offices(conn)?.is_empty() {
                return Ok(Some(("is_office", "manage.error.second_office")));
            }
            if manage::find_department(conn, &row.code)?.is_some() {
                return Ok(Some(("code", "manage.error.duplicate_code")));
            }
            manage::insert_department(conn, &row)?;
            let detail = created(&[
                ("name_zh_hans", &row.name_zh_hans),
                ("name_zh_hant", &row.name_zh_hant),
                ("name_en", &row.name_en),
                ("district", &row.district_code),
                ("inbox_email", &row.inbox_email),
                ("is_office", &row.is_office),
            ]);
            audit(conn, &actor, "department", &row.code, "create", detail)?;
            Ok::<_, DbError>(None)
        })
        .await;
    let problem = match written {
        Ok(None) => return Ok(saved(LIST, &code)),
        Ok(Some(problem)) => problem,
        Err(error) if error.is_unique_violation() => ("code", "manage.error.duplicate_code"),
        Err(error) => return Err(error.into()),
    };
    form.add_error(problem.0, problem.1);
    let reference = state.reference().await?;
    Ok(list_page(
        &req,
        &staff,
        &reference,
        &form,
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

pub async fn show(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    require_admin(&staff)?;
    let reference = state.reference().await?;
    let department = reference.department(&path).ok_or(AppError::NotFound)?;
    let dependents = dependents(&state, &department.code).await?;
    Ok(record_page(
        &req,
        &staff,
        &reference,
        department,
        &dependents,
        &stored_form(department),
        StatusCode::OK,
    ))
}

pub async fn update(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let mut form = admin_form(&staff, &body)?;
    let reference = state.reference().await?;
    let old = reference
        .department(&path)
        .ok_or(AppError::NotFound)?
        .clone();
    let parsed = parse(&mut form, &reference);
    let (is_office, active) = (form.checked("is_office"), form.checked("active"));
    let invalid = |form: FormData| {
        let (state, req, staff, reference, old) = (&state, &req, &staff, &reference, &old);
        async move {
            let dependents = dependents(state, &old.code).await?;
            Ok::<_, AppError>(record_page(
                req,
                staff,
                reference,
                old,
                &dependents,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    };
    let (Some(parsed), true) = (parsed, form.is_valid()) else {
        return invalid(form).await;
    };
    let [hans, hant, en] = parsed.names;
    let new = DepartmentRow {
        code: old.code.clone(),
        name_zh_hans: hans,
        name_zh_hant: hant,
        name_en: en,
        district_code: parsed.district,
        inbox_email: parsed.inbox_email,
        is_office,
        active,
    };
    let mut changes = Changes::default();
    changes.field("name_zh_hans", &old.name_zh_hans, &new.name_zh_hans);
    changes.field("name_zh_hant", &old.name_zh_hant, &new.name_zh_hant);
    changes.field("name_en", &old.name_en, &new.name_en);
    changes.field("district", &old.district_code, &new.district_code);
    changes.field("inbox_email", &old.inbox_email, &new.inbox_email);
    changes.field("is_office", old.is_office, new.is_office);
    changes.field("active", old.active, new.active);
    if changes.is_empty() {
        return Ok(saved(LIST, &old.code));
    }
    let action = match (old.active, new.active) {
        (true, false) => "deactivate",
        (false, true) => "activate",
        _ => "update",
    };
    let actor = staff.user_id.clone();
    let written = state
        .db
        .write(move |conn| {
            if let Some(problem) = office_problem(conn, &new.code, new.is_office, new.active)? {
                return Ok(Some(problem));
            }
            manage::update_department(conn, &new)?;
            audit(
                conn,
                &actor,
                "department",
                &new.code,
                action,
                changes.detail(),
            )?;
            Ok::<_, DbError>(None)
        })
        .await?;
    match written {
        None => Ok(saved(LIST, &path)),
        Some((field, key)) => {
            form.add_error(field, key);
            invalid(form).await
        }
    }
}

/// Moves the coordination office mark to this department, in one transaction.
/// What `make_office` found.
enum OfficeMove {
    NoSuchDepartment,
    AlreadyTheOffice,
    Inactive,
    Moved,
}

pub async fn make_office(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    admin_form(&staff, &body)?;
    let code = path.into_inner();
    let actor = staff.user_id.clone();
    let key = code.clone();
    let moved = state
        .db
        .write(move |conn| {
            let Some(department) = manage::find_department(conn, &key)? else {
                return Ok(OfficeMove::NoSuchDepartment);
            };
            if department.is_office {
                return Ok(OfficeMove::AlreadyTheOffice);
            }
            // The office takes every unrouted case: an inactive department cannot be it.
            if !department.active {
                return Ok(OfficeMove::Inactive);
            }
            let previous = manage::offices(conn)?;
            manage::move_office(conn, &key)?;
            for old in &previous {
                audit(
                    conn,
                    &actor,
                    "department",
                    old,
                    "update",
                    "is_office: true → false".into(),
                )?;
            }
            audit(
                conn,
                &actor,
                "department",
                &key,
                "make_office",
                "is_office: false → true".into(),
            )?;
            Ok::<_, DbError>(OfficeMove::Moved)
        })
        .await?;
    match moved {
        OfficeMove::NoSuchDepartment => Err(AppError::NotFound),
        // Asked twice (a double click): it is what was asked for, and nothing changed.
        OfficeMove::AlreadyTheOffice | OfficeMove::Moved => Ok(saved(LIST, &code)),
        OfficeMove::Inactive => {
            let reference = state.reference().await?;
            let department = reference.department(&code).ok_or(AppError::NotFound)?;
            let dependents = dependents(&state, &code).await?;
            let mut form = stored_form(department);
            form.add_error("active", "manage.error.office_inactive");
            Ok(record_page(
                &req,
                &staff,
                &reference,
                department,
                &dependents,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}
