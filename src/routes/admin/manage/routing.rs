//! `/admin/routing`: the rules, the "where would it go, and why?" preview (filing's own
//! `route`) and the category × district pairs that fall through to the office. No routing logic.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{
    admin_context, admin_form, audit, choice, department_choices, department_name, field,
    query_pairs, require_admin, saved,
};
use crate::db::manage::{self, Changes};
use crate::db::reference::{split_codes, Named, NewRoutingRuleRow, ReferenceData, RoutingRuleRow};
use crate::db::DbError;
use crate::domain::routing::route;
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::i18n::Locale;
use crate::pages::admin::AdminContext;
use crate::pages::manage::{
    Choice, FallThrough, FormBuilder, FormData, RecordPage, RecordRow, RoutePreview, RoutingPage,
};
use crate::pages::render;
use crate::services::jurisdiction::rule_detail;
use crate::state::AppState;

const LIST: &str = "/admin/routing";

/// Where filing would send a complaint of `category` in `district`: the same call, with the
/// same arguments, as `services::filing`.
fn route_as_filed(
    reference: &ReferenceData,
    category: &str,
    district: &str,
) -> Option<crate::domain::routing::Route> {
    let office = reference.office()?;
    Some(route(
        &reference.rules,
        category,
        district,
        &office.code,
        |code| reference.department(code).is_some_and(|d| d.active),
    ))
}

fn scope_label(
    reference: &ReferenceData,
    rule: &RoutingRuleRow,
    locale: Locale,
    any: &str,
) -> (String, String) {
    let category = reference
        .category(&rule.category_code)
        .map_or_else(|| rule.category_code.clone(), |c| c.name(locale).to_owned());
    let district = match &rule.district_code {
        Some(code) => reference
            .district(code)
            .map_or_else(|| code.clone(), |d| d.name(locale).to_owned()),
        None => any.to_owned(),
    };
    (category, district)
}

fn preview(
    reference: &ReferenceData,
    rules: &[RoutingRuleRow],
    admin: &AdminContext,
    category: &str,
    district: &str,
) -> Option<RoutePreview> {
    let locale = admin.ctx.locale;
    let route = route_as_filed(reference, category, district)?;
    let category_row = reference.category(category)?;
    let district_row = reference.district(district)?;
    let reason = match route
        .rule_id
        .and_then(|id| rules.iter().find(|r| r.id == id))
    {
        Some(rule) if rule.district_code.is_some() => admin.ctx.t_args(
            "manage.routing.preview.by_district_rule",
            &[("id", &rule.id.to_string())],
        ),
        Some(rule) => admin.ctx.t_args(
            "manage.routing.preview.by_any_rule",
            &[("id", &rule.id.to_string())],
        ),
        None => admin.t("manage.routing.preview.no_rule").to_owned(),
    };
    let mut skipped = Vec::new();
    if !category_row.active {
        skipped.push(
            admin
                .t("manage.routing.preview.category_inactive")
                .to_owned(),
        );
    }
    if !district_row.active {
        skipped.push(
            admin
                .t("manage.routing.preview.district_inactive")
                .to_owned(),
        );
    }
    // Rules of this scope that exist but did not take part, so "why not that one?" is answered too.
    for rule in rules.iter().filter(|r| {
        r.category_code == category
            && r.district_code.as_deref().is_none_or(|d| d == district)
            && Some(r.id) != route.rule_id
    }) {
        let id = rule.id.to_string();
        let lead = department_name(reference, &rule.lead_department, locale);
        let lead_active = reference
            .department(&rule.lead_department)
            .is_some_and(|d| d.active);
        let text = if !rule.active {
            admin
                .ctx
                .t_args("manage.routing.preview.rule_inactive", &[("id", &id)])
        } else if !lead_active {
            admin.ctx.t_args(
                "manage.routing.preview.lead_inactive",
                &[("id", &id), ("lead", &lead)],
            )
        } else {
            admin
                .ctx
                .t_args("manage.routing.preview.less_specific", &[("id", &id)])
        };
        skipped.push(text);
    }
    if let Some(rule) = route
        .rule_id
        .and_then(|id| rules.iter().find(|r| r.id == id))
    {
        for code in split_codes(&rule.co_departments) {
            if !route.co_handlers.contains(&code) && code != rule.lead_department {
                let name = department_name(reference, &code, locale);
                skipped.push(admin.ctx.t_args(
                    "manage.routing.preview.co_inactive",
                    &[("department", &name)],
                ));
            }
        }
    }
    Some(RoutePreview {
        category: category_row.name(locale).to_owned(),
        district: district_row.name(locale).to_owned(),
        lead: department_name(reference, &route.lead, locale),
        lead_code: route.lead.clone(),
        co_handlers: route
            .co_handlers
            .iter()
            .map(|c| department_name(reference, c, locale))
            .collect(),
        rule_id: route.rule_id,
        reason,
        skipped,
    })
}

