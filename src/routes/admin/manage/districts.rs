//! `/admin/districts`: the county-level divisions a complaint can name (6-digit code, three
//! names, active). An inactive district leaves the public form; nothing is ever deleted.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use super::{list_page, record_page, row, Desk, RecordView, Section};
use crate::db::reference::DistrictRow;
use crate::errors::AppError;
use crate::pages::manage::FormBuilder;
use crate::services::manage::form::{FieldErrors, DISTRICT_CODE_LEN, NAME_MAX};
use crate::services::manage::DistrictForm;

pub(super) struct Districts;

const LIST: &str = "/admin/districts";

/// The three names, as both forms ask for them.
pub(super) fn name_inputs(builder: FormBuilder<'_>) -> FormBuilder<'_> {
    builder
        .text("name_zh_hans", "manage.field.name_zh_hans", NAME_MAX)
        .text("name_zh_hant", "manage.field.name_zh_hant", NAME_MAX)
        .text("name_en", "manage.field.name_en", NAME_MAX)
}

impl Section for Districts {
    const LIST: &'static str = LIST;
    const TEXTS: [&'static str; 3] = [
        "manage.districts.title",
        "manage.districts.intro",
        "manage.districts.back",
    ];
    const COLUMNS: &'static [&'static str] = &[
        "manage.field.district_code",
        "manage.field.name_zh_hans",
        "manage.field.name_zh_hant",
        "manage.field.name_en",
    ];
    type Record = DistrictRow;

    fn stored(d: &DistrictRow) -> DistrictForm {
        DistrictForm {
            code: d.code.clone(),
            name_zh_hans: d.name_zh_hans.clone(),
            name_zh_hant: d.name_zh_hant.clone(),
            name_en: d.name_en.clone(),
            active: d.active,
        }
    }

    async fn list_page(
        desk: &Desk,
        create: &DistrictForm,
        errors: &FieldErrors,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError> {
        let admin = desk.frame(LIST);
        let rows = desk
            .reference()
            .districts
            .iter()
            .map(|d| {
                let names = vec![
                    d.name_zh_hans.clone(),
                    d.name_zh_hant.clone(),
                    d.name_en.clone(),
                ];
                row(LIST, &d.code, d.active, names)
            })
            .collect();
        let builder = FormBuilder::new(desk.locale(), create, errors)
            .text("code", "manage.field.district_code", DISTRICT_CODE_LEN)
            .hint("manage.hint.district_code");
        let create =
            name_inputs(builder).build("create", LIST, "manage.districts.new", "manage.create");
        Ok(list_page::<Districts>(admin, rows, create, status))
    }

    async fn record_page(
        desk: &Desk,
        district: &DistrictRow,
        edit: &DistrictForm,
        errors: &FieldErrors,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError> {
        let code = &district.code;
        let path = format!("{LIST}/{code}");
        let admin = desk.frame(&path);
        let builder = FormBuilder::new(desk.locale(), edit, errors).fixed(
            "code",
            "manage.field.district_code",
            code,
        );
        let edit = name_inputs(builder)
            .checkbox("active", "manage.field.active")
            .hint("manage.hint.district_active")
            .build("edit", path, "manage.edit", "manage.save");
        let view = RecordView {
            title: format!("{} {code}", admin.t("manage.districts.one")),
            warnings: Vec::new(),
            facts: Vec::new(),
            forms: vec![edit],
        };
        Ok(record_page::<Districts>(admin, view, status))
    }
}
