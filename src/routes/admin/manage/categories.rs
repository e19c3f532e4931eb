//! `/admin/categories`: what a complaint can be about, its deadlines in working days and their
//! legal basis (DESIGN §3: deadlines are data). No deadline arithmetic here: `domain::calendar`.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use super::districts::name_inputs;
use super::{list_page, record_page, row, Desk, RecordView, Section};
use crate::db::reference::{CategoryRow, Named};
use crate::domain::rejection::{LINE_MAX, REASONS_MAX};
use crate::errors::AppError;
use crate::pages::manage::FormBuilder;
use crate::services::manage::form::{FieldErrors, CODE_MAX, LEGAL_BASIS_MAX};
use crate::services::manage::{CategoryForm, DAY_FIELDS};

pub(super) struct Categories;

const LIST: &str = "/admin/categories";

/// The labels of the five deadlines, in the order of `DAY_FIELDS`.
const DAY_LABELS: [&str; 5] = [
    "manage.field.complaint_accept_days",
    "manage.field.complaint_finish_days",
    "manage.field.report_accept_days",
    "manage.field.report_notify_days",
    "manage.field.assist_days",
];

fn inputs(builder: FormBuilder<'_>) -> FormBuilder<'_> {
    let days = DAY_FIELDS.into_iter().zip(DAY_LABELS);
    let builder = days.fold(name_inputs(builder), |b, (field, label)| {
        b.number(field, label).hint("manage.hint.days")
    });
    builder
        .textarea("legal_basis", "manage.field.legal_basis", LEGAL_BASIS_MAX)
        .textarea(
            "rejection_reasons",
            "manage.field.rejection_reasons",
            REASONS_TEXT_MAX,
        )
        .hint("manage.hint.rejection_reasons")
}

/// The longest list of standard rejection reasons a category may hold.
const REASONS_TEXT_MAX: usize = REASONS_MAX * (LINE_MAX + 1);

fn days(c: &CategoryRow) -> [i32; 5] {
    [
        c.complaint_accept_days,
        c.complaint_finish_days,
        c.report_accept_days,
        c.report_notify_days,
        c.assist_days,
    ]
}

impl Section for Categories {
    const LIST: &'static str = LIST;
    const TEXTS: [&'static str; 3] = [
        "manage.categories.title",
        "manage.categories.intro",
        "manage.categories.back",
    ];
    const COLUMNS: &'static [&'static str] = &[
        "manage.field.code",
        "manage.field.name",
        "manage.field.complaint_accept_days",
        "manage.field.complaint_finish_days",
        "manage.field.report_accept_days",
        "manage.field.report_notify_days",
        "manage.field.assist_days",
    ];
    type Record = CategoryRow;

    fn stored(c: &CategoryRow) -> CategoryForm {
        let [accept, finish, report, notify, assist] = days(c).map(|d| d.to_string());
        CategoryForm {
            code: c.code.clone(),
            name_zh_hans: c.name_zh_hans.clone(),
            name_zh_hant: c.name_zh_hant.clone(),
            name_en: c.name_en.clone(),
            complaint_accept_days: accept,
            complaint_finish_days: finish,
            report_accept_days: report,
            report_notify_days: notify,
            assist_days: assist,
            legal_basis: c.legal_basis.clone(),
            rejection_reasons: c.rejection_reasons.clone(),
            active: c.active,
        }
    }

    async fn list_page(
        desk: &Desk,
        create: &CategoryForm,
        errors: &FieldErrors,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError> {
        let admin = desk.frame(LIST);
        let locale = desk.locale();
        let rows = desk
            .reference()
            .categories
            .iter()
            .map(|c| {
                let mut cells = vec![c.name(locale).to_owned()];
                cells.extend(days(c).map(|d| d.to_string()));
                row(LIST, &c.code, c.active, cells)
            })
            .collect();
        let builder = FormBuilder::new(locale, create, errors)
            .text("code", "manage.field.code", CODE_MAX)
            .hint("manage.hint.code");
        let create =
            inputs(builder).build("create", LIST, "manage.categories.new", "manage.create");
        Ok(list_page::<Categories>(admin, rows, create, status))
    }

    async fn record_page(
        desk: &Desk,
        category: &CategoryRow,
        edit: &CategoryForm,
        errors: &FieldErrors,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError> {
        let path = format!("{LIST}/{}", category.code);
        let admin = desk.frame(&path);
        let builder = FormBuilder::new(desk.locale(), edit, errors).fixed(
            "code",
            "manage.field.code",
            &category.code,
        );
        let edit = inputs(builder)
            .checkbox("active", "manage.field.active")
            .hint("manage.hint.category_active")
            .build("edit", path, "manage.edit", "manage.save");
        let view = RecordView {
            title: category.name(desk.locale()).to_owned(),
            warnings: Vec::new(),
            facts: Vec::new(),
            forms: vec![edit],
        };
        Ok(record_page::<Categories>(admin, view, status))
    }
}
