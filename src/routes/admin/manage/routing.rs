//! `/admin/routing`: the rules, the "where would it go, and why?" preview (filing's own
//! `route`) and the category × district pairs that fall through to the office. No routing logic.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use super::{
    after, category_choices, department_choices, department_choices_keeping, department_name,
    district_choices, failed, Desk, RecordView, Section,
};
use crate::db::reference::{split_codes, Named, ReferenceData, RoutingRuleRow};
use crate::domain::routing::{route, Route};
use crate::errors::AppError;
use crate::i18n::Locale;
use crate::pages::admin::AdminContext;
use crate::pages::manage::{FallThrough, FormBuilder, RecordRow, RoutePreview, RoutingPage};
use crate::pages::render;
use crate::services::manage::form::{raw_form, FieldErrors, Refusal};
use crate::services::manage::RuleForm;

pub(super) struct Routing;

const LIST: &str = "/admin/routing";

raw_form! {
    /// `?category=…&district=…`: the pair the preview is asked about.
    pub struct PreviewForm {
        text: [category, district],
        checkbox: [],
        list: [],
    }
}

/// The pair asked about, if both name something that exists; otherwise why not.
fn asked(
    reference: &ReferenceData,
    form: &PreviewForm,
) -> Result<Option<(String, String)>, FieldErrors> {
    if form.category.is_empty() && form.district.is_empty() {
        return Ok(None);
    }
    let mut errors = FieldErrors::default();
    if reference.category(&form.category).is_none() {
        errors.add("category", Refusal::UnknownCategory);
    }
    if reference.district(&form.district).is_none() {
        errors.add("district", Refusal::UnknownDistrict);
    }
    errors.finish(|| Some(Some((form.category.clone(), form.district.clone()))))
}

