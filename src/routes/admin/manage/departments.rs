//! `/admin/departments`: the member units (names, inbox, district, active) and which one is the
//! coordination office — always exactly one, and active (`services::manage` keeps it so).
//! Departments are never deleted.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::districts::name_inputs;
use super::Post;
use super::{
    after, district_choices, failed, list_page, record_page, refused, row, saved, yes_no, Desk,
    RecordView, Section, Store as _,
};
use crate::db::reference::{DepartmentRow, Named};
use crate::errors::AppError;
use crate::pages::manage::FormBuilder;
use crate::services::manage::form::{FieldErrors, NoFields, CODE_MAX};
use crate::services::manage::DepartmentForm;

pub(super) struct Departments;

const LIST: &str = "/admin/departments";

/// The fields both forms share.
fn inputs<'a>(desk: &Desk, builder: FormBuilder<'a>) -> FormBuilder<'a> {
    let city = desk.t("manage.city_level");
    name_inputs(builder)
        .email("inbox_email", "manage.field.inbox_email")
        .select(
            "district",
            "manage.field.district",
            after(city, district_choices(desk.reference(), desk.locale())),
        )
        .checkbox("is_office", "manage.field.is_office")
        .hint("manage.hint.is_office")
}

impl Section for Departments {
    const LIST: &'static str = LIST;
    const TEXTS: [&'static str; 3] = [
        "manage.departments.title",
        "manage.departments.intro",
        "manage.departments.back",
    ];
    const COLUMNS: &'static [&'static str] = &[
        "manage.field.code",
        "manage.field.name",
        "manage.field.district",
        "manage.field.inbox_email",
        "manage.field.is_office",
    ];
    type Record = DepartmentRow;

    fn stored(d: &DepartmentRow) -> DepartmentForm {
        DepartmentForm {
            code: d.code.clone(),
            name_zh_hans: d.name_zh_hans.clone(),
            name_zh_hant: d.name_zh_hant.clone(),
            name_en: d.name_en.clone(),
            inbox_email: d.inbox_email.clone(),
            district: d.district_code.clone().unwrap_or_default(),
            is_office: d.is_office,
            active: d.active,
        }
    }

    async fn list_page(
        desk: &Desk,
        create: &DepartmentForm,
        errors: &FieldErrors,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError> {
        let admin = desk.frame(LIST);
        let (reference, locale) = (desk.reference(), desk.locale());
        let city = admin.t("manage.city_level");
        let office = admin.t("manage.office");
        let rows = reference
            .departments
            .iter()
            .map(|d| {
                let district = d
                    .district_code
                    .as_deref()
                    .and_then(|c| reference.district(c));
                let cells = vec![
                    d.name(locale).to_owned(),
                    district.map_or(city, |x| x.name(locale)).to_owned(),
                    d.inbox_email.clone(),
                    if d.is_office { office } else { "" }.to_owned(),
                ];
                row(LIST, &d.code, d.active, cells)
            })
            .collect();
        let builder = FormBuilder::new(locale, create, errors)
            .text("code", "manage.field.code", CODE_MAX)
            .hint("manage.hint.code");
        let create =
            inputs(desk, builder).build("create", LIST, "manage.departments.new", "manage.create");
        Ok(list_page::<Departments>(admin, rows, create, status))
    }

    async fn record_page(
        desk: &Desk,
        department: &DepartmentRow,
        edit: &DepartmentForm,
        errors: &FieldErrors,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError> {
        let code = &department.code;
        let path = format!("{LIST}/{code}");
        let admin = desk.frame(&path);
        let locale = desk.locale();
        let dependents = desk.manager.dependents(code).await.map_err(failed)?;
        let builder =
            FormBuilder::new(locale, edit, errors).fixed("code", "manage.field.code", code);
        let edit = inputs(desk, builder)
            .checkbox("active", "manage.field.active")
            .hint("manage.hint.department_active")
            .build("edit", path.clone(), "manage.edit", "manage.save");
        let mut forms = vec![edit];
        if !department.is_office && department.active {
            let office = desk
                .reference()
                .office()
                .map_or("", |o| o.name(locale))
                .to_owned();
            let none = FieldErrors::default();
            let make_office = FormBuilder::new(locale, &NoFields, &none)
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
        let view = RecordView {
            title: department.name(locale).to_owned(),
            warnings: Vec::new(),
            facts,
            forms,
        };
        Ok(record_page::<Departments>(admin, view, status))
    }
}

/// Moves the coordination office mark to this department, in one step. Asked twice (a
/// double click), it is what was asked for, and nothing changes.
#[tracing::instrument(skip_all, fields(code = %path))]
pub async fn make_office(
    path: web::Path<String>,
    Post(desk, NoFields): Post<NoFields>,
) -> Result<HttpResponse, AppError> {
    match refused(desk.manager.make_office(&path).await)? {
        Ok(_) => Ok(saved(LIST, &path)),
        Err(errors) => {
            let department = DepartmentRow::find(&desk.manager, &path)
                .await
                .map_err(failed)?;
            let form = Departments::stored(&department);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            Departments::record_page(&desk, &department, &form, &errors, status).await
        }
    }
}