/// Every active category × active district that no rule covers, grouped by category.
fn fall_through(reference: &ReferenceData, locale: Locale) -> Vec<FallThrough> {
    let districts: Vec<_> = reference.districts.iter().filter(|d| d.active).collect();
    reference
        .categories
        .iter()
        .filter(|c| c.active)
        .filter_map(|category| {
            let uncovered: Vec<(String, String)> = districts
                .iter()
                .filter(|d| {
                    route_as_filed(reference, &category.code, &d.code)
                        .is_some_and(|r| r.rule_id.is_none())
                })
                .map(|d| (d.code.clone(), d.name(locale).to_owned()))
                .collect();
            (!uncovered.is_empty()).then(|| FallThrough {
                category_code: category.code.clone(),
                category: category.name(locale).to_owned(),
                all_districts: uncovered.len() == districts.len(),
                districts: uncovered,
            })
        })
        .collect()
}

fn category_choices(reference: &ReferenceData, locale: Locale, choose: &str) -> Vec<Choice> {
    let mut choices = vec![Choice {
        value: String::new(),
        label: choose.to_owned(),
    }];
    choices.extend(
        reference
            .categories
            .iter()
            .map(|c| choice(&c.code, c, locale)),
    );
    choices
}

fn district_choices(reference: &ReferenceData, locale: Locale, first: &str) -> Vec<Choice> {
    let mut choices = vec![Choice {
        value: String::new(),
        label: first.to_owned(),
    }];
    choices.extend(
        reference
            .districts
            .iter()
            .map(|d| choice(&d.code, d, locale)),
    );
    choices
}

fn rule_rows(
    reference: &ReferenceData,
    rules: &[RoutingRuleRow],
    admin: &AdminContext,
) -> Vec<RecordRow> {
    let locale = admin.ctx.locale;
    rules
        .iter()
        .map(|rule| {
            let (category, district) = scope_label(
                reference,
                rule,
                locale,
                admin.t("manage.routing.any_district"),
            );
            let co: Vec<String> = split_codes(&rule.co_departments)
                .iter()
                .map(|c| department_name(reference, c, locale))
                .collect();
            RecordRow {
                key: rule.id.to_string(),
                href: format!("{LIST}/{}", rule.id),
                active: rule.active,
                cells: vec![
                    format!("#{}", rule.id),
                    category,
                    district,
                    department_name(reference, &rule.lead_department, locale),
                    co.join("、"),
                ],
            }
        })
        .collect()
}

fn list_page(
    req: &HttpRequest,
    staff: &Staff,
    reference: &ReferenceData,
    rules: &[RoutingRuleRow],
    asked: &FormData,
    create: &FormData,
    status: StatusCode,
) -> HttpResponse {
    let admin = admin_context(req, staff, reference, LIST);
    let locale = admin.ctx.locale;
    let choose = admin.t("manage.choose");
    let preview_form = FormBuilder::new(locale, asked)
        .select(
            "category",
            "manage.field.category",
            category_choices(reference, locale, choose),
        )
        .select(
            "district",
            "manage.field.district",
            district_choices(reference, locale, choose),
        )
        .build(
            "preview-form",
            LIST,
            "manage.routing.preview.title",
            "manage.routing.preview.submit",
        )
        .get();
    let (category, district) = (asked.value("category"), asked.value("district"));
    let preview = (!category.is_empty() && !district.is_empty())
        .then(|| preview(reference, rules, &admin, category, district))
        .flatten();
    let create = FormBuilder::new(locale, create)
        .select(
            "category",
            "manage.field.category",
            category_choices(reference, locale, choose),
        )
        .select(
            "district",
            "manage.field.district",
            district_choices(reference, locale, admin.t("manage.routing.any_district")),
        )
        .hint("manage.hint.rule_district")
        .select("lead", "manage.field.lead", {
            let mut options = vec![Choice {
                value: String::new(),
                label: choose.to_owned(),
            }];
            options.extend(department_choices(reference, locale));
            options
        })
        .checkboxes(
            "co_handlers",
            "manage.field.co_handlers",
            department_choices(reference, locale),
        )
        .build("create", LIST, "manage.routing.new", "manage.create");
    let office = reference
        .office()
        .map_or_else(String::new, |o| o.name(locale).to_owned());
    let columns = [
        "manage.field.rule",
        "manage.field.category",
        "manage.field.district",
        "manage.field.lead",
        "manage.field.co_handlers",
    ]
    .iter()
    .map(|k| admin.t(k).to_owned())
    .collect();
    let page = RoutingPage {
        rows: rule_rows(reference, rules, &admin),
        columns,
        preview_form: Some(preview_form),
        preview,
        fall_through: fall_through(reference, locale),
        intro: admin
            .ctx
            .t_args("manage.routing.intro", &[("office", &office)]),
        fall_through_intro: admin
            .ctx
            .t_args("manage.routing.fall_through.intro", &[("office", &office)]),
        create: Some(create),
        admin,
    };
    render(status, &page)
}