/// Where filing would send a complaint of `category` in `district`: the same call, with the
/// same arguments, as `services::filing`.
fn route_as_filed(reference: &ReferenceData, category: &str, district: &str) -> Option<Route> {
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

/// Why each rule of the scope that did not decide was passed over.
fn passed_over(
    reference: &ReferenceData,
    rules: &[RoutingRuleRow],
    admin: &AdminContext,
    (category, district): (&str, &str),
    decided: Option<i64>,
) -> Vec<String> {
    let locale = admin.ctx.locale;
    let passed = rules.iter().filter(|r| {
        r.category_code == category
            && r.district_code.as_deref().is_none_or(|d| d == district)
            && Some(r.id) != decided
    });
    passed
        .map(|rule| {
            let id = rule.id.to_string();
            let lead = department_name(reference, &rule.lead_department, locale);
            let lead_active = reference
                .department(&rule.lead_department)
                .is_some_and(|d| d.active);
            if !rule.active {
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
            }
        })
        .collect()
}

fn preview(
    reference: &ReferenceData,
    rules: &[RoutingRuleRow],
    admin: &AdminContext,
    (category, district): (&str, &str),
) -> Option<RoutePreview> {
    let locale = admin.ctx.locale;
    let route = route_as_filed(reference, category, district)?;
    let category_row = reference.category(category)?;
    let district_row = reference.district(district)?;
    let decided = route
        .rule_id
        .and_then(|id| rules.iter().find(|r| r.id == id));
    let reason = match decided {
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
    skipped.extend(passed_over(
        reference,
        rules,
        admin,
        (category, district),
        route.rule_id,
    ));
    if let Some(rule) = decided {
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

fn rule_rows(
    reference: &ReferenceData,
    rules: &[RoutingRuleRow],
    admin: &AdminContext,
) -> Vec<RecordRow> {
    let locale = admin.ctx.locale;
    let any = admin.t("manage.routing.any_district");
    rules
        .iter()
        .map(|rule| {
            let (category, district) = scope_label(reference, rule, locale, any);
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
                flags: Vec::new(),
            }
        })
        .collect()
}

/// Category (to be chosen) and district (`district_first` saying what none means).
fn scope_inputs<'a>(
    builder: FormBuilder<'a>,
    reference: &ReferenceData,
    locale: Locale,
    district_first: &str,
) -> FormBuilder<'a> {
    let choose = crate::i18n::t(locale, "manage.choose");
    builder
        .select(
            "category",
            "manage.field.category",
            after(choose, category_choices(reference, locale)),
        )
        .select(
            "district",
            "manage.field.district",
            after(district_first, district_choices(reference, locale)),
        )
}

impl Section for Routing {
    const LIST: &'static str = LIST;
    const TEXTS: [&'static str; 3] = [
        "manage.routing.title",
        "manage.routing.intro",
        "manage.routing.back",
    ];
    const COLUMNS: &'static [&'static str] = &[
        "manage.field.rule",
        "manage.field.category",
        "manage.field.district",
        "manage.field.lead",
        "manage.field.co_handlers",
    ];
    type Record = RoutingRuleRow;

    fn stored(rule: &RoutingRuleRow) -> RuleForm {
        RuleForm {
            category: rule.category_code.clone(),
            district: rule.district_code.clone().unwrap_or_default(),
            lead: rule.lead_department.clone(),
            active: rule.active,
            co_handlers: split_codes(&rule.co_departments),
        }
    }

    async fn list_page(
        desk: &Desk,
        create: &RuleForm,
        errors: &FieldErrors,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError> {
        let rules = desk.manager.rules().await.map_err(failed)?;
        let (reference, locale) = (desk.reference(), desk.locale());
        let admin = desk.frame(LIST);
        let choose = admin.t("manage.choose");
        let question: PreviewForm = desk.query();
        let (pair, question_errors) = match asked(reference, &question) {
            Ok(pair) => (pair, FieldErrors::default()),
            Err(errors) => (None, errors),
        };
        let preview_form = FormBuilder::new(locale, &question, &question_errors);
        let preview_form = scope_inputs(preview_form, reference, locale, choose)
            .build(
                "preview-form",
                LIST,
                "manage.routing.preview.title",
                "manage.routing.preview.submit",
            )
            .get();
        let preview = pair.and_then(|(c, d)| preview(reference, &rules, &admin, (&c, &d)));
        let any = admin.t("manage.routing.any_district");
        let create = FormBuilder::new(locale, create, errors);
        let create = scope_inputs(create, reference, locale, any)
            .hint("manage.hint.rule_district")
            .select(
                "lead",
                "manage.field.lead",
                after(choose, department_choices(reference, locale)),
            )
            .checkboxes(
                "co_handlers",
                "manage.field.co_handlers",
                department_choices(reference, locale),
            )
            .build("create", LIST, "manage.routing.new", "manage.create");
        let office = reference.office().map_or("", |o| o.name(locale)).to_owned();
        let page = RoutingPage {
            rows: rule_rows(reference, &rules, &admin),
            columns: Self::COLUMNS
                .iter()
                .map(|k| admin.t(k).to_owned())
                .collect(),
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
        Ok(render(status, &page))
    }

    async fn record_page(
        desk: &Desk,
        rule: &RoutingRuleRow,
        edit: &RuleForm,
        errors: &FieldErrors,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError> {
        let path = format!("{LIST}/{}", rule.id);
        let admin = desk.frame(&path);
        let (reference, locale) = (desk.reference(), desk.locale());
        let any = admin.t("manage.routing.any_district");
        let (category, district) = scope_label(reference, rule, locale, any);
        // A rule whose lead was deactivated still shows it, so the page says what is stored.
        let leads = department_choices_keeping(reference, locale, &rule.lead_department);
        let edit = FormBuilder::new(locale, edit, errors)
            .select("lead", "manage.field.lead", leads)
            .checkboxes(
                "co_handlers",
                "manage.field.co_handlers",
                department_choices(reference, locale),
            )
            .checkbox("active", "manage.field.active")
            .hint("manage.hint.rule_active")
            .build("edit", path, "manage.edit", "manage.save");
        let view = RecordView {
            title: admin
                .ctx
                .t_args("manage.routing.one", &[("id", &rule.id.to_string())]),
            warnings: Vec::new(),
            facts: vec![
                (admin.t("manage.field.category").to_owned(), category),
                (admin.t("manage.field.district").to_owned(), district),
            ],
            forms: vec![edit],
        };
        Ok(super::record_page::<Routing>(admin, view, status))
    }
}
