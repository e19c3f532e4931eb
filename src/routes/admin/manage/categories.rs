//! `/admin/categories`: what a complaint can be about, its deadlines in working days and their
//! legal basis (DESIGN §3: deadlines are data). No deadline arithmetic here: `domain::calendar`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{admin_context, admin_form, audit, parse_names, require_admin, saved};
use crate::db::manage;
use crate::db::reference::{CategoryRow, Named, ReferenceData};
use crate::db::DbError;
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::pages::manage::{FormBuilder, FormData, ListPage, RecordPage, RecordRow};
use crate::pages::render;
use crate::services::jurisdiction::{
    self, category_changes, category_detail, LEGAL_BASIS_MAX, NAME_MAX,
};
use crate::state::AppState;

const LIST: &str = "/admin/categories";

/// The five deadlines, in form order.
const DAY_FIELDS: [&str; 5] = [
    "complaint_accept_days",
    "complaint_finish_days",
    "report_accept_days",
    "report_notify_days",
    "assist_days",
];

fn form_inputs(builder: FormBuilder<'_>) -> FormBuilder<'_> {
    let mut builder = builder
        .text("name_zh_hans", "manage.field.name_zh_hans", NAME_MAX)
        .text("name_zh_hant", "manage.field.name_zh_hant", NAME_MAX)
        .text("name_en", "manage.field.name_en", NAME_MAX);
    for field in DAY_FIELDS {
        builder = builder
            .number(field, &format!("manage.field.{field}"))
            .hint("manage.hint.days");
    }
    builder.textarea("legal_basis", "manage.field.legal_basis", LEGAL_BASIS_MAX)
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
    let rows = reference
        .categories
        .iter()
        .map(|c| RecordRow {
            key: c.code.clone(),
            href: format!("{LIST}/{}", c.code),
            active: c.active,
            cells: vec![
                c.code.clone(),
                c.name(locale).to_owned(),
                c.complaint_accept_days.to_string(),
                c.complaint_finish_days.to_string(),
                c.report_accept_days.to_string(),
                c.report_notify_days.to_string(),
                c.assist_days.to_string(),
            ],
        })
        .collect();
    let builder = FormBuilder::new(locale, create)
        .text("code", "manage.field.code", 64)
        .hint("manage.hint.code");
    let create =
        form_inputs(builder).build("create", LIST, "manage.categories.new", "manage.create");
    let mut columns = vec![
        admin.t("manage.field.code").to_owned(),
        admin.t("manage.field.name").to_owned(),
    ];
    columns.extend(
        DAY_FIELDS
            .iter()
            .map(|f| admin.t(&format!("manage.field.{f}")).to_owned()),
    );
    let page = ListPage {
        title: admin.t("manage.categories.title").to_owned(),
        intro: Some(admin.t("manage.categories.intro").to_owned()),
        warnings: Vec::new(),
        columns,
        rows,
        create: Some(create),
        admin,
    };
    render(status, &page)
}

fn record_page(
    req: &HttpRequest,
    staff: &Staff,
    reference: &ReferenceData,
    category: &CategoryRow,
    form: &FormData,
    status: StatusCode,
) -> HttpResponse {
    let path = format!("{LIST}/{}", category.code);
    let admin = admin_context(req, staff, reference, &path);
    let builder =
        FormBuilder::new(admin.ctx.locale, form).fixed("code", "manage.field.code", &category.code);
    let edit = form_inputs(builder)
        .checkbox("active", "manage.field.active")
        .hint("manage.hint.category_active")
        .build("edit", path, "manage.edit", "manage.save");
    let page = RecordPage {
        title: category.name(admin.ctx.locale).to_owned(),
        back_href: LIST.to_owned(),
        back_label: admin.t("manage.categories.back").to_owned(),
        warnings: Vec::new(),
        facts: Vec::new(),
        forms: vec![edit],
        admin,
    };
    render(status, &page)
}

fn stored_form(c: &CategoryRow) -> FormData {
    FormData::default()
        .with("name_zh_hans", &c.name_zh_hans)
        .with("name_zh_hant", &c.name_zh_hant)
        .with("name_en", &c.name_en)
        .with("complaint_accept_days", c.complaint_accept_days.to_string())
        .with("complaint_finish_days", c.complaint_finish_days.to_string())
        .with("report_accept_days", c.report_accept_days.to_string())
        .with("report_notify_days", c.report_notify_days.to_string())
        .with("assist_days", c.assist_days.to_string())
        .with("legal_basis", &c.legal_basis)
        .with_checked("active", c.active)
}

/// Everything but the code and the order, checked into `form`.
fn parse(form: &mut FormData, code: String, sort_order: i32, active: bool) -> Option<CategoryRow> {
    let names = parse_names(form);
    let mut days = [0; 5];
    let mut days_ok = true;
    for (slot, field) in days.iter_mut().zip(DAY_FIELDS) {
        let parsed = jurisdiction::days(form.value(field));
        match form.check(field, parsed) {
            Some(n) => *slot = n,
            None => days_ok = false,
        }
    }
    let basis = jurisdiction::legal_basis(form.value("legal_basis"));
    let legal_basis = form.check("legal_basis", basis)?;
    let [hans, hant, en] = names?;
    let [complaint_accept_days, complaint_finish_days, report_accept_days, report_notify_days, assist_days] =
        days;
    days_ok.then_some(CategoryRow {
        code,
        name_zh_hans: hans,
        name_zh_hant: hant,
        name_en: en,
        complaint_accept_days,
        complaint_finish_days,
        report_accept_days,
        report_notify_days,
        assist_days,
        legal_basis,
        sort_order,
        active,
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
        .is_some_and(|c| reference.category(c).is_some())
    {
        form.add_error("code", "manage.error.duplicate_code");
    }
    let row = parse(&mut form, code.clone().unwrap_or_default(), 0, true);
    let (Some(code), Some(row), true) = (code, row, form.is_valid()) else {
        return Ok(list_page(
            &req,
            &staff,
            &reference,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let actor = staff.user_id.clone();
    let written = state
        .db
        .write(move |conn| {
            let row = CategoryRow {
                sort_order: manage::next_category_sort_order(conn)?,
                ..row
            };
            manage::insert_category(conn, &row)?;
            audit(
                conn,
                &actor,
                "category",
                &row.code,
                "create",
                category_detail(&row),
            )
        })
        .await;
    match written {
        Ok(()) => Ok(saved(LIST, &code)),
        Err(error) if error.is_unique_violation() => {
            form.add_error("code", "manage.error.duplicate_code");
            let reference = state.reference().await?;
            Ok(list_page(
                &req,
                &staff,
                &reference,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
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
    let category = reference.category(&path).ok_or(AppError::NotFound)?;
    Ok(record_page(
        &req,
        &staff,
        &reference,
        category,
        &stored_form(category),
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
    let old = reference.category(&path).ok_or(AppError::NotFound)?.clone();
    let active = form.checked("active");
    let new = parse(&mut form, old.code.clone(), old.sort_order, active);
    let (Some(new), true) = (new, form.is_valid()) else {
        return Ok(record_page(
            &req,
            &staff,
            &reference,
            &old,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let changes = category_changes(&old, &new);
    if changes.is_empty() {
        return Ok(saved(LIST, &old.code));
    }
    let action = match (old.active, new.active) {
        (true, false) => "deactivate",
        (false, true) => "activate",
        _ => "update",
    };
    let actor = staff.user_id.clone();
    state
        .db
        .write(move |conn| {
            manage::update_category(conn, &new)?;
            audit(
                conn,
                &actor,
                "category",
                &new.code,
                action,
                changes.detail(),
            )?;
            Ok::<_, DbError>(())
        })
        .await?;
    Ok(saved(LIST, &old.code))
}