fn record_page(
    req: &HttpRequest,
    staff: &Staff,
    reference: &ReferenceData,
    rule: &RoutingRuleRow,
    form: &FormData,
    status: StatusCode,
) -> HttpResponse {
    let path = format!("{LIST}/{}", rule.id);
    let admin = admin_context(req, staff, reference, &path);
    let locale = admin.ctx.locale;
    let (category, district) = scope_label(
        reference,
        rule,
        locale,
        admin.t("manage.routing.any_district"),
    );
    let mut leads = department_choices(reference, locale);
    // A rule whose lead was deactivated still shows it, so the page says what is stored.
    if !leads.iter().any(|c| c.value == rule.lead_department) {
        leads.insert(
            0,
            Choice {
                value: rule.lead_department.clone(),
                label: department_name(reference, &rule.lead_department, locale),
            },
        );
    }
    let edit = FormBuilder::new(locale, form)
        .select("lead", "manage.field.lead", leads)
        .checkboxes(
            "co_handlers",
            "manage.field.co_handlers",
            department_choices(reference, locale),
        )
        .checkbox("active", "manage.field.active")
        .hint("manage.hint.rule_active")
        .build("edit", path, "manage.edit", "manage.save");
    let page = RecordPage {
        title: admin
            .ctx
            .t_args("manage.routing.one", &[("id", &rule.id.to_string())]),
        back_href: LIST.to_owned(),
        back_label: admin.t("manage.routing.back").to_owned(),
        warnings: Vec::new(),
        facts: vec![
            (admin.t("manage.field.category").to_owned(), category),
            (admin.t("manage.field.district").to_owned(), district),
        ],
        forms: vec![edit],
        admin,
    };
    render(status, &page)
}

fn stored_form(rule: &RoutingRuleRow) -> FormData {
    let form = FormData::default()
        .with("lead", &rule.lead_department)
        .with_checked("active", rule.active);
    split_codes(&rule.co_departments)
        .into_iter()
        .fold(form, |form, code| form.append("co_handlers", code))
}

/// Lead and co-handlers, checked into `form`: they must exist and take cases.
fn parse_departments(
    form: &mut FormData,
    reference: &ReferenceData,
) -> Option<(String, Vec<String>)> {
    let lead = form.value("lead").trim().to_owned();
    match reference.department(&lead) {
        _ if lead.is_empty() => form.add_error("lead", "manage.error.required"),
        None => form.add_error("lead", "manage.error.unknown_department"),
        Some(d) if !d.active => form.add_error("lead", "manage.error.inactive_department"),
        Some(_) => {}
    }
    let mut co_handlers: Vec<String> = Vec::new();
    let chosen: Vec<String> = form
        .values("co_handlers")
        .iter()
        .map(|c| c.trim().to_owned())
        .collect();
    for code in chosen {
        match reference.department(&code) {
            None => form.add_error("co_handlers", "manage.error.unknown_department"),
            Some(d) if !d.active => {
                form.add_error("co_handlers", "manage.error.inactive_department")
            }
            Some(_) if code == lead => {
                form.add_error("co_handlers", "manage.error.co_handler_repeated")
            }
            Some(_) if co_handlers.contains(&code) => {}
            Some(_) => co_handlers.push(code),
        }
    }
    form.is_valid().then_some((lead, co_handlers))
}

