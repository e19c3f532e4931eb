//! `/admin/districts`: the county-level divisions a complaint can name (6-digit code, three
//! names, active). An inactive district leaves the public form; nothing is ever deleted.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{admin_context, admin_form, audit, parse_names, require_admin, saved};
use crate::db::manage::{self, created, Changes};
use crate::db::reference::{DistrictRow, ReferenceData};
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::pages::manage::{FormBuilder, FormData, ListPage, RecordPage, RecordRow};
use crate::pages::render;
use crate::services::jurisdiction::{self, NAME_MAX};
use crate::state::AppState;

const LIST: &str = "/admin/districts";

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
        .districts
        .iter()
        .map(|d| RecordRow {
            key: d.code.clone(),
            href: format!("{LIST}/{}", d.code),
            active: d.active,
            cells: vec![
                d.code.clone(),
                d.name_zh_hans.clone(),
                d.name_zh_hant.clone(),
                d.name_en.clone(),
            ],
        })
        .collect();
    let create = FormBuilder::new(locale, create)
        .text("code", "manage.field.district_code", 6)
        .hint("manage.hint.district_code")
        .text("name_zh_hans", "manage.field.name_zh_hans", NAME_MAX)
        .text("name_zh_hant", "manage.field.name_zh_hant", NAME_MAX)
        .text("name_en", "manage.field.name_en", NAME_MAX)
        .build("create", LIST, "manage.districts.new", "manage.create");
    let page = ListPage {
        title: admin.t("manage.districts.title").to_owned(),
        intro: Some(admin.t("manage.districts.intro").to_owned()),
        warnings: Vec::new(),
        columns: [
            "manage.field.district_code",
            "manage.field.name_zh_hans",
            "manage.field.name_zh_hant",
            "manage.field.name_en",
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

fn record_page(
    req: &HttpRequest,
    staff: &Staff,
    reference: &ReferenceData,
    code: &str,
    form: &FormData,
    status: StatusCode,
) -> HttpResponse {
    let path = format!("{LIST}/{code}");
    let admin = admin_context(req, staff, reference, &path);
    let edit = FormBuilder::new(admin.ctx.locale, form)
        .fixed("code", "manage.field.district_code", code)
        .text("name_zh_hans", "manage.field.name_zh_hans", NAME_MAX)
        .text("name_zh_hant", "manage.field.name_zh_hant", NAME_MAX)
        .text("name_en", "manage.field.name_en", NAME_MAX)
        .checkbox("active", "manage.field.active")
        .hint("manage.hint.district_active")
        .build("edit", path, "manage.edit", "manage.save");
    let page = RecordPage {
        title: format!("{} {code}", admin.t("manage.districts.one")),
        back_href: LIST.to_owned(),
        back_label: admin.t("manage.districts.back").to_owned(),
        warnings: Vec::new(),
        facts: Vec::new(),
        forms: vec![edit],
        admin,
    };
    render(status, &page)
}

fn stored_form(d: &DistrictRow) -> FormData {
    FormData::default()
        .with("name_zh_hans", &d.name_zh_hans)
        .with("name_zh_hant", &d.name_zh_hant)
        .with("name_en", &d.name_en)
        .with_checked("active", d.active)
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
    let code = jurisdiction::district_code(form.value("code"));
    let code = form.check("code", code);
    let names = parse_names(&mut form);
    let reference = state.reference().await?;
    if let Some(code) = &code {
        if reference.district(code).is_some() {
            form.add_error("code", "manage.error.duplicate_code");
        }
    }
    let (Some(code), Some([hans, hant, en]), true) = (code, names, form.is_valid()) else {
        return Ok(list_page(
            &req,
            &staff,
            &reference,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let row = DistrictRow {
        code: code.clone(),
        name_zh_hans: hans,
        name_zh_hant: hant,
        name_en: en,
        sort_order: 0,
        active: true,
    };
    let actor = staff.user_id.clone();
    let written = state
        .db
        .write(move |conn| {
            let row = DistrictRow {
                sort_order: manage::next_district_sort_order(conn)?,
                ..row
            };
            manage::insert_district(conn, &row)?;
            let detail = created(&[
                ("name_zh_hans", &row.name_zh_hans),
                ("name_zh_hant", &row.name_zh_hant),
                ("name_en", &row.name_en),
            ]);
            audit(conn, &actor, "district", &row.code, "create", detail)
        })
        .await;
    match written {
        Ok(()) => Ok(saved(LIST, &code)),
        // Another administrator created the same code a moment ago.
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
    let district = reference.district(&path).ok_or(AppError::NotFound)?;
    Ok(record_page(
        &req,
        &staff,
        &reference,
        &district.code,
        &stored_form(district),
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
    let old = reference.district(&path).ok_or(AppError::NotFound)?.clone();
    let names = parse_names(&mut form);
    let (Some([hans, hant, en]), true) = (names, form.is_valid()) else {
        return Ok(record_page(
            &req,
            &staff,
            &reference,
            &old.code,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let new = DistrictRow {
        name_zh_hans: hans,
        name_zh_hant: hant,
        name_en: en,
        active: form.checked("active"),
        ..old.clone()
    };
    let mut changes = Changes::default();
    changes.field("name_zh_hans", &old.name_zh_hans, &new.name_zh_hans);
    changes.field("name_zh_hant", &old.name_zh_hant, &new.name_zh_hant);
    changes.field("name_en", &old.name_en, &new.name_en);
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
    let code = old.code.clone();
    state
        .db
        .write(move |conn| {
            manage::update_district(conn, &new)?;
            audit(
                conn,
                &actor,
                "district",
                &new.code,
                action,
                changes.detail(),
            )
        })
        .await?;
    Ok(saved(LIST, &code))
}