async fn load(state: &AppState) -> Result<(ReferenceData, Vec<RoutingRuleRow>), AppError> {
    let reference = state.reference().await?;
    let rules = state.db.read(manage::all_rules).await?;
    Ok(((*reference).clone(), rules))
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    require_admin(&staff)?;
    let (reference, rules) = load(&state).await?;
    let pairs = query_pairs(&req);
    let mut asked = FormData::default()
        .with("category", field(&pairs, "category").unwrap_or_default())
        .with("district", field(&pairs, "district").unwrap_or_default());
    let (category, district) = (
        asked.value("category").to_owned(),
        asked.value("district").to_owned(),
    );
    if !category.is_empty() || !district.is_empty() {
        if reference.category(&category).is_none() {
            asked.add_error("category", "manage.error.unknown_category");
        }
        if reference.district(&district).is_none() {
            asked.add_error("district", "manage.error.unknown_district");
        }
    }
    Ok(list_page(
        &req,
        &staff,
        &reference,
        &rules,
        &asked,
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
    let (reference, rules) = load(&state).await?;
    let category = form.value("category").trim().to_owned();
    if category.is_empty() {
        form.add_error("category", "manage.error.required");
    } else if reference.category(&category).is_none() {
        form.add_error("category", "manage.error.unknown_category");
    }
    let district = Some(form.value("district").trim().to_owned()).filter(|d| !d.is_empty());
    if district
        .as_deref()
        .is_some_and(|d| reference.district(d).is_none())
    {
        form.add_error("district", "manage.error.unknown_district");
    }
    if rules
        .iter()
        .any(|r| r.category_code == category && r.district_code == district)
    {
        form.add_error("district", "manage.error.duplicate_rule");
    }
    let departments = parse_departments(&mut form, &reference);
    let (Some((lead, co_handlers)), true) = (departments, form.is_valid()) else {
        return Ok(list_page(
            &req,
            &staff,
            &reference,
            &rules,
            &FormData::default(),
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let row = NewRoutingRuleRow {
        category_code: category,
        district_code: district,
        lead_department: lead,
        co_departments: co_handlers.join(","),
        active: true,
    };
    let actor = staff.user_id.clone();
    let written = state
        .db
        .write(move |conn| {
            if manage::rule_for_scope(conn, &row.category_code, row.district_code.as_deref())?
                .is_some()
            {
                return Ok(None);
            }
            let id = manage::insert_rule(conn, &row)?;
            audit(
                conn,
                &actor,
                "routing_rule",
                &id.to_string(),
                "create",
                rule_detail(&row),
            )?;
            Ok::<_, DbError>(Some(id))
        })
        .await;
    match written {
        Ok(Some(id)) => Ok(saved(LIST, &id.to_string())),
        Ok(None) => duplicate(&req, &state, &staff, form).await,
        Err(error) if error.is_unique_violation() => duplicate(&req, &state, &staff, form).await,
        Err(error) => Err(error.into()),
    }
}

/// Another administrator created a rule of the same scope a moment ago.
async fn duplicate(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    mut form: FormData,
) -> Result<HttpResponse, AppError> {
    form.add_error("district", "manage.error.duplicate_rule");
    let (reference, rules) = load(state).await?;
    Ok(list_page(
        req,
        staff,
        &reference,
        &rules,
        &FormData::default(),
        &form,
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

fn rule_id(path: &str) -> Result<i64, AppError> {
    path.parse().map_err(|_| AppError::NotFound)
}

pub async fn show(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    require_admin(&staff)?;
    let id = rule_id(&path)?;
    let (reference, rules) = load(&state).await?;
    let rule = rules
        .iter()
        .find(|r| r.id == id)
        .ok_or(AppError::NotFound)?;
    Ok(record_page(
        &req,
        &staff,
        &reference,
        rule,
        &stored_form(rule),
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
    let id = rule_id(&path)?;
    let (reference, rules) = load(&state).await?;
    let old = rules
        .iter()
        .find(|r| r.id == id)
        .ok_or(AppError::NotFound)?
        .clone();
    let active = form.checked("active");
    let departments = parse_departments(&mut form, &reference);
    let (Some((lead, co_handlers)), true) = (departments, form.is_valid()) else {
        return Ok(record_page(
            &req,
            &staff,
            &reference,
            &old,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let new = NewRoutingRuleRow {
        category_code: old.category_code.clone(),
        district_code: old.district_code.clone(),
        lead_department: lead,
        co_departments: co_handlers.join(","),
        active,
    };
    let mut changes = Changes::default();
    changes.field("lead", &old.lead_department, &new.lead_department);
    changes.field(
        "co_handlers",
        split_codes(&old.co_departments),
        split_codes(&new.co_departments),
    );
    changes.field("active", old.active, new.active);
    if changes.is_empty() {
        return Ok(saved(LIST, &id.to_string()));
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
            manage::update_rule(conn, id, &new)?;
            audit(
                conn,
                &actor,
                "routing_rule",
                &id.to_string(),
                action,
                changes.detail(),
            )?;
            Ok::<_, DbError>(())
        })
        .await?;
    Ok(saved(LIST, &id.to_string()))
}
