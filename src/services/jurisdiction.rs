//! The reference data of the mechanism as it may be stored: the field rules shared by the
//! management pages and `load-jurisdiction FILE`, and the loader itself. No HTTP here.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use anyhow::Context as _;
use chrono::NaiveDateTime;

use crate::config::Config;
use crate::db::manage::{self, created, Audit, Changes, HolidayRow};
use crate::db::reference::{
    split_codes, CategoryRow, DepartmentRow, DistrictRow, NewRoutingRuleRow,
};
use crate::db::seed::Jurisdiction;
use crate::db::{AnyConnection, Database};
use crate::domain::calendar::WorkCalendar;
use crate::domain::fields::{self, Email, FieldError};
use crate::i18n::{self, Locale};
use crate::services::now_utc;

/// Names of districts, departments and categories, in each language.
pub const NAME_MAX: usize = 100;
pub const LEGAL_BASIS_MAX: usize = 1000;
/// A deadline of more than a working year is a typing error, not a rule.
pub const MAX_DAYS: i32 = 365;

/// A field's problem is the key of its message (`locales/manage.toml`).
pub type Problem = &'static str;

pub fn name(raw: &str) -> Result<String, Problem> {
    text_problem(fields::single_line(Some(raw), 1, NAME_MAX))
}

pub fn legal_basis(raw: &str) -> Result<String, Problem> {
    text_problem(fields::multi_line(Some(raw), 1, LEGAL_BASIS_MAX))
}

fn text_problem(parsed: Result<Option<String>, FieldError>) -> Result<String, Problem> {
    match parsed {
        Ok(Some(text)) => Ok(text),
        Ok(None) | Err(FieldError::Required) => Err("manage.error.required"),
        Err(FieldError::TooLong { .. }) => Err("manage.error.too_long"),
        Err(_) => Err("manage.error.characters"),
    }
}

/// A county-level division code: exactly six digits (GB/T 2260).
pub fn district_code(raw: &str) -> Result<String, Problem> {
    let code = raw.trim();
    if code.is_empty() {
        Err("manage.error.required")
    } else if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code.to_owned())
    } else {
        Err("manage.error.district_code")
    }
}

/// Department and category codes appear in URLs, emails and the API (DESIGN §4a): lowercase
/// ASCII letters, digits and inner dashes, 1–64 characters.
pub fn record_code(raw: &str) -> Result<String, Problem> {
    let code = raw.trim();
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
    if code.is_empty() {
        Err("manage.error.required")
    } else if code.len() <= 64
        && code.bytes().all(allowed)
        && !code.starts_with('-')
        && !code.ends_with('-')
    {
        Ok(code.to_owned())
    } else {
        Err("manage.error.code")
    }
}

/// A deadline in working days: a whole number from 1 to `MAX_DAYS`.
pub fn days(raw: &str) -> Result<i32, Problem> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("manage.error.required");
    }
    match raw.parse::<i32>() {
        Ok(n) if (1..=MAX_DAYS).contains(&n) => Ok(n),
        _ => Err("manage.error.days"),
    }
}

pub fn inbox_email(raw: &str) -> Result<String, Problem> {
    if raw.trim().is_empty() {
        return Err("manage.error.required");
    }
    Email::parse(raw)
        .map(|e| e.as_str().to_owned())
        .map_err(|_| "manage.error.email")
}

/// What a loading run did, for the operator.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// The database held no jurisdiction: the file took the place of the demo one.
    pub fresh_database: bool,
    pub notes: Vec<String>,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} inserted, {} updated, {} unchanged.",
            self.inserted, self.updated, self.unchanged
        )?;
        if self.fresh_database {
            write!(
                f,
                "\nThe database was empty: it now holds this jurisdiction (not the demo one) and the official 2026 calendar."
            )?;
        }
        for note in &self.notes {
            write!(f, "\nNote: {note}")?;
        }
        Ok(())
    }
}

/// `green-channel load-jurisdiction FILE`: reads and checks the file before touching the
/// database, then loads it in one transaction.
pub fn load_file(config: &Config, path: &Path) -> anyhow::Result<LoadReport> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let jurisdiction =
        Jurisdiction::parse(&text).with_context(|| format!("in {}", path.display()))?;
    let db = Database::open(&config.database, 2)?;
    let source = path.display().to_string();
    db.write_blocking(move |conn| {
        // An instance starting now on the same empty database would load the demo beside it.
        crate::db::lock_bootstrap(conn)?;
        load(conn, &jurisdiction, &source, now_utc())
    })
}

/// Inserts what is new and updates what exists (by code; rules by category and district),
/// never deletes, and leaves `active` as the administrators set it. Every change is
/// audited; a file that matches the database changes nothing. An error writes nothing
/// (the caller's transaction is rolled back).
pub fn load(
    conn: &mut AnyConnection,
    j: &Jurisdiction,
    source: &str,
    now: NaiveDateTime,
) -> anyhow::Result<LoadReport> {
    let checked = check(conn, j)?;
    let mut loader = Loader {
        report: LoadReport {
            fresh_database: manage::district_count(conn)? == 0,
            ..LoadReport::default()
        },
        source,
        now,
    };
    loader.districts(conn, &checked.districts)?;
    loader.departments(conn, &checked.departments)?;
    loader.categories(conn, &checked.categories)?;
    loader.rules(conn, &checked.rules)?;
    if loader.report.fresh_database && manage::calendar_is_empty(conn)? {
        loader.official_calendar(conn)?;
    }
    Ok(loader.report)
}

struct Checked {
    districts: Vec<DistrictRow>,
    departments: Vec<DepartmentRow>,
    categories: Vec<CategoryRow>,
    rules: Vec<NewRoutingRuleRow>,
}

/// Every problem of the file at once, in English (the operator's console), or the rows.
fn check(conn: &mut AnyConnection, j: &Jurisdiction) -> anyhow::Result<Checked> {
    let mut problems: Vec<String> = Vec::new();
    let mut report = |what: String, field: &str, problem: Problem| {
        problems.push(format!("{what}: {field}: {}", i18n::t(Locale::En, problem)));
    };
    let stored = crate::db::reference::ReferenceData::load(conn)?;

    let mut districts = Vec::new();
    let mut seen = HashSet::new();
    for (i, d) in j.districts.iter().enumerate() {
        let what = format!("districts[{i}] ({:?})", d.code);
        let code = district_code(&d.code)
            .map_err(|p| report(what.clone(), "code", p))
            .ok();
        if let Some(code) = &code {
            if !seen.insert(code.clone()) {
                report(what.clone(), "code", "manage.error.duplicate_code");
            }
        }
        let names = names(
            &[&d.name_zh_hans, &d.name_zh_hant, &d.name_en],
            &what,
            &mut report,
        );
        if let (Some(code), Some([hans, hant, en])) = (code, names) {
            districts.push(DistrictRow {
                code,
                name_zh_hans: hans,
                name_zh_hant: hant,
                name_en: en,
                sort_order: 0,
                active: true,
            });
        }
    }
    let district_known = |code: &str| seen.contains(code) || stored.district(code).is_some();

    let mut departments = Vec::new();
    let mut department_codes = HashSet::new();
    for (i, d) in j.departments.iter().enumerate() {
        let what = format!("departments[{i}] ({:?})", d.code);
        let code = record_code(&d.code)
            .map_err(|p| report(what.clone(), "code", p))
            .ok();
        if let Some(code) = &code {
            if !department_codes.insert(code.clone()) {
                report(what.clone(), "code", "manage.error.duplicate_code");
            }
            let inactive = stored.department(code).is_some_and(|s| !s.active);
            if d.is_office && inactive {
                report(what.clone(), "is_office", "manage.error.office_inactive");
            }
        }
        let email = inbox_email(&d.inbox_email)
            .map_err(|p| report(what.clone(), "inbox_email", p))
            .ok();
        let district = match d
            .district
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            Some(c) if !district_known(c) => {
                report(what.clone(), "district", "manage.error.unknown_district");
                None
            }
            other => Some(other.map(str::to_owned)),
        };
        let names = names(
            &[&d.name_zh_hans, &d.name_zh_hant, &d.name_en],
            &what,
            &mut report,
        );
        if let (Some(code), Some(email), Some(district), Some([hans, hant, en])) =
            (code, email, district, names)
        {
            departments.push(DepartmentRow {
                code,
                name_zh_hans: hans,
                name_zh_hant: hant,
                name_en: en,
                district_code: district,
                inbox_email: email,
                is_office: d.is_office,
                active: true,
            });
        }
    }
    let department_known =
        |code: &str| department_codes.contains(code) || stored.department(code).is_some();
    let department_inactive = |code: &str| stored.department(code).is_some_and(|d| !d.active);

    let mut categories = Vec::new();
    let mut category_codes = HashSet::new();
    for (i, c) in j.categories.iter().enumerate() {
        let what = format!("categories[{i}] ({:?})", c.code);
        let code = record_code(&c.code)
            .map_err(|p| report(what.clone(), "code", p))
            .ok();
        if let Some(code) = &code {
            if !category_codes.insert(code.clone()) {
                report(what.clone(), "code", "manage.error.duplicate_code");
            }
        }
        let mut days_ok = true;
        for (field, value) in [
            ("complaint_accept_days", c.complaint_accept_days),
            ("complaint_finish_days", c.complaint_finish_days),
            ("report_accept_days", c.report_accept_days),
            ("report_notify_days", c.report_notify_days),
            ("assist_days", c.assist_days),
        ] {
            if !(1..=MAX_DAYS).contains(&value) {
                report(what.clone(), field, "manage.error.days");
                days_ok = false;
            }
        }
        let basis = legal_basis(&c.legal_basis)
            .map_err(|p| report(what.clone(), "legal_basis", p))
            .ok();
        let names = names(
            &[&c.name_zh_hans, &c.name_zh_hant, &c.name_en],
            &what,
            &mut report,
        );
        if let (Some(code), true, Some(basis), Some([hans, hant, en])) =
            (code, days_ok, basis, names)
        {
            categories.push(CategoryRow {
                code,
                name_zh_hans: hans,
                name_zh_hant: hant,
                name_en: en,
                complaint_accept_days: c.complaint_accept_days,
                complaint_finish_days: c.complaint_finish_days,
                report_accept_days: c.report_accept_days,
                report_notify_days: c.report_notify_days,
                assist_days: c.assist_days,
                legal_basis: basis,
                sort_order: 0,
                active: true,
            });
        }
    }
    let category_known =
        |code: &str| category_codes.contains(code) || stored.category(code).is_some();

    let mut rules = Vec::new();
    let mut scopes = HashSet::new();
    for (i, r) in j.routing_rules.iter().enumerate() {
        let district_label = r.district.as_deref().unwrap_or("any district");
        let what = format!(
            "routing_rules[{i}] ({:?} in {district_label} → {:?})",
            r.category, r.lead
        );
        let mut ok = true;
        let mut fail = |field: &str, problem: Problem| {
            report(what.clone(), field, problem);
            ok = false;
        };
        let category = r.category.trim().to_owned();
        if !category_known(&category) {
            fail("category", "manage.error.unknown_category");
        }
        let district = r
            .district
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        if district.as_deref().is_some_and(|c| !district_known(c)) {
            fail("district", "manage.error.unknown_district");
        }
        if !scopes.insert((category.clone(), district.clone())) {
            fail("district", "manage.error.duplicate_rule");
        }
        let lead = r.lead.trim().to_owned();
        if !department_known(&lead) {
            fail("lead", "manage.error.unknown_department");
        } else if department_inactive(&lead) {
            fail("lead", "manage.error.inactive_department");
        }
        let mut co_handlers: Vec<String> = Vec::new();
        for code in r.co_handlers.iter().map(|c| c.trim()) {
            if !department_known(code) {
                fail("co_handlers", "manage.error.unknown_department");
            } else if department_inactive(code) {
                fail("co_handlers", "manage.error.inactive_department");
            } else if code == lead || co_handlers.iter().any(|c| c == code) {
                fail("co_handlers", "manage.error.co_handler_repeated");
            } else {
                co_handlers.push(code.to_owned());
            }
        }
        if ok {
            rules.push(NewRoutingRuleRow {
                category_code: category,
                district_code: district,
                lead_department: lead,
                co_departments: co_handlers.join(","),
                active: true,
            });
        }
    }

    if !problems.is_empty() {
        anyhow::bail!(
            "the file was not loaded; nothing changed:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(Checked {
        districts,
        departments,
        categories,
        rules,
    })
}

/// The three names of a record, each checked; `None` when any has a problem.
fn names(
    raw: &[&String; 3],
    what: &str,
    report: &mut impl FnMut(String, &str, Problem),
) -> Option<[String; 3]> {
    let fields = ["name_zh_hans", "name_zh_hant", "name_en"];
    let mut out: Vec<String> = Vec::new();
    for (raw, field) in raw.iter().zip(fields) {
        match name(raw) {
            Ok(n) => out.push(n),
            Err(p) => report(what.to_owned(), field, p),
        }
    }
    out.try_into().ok()
}

struct Loader<'a> {
    report: LoadReport,
    source: &'a str,
    now: NaiveDateTime,
}

impl Loader<'_> {
    fn audit(
        &self,
        conn: &mut AnyConnection,
        entity: &str,
        key: &str,
        action: &str,
        detail: String,
    ) -> anyhow::Result<()> {
        manage::audit(
            conn,
            &Audit {
                at: self.now,
                user_id: None,
                entity,
                entity_key: key,
                action,
                detail: format!("load-jurisdiction {}: {detail}", self.source),
            },
        )?;
        Ok(())
    }

    fn inserted(
        &mut self,
        conn: &mut AnyConnection,
        entity: &str,
        key: &str,
        detail: String,
    ) -> anyhow::Result<()> {
        self.report.inserted += 1;
        self.audit(conn, entity, key, "create", detail)
    }

    /// Audits `changes` if there are any; counts the record either way.
    fn compared(
        &mut self,
        conn: &mut AnyConnection,
        entity: &str,
        key: &str,
        changes: Changes,
    ) -> anyhow::Result<bool> {
        if changes.is_empty() {
            self.report.unchanged += 1;
            return Ok(false);
        }
        self.report.updated += 1;
        self.audit(conn, entity, key, "update", changes.detail())?;
        Ok(true)
    }

    fn note_inactive(&mut self, entity: &str, code: &str) {
        self.report.notes.push(format!(
            "{entity} {code} is in the file but stays inactive (reactivate it on the admin page)"
        ));
    }

    fn districts(&mut self, conn: &mut AnyConnection, rows: &[DistrictRow]) -> anyhow::Result<()> {
        let mut next = manage::next_district_sort_order(conn)?;
        for row in rows {
            match manage::find_district(conn, &row.code)? {
                None => {
                    let row = DistrictRow {
                        sort_order: next,
                        ..row.clone()
                    };
                    next += 1;
                    manage::insert_district(conn, &row)?;
                    let detail = created(&[
                        ("name_zh_hans", &row.name_zh_hans),
                        ("name_zh_hant", &row.name_zh_hant),
                        ("name_en", &row.name_en),
                    ]);
                    self.inserted(conn, "district", &row.code, detail)?;
                }
                Some(old) => {
                    let new = DistrictRow {
                        sort_order: old.sort_order,
                        active: old.active,
                        ..row.clone()
                    };
                    let mut changes = Changes::default();
                    changes.field("name_zh_hans", &old.name_zh_hans, &new.name_zh_hans);
                    changes.field("name_zh_hant", &old.name_zh_hant, &new.name_zh_hant);
                    changes.field("name_en", &old.name_en, &new.name_en);
                    if !changes.is_empty() {
                        manage::update_district(conn, &new)?;
                    }
                    self.compared(conn, "district", &row.code, changes)?;
                    if !old.active {
                        self.note_inactive("district", &row.code);
                    }
                }
            }
        }
        Ok(())
    }

    fn departments(
        &mut self,
        conn: &mut AnyConnection,
        rows: &[DepartmentRow],
    ) -> anyhow::Result<()> {
        let office = rows.iter().find(|d| d.is_office).map(|d| d.code.clone());
        // The office mark moves first, so that at no point are there two.
        for code in manage::offices(conn)? {
            if Some(&code) != office.as_ref() && !rows.iter().any(|d| d.code == code) {
                if let Some(mut old) = manage::find_department(conn, &code)? {
                    old.is_office = false;
                    manage::update_department(conn, &old)?;
                    self.report.updated += 1;
                    self.audit(
                        conn,
                        "department",
                        &code,
                        "update",
                        "is_office: true → false".into(),
                    )?;
                }
            }
        }
        for row in rows {
            match manage::find_department(conn, &row.code)? {
                None => {
                    manage::insert_department(conn, row)?;
                    let detail = created(&[
                        ("name_zh_hans", &row.name_zh_hans),
                        ("name_zh_hant", &row.name_zh_hant),
                        ("name_en", &row.name_en),
                        ("district", &row.district_code),
                        ("inbox_email", &row.inbox_email),
                        ("is_office", &row.is_office),
                    ]);
                    self.inserted(conn, "department", &row.code, detail)?;
                }
                Some(old) => {
                    let new = DepartmentRow {
                        active: old.active,
                        ..row.clone()
                    };
                    let mut changes = Changes::default();
                    changes.field("name_zh_hans", &old.name_zh_hans, &new.name_zh_hans);
                    changes.field("name_zh_hant", &old.name_zh_hant, &new.name_zh_hant);
                    changes.field("name_en", &old.name_en, &new.name_en);
                    changes.field("district", &old.district_code, &new.district_code);
                    changes.field("inbox_email", &old.inbox_email, &new.inbox_email);
                    changes.field("is_office", old.is_office, new.is_office);
                    if !changes.is_empty() {
                        manage::update_department(conn, &new)?;
                    }
                    self.compared(conn, "department", &row.code, changes)?;
                    if !old.active {
                        self.note_inactive("department", &row.code);
                    }
                }
            }
        }
        Ok(())
    }

    fn categories(&mut self, conn: &mut AnyConnection, rows: &[CategoryRow]) -> anyhow::Result<()> {
        let mut next = manage::next_category_sort_order(conn)?;
        for row in rows {
            match manage::find_category(conn, &row.code)? {
                None => {
                    let row = CategoryRow {
                        sort_order: next,
                        ..row.clone()
                    };
                    next += 1;
                    manage::insert_category(conn, &row)?;
                    self.inserted(conn, "category", &row.code, category_detail(&row))?;
                }
                Some(old) => {
                    let new = CategoryRow {
                        sort_order: old.sort_order,
                        active: old.active,
                        ..row.clone()
                    };
                    let changes = category_changes(&old, &new);
                    if !changes.is_empty() {
                        manage::update_category(conn, &new)?;
                    }
                    self.compared(conn, "category", &row.code, changes)?;
                    if !old.active {
                        self.note_inactive("category", &row.code);
                    }
                }
            }
        }
        Ok(())
    }

    fn rules(
        &mut self,
        conn: &mut AnyConnection,
        rows: &[NewRoutingRuleRow],
    ) -> anyhow::Result<()> {
        for row in rows {
            match manage::rule_for_scope(conn, &row.category_code, row.district_code.as_deref())? {
                None => {
                    let id = manage::insert_rule(conn, row)?;
                    self.inserted(conn, "routing_rule", &id.to_string(), rule_detail(row))?;
                }
                Some(old) => {
                    let new = NewRoutingRuleRow {
                        active: old.active,
                        ..row.clone()
                    };
                    let mut changes = Changes::default();
                    changes.field("lead", &old.lead_department, &new.lead_department);
                    changes.field(
                        "co_handlers",
                        split_codes(&old.co_departments),
                        split_codes(&new.co_departments),
                    );
                    if !changes.is_empty() {
                        manage::update_rule(conn, old.id, &new)?;
                    }
                    self.compared(conn, "routing_rule", &old.id.to_string(), changes)?;
                    if !old.active {
                        let scope = format!(
                            "{} in {}",
                            row.category_code,
                            row.district_code.as_deref().unwrap_or("any district")
                        );
                        self.note_inactive("routing rule", &scope);
                    }
                }
            }
        }
        Ok(())
    }

    /// A fresh database gets the national 2026 schedule, as the demo one does.
    fn official_calendar(&mut self, conn: &mut AnyConnection) -> anyhow::Result<()> {
        let calendar = WorkCalendar::official_2026();
        let rest = calendar.rest_days().map(|day| (day, false));
        let work = calendar.make_up_working_days().map(|day| (day, true));
        for (day, is_working_day) in rest.chain(work) {
            manage::set_holiday(
                conn,
                &HolidayRow {
                    day,
                    is_working_day,
                    note: String::new(),
                },
            )?;
        }
        manage::add_calendar_year(conn, 2026)?;
        self.audit(
            conn,
            "calendar_year",
            "2026",
            "create",
            "the official 2026 schedule".into(),
        )?;
        Ok(())
    }
}

pub fn category_detail(row: &CategoryRow) -> String {
    created(&[
        ("name_zh_hans", &row.name_zh_hans),
        ("name_zh_hant", &row.name_zh_hant),
        ("name_en", &row.name_en),
        ("complaint_accept_days", &row.complaint_accept_days),
        ("complaint_finish_days", &row.complaint_finish_days),
        ("report_accept_days", &row.report_accept_days),
        ("report_notify_days", &row.report_notify_days),
        ("assist_days", &row.assist_days),
        ("legal_basis", &row.legal_basis),
    ])
}

pub fn category_changes(old: &CategoryRow, new: &CategoryRow) -> Changes {
    let mut changes = Changes::default();
    changes.field("name_zh_hans", &old.name_zh_hans, &new.name_zh_hans);
    changes.field("name_zh_hant", &old.name_zh_hant, &new.name_zh_hant);
    changes.field("name_en", &old.name_en, &new.name_en);
    changes.field(
        "complaint_accept_days",
        old.complaint_accept_days,
        new.complaint_accept_days,
    );
    changes.field(
        "complaint_finish_days",
        old.complaint_finish_days,
        new.complaint_finish_days,
    );
    changes.field(
        "report_accept_days",
        old.report_accept_days,
        new.report_accept_days,
    );
    changes.field(
        "report_notify_days",
        old.report_notify_days,
        new.report_notify_days,
    );
    changes.field("assist_days", old.assist_days, new.assist_days);
    changes.field("legal_basis", &old.legal_basis, &new.legal_basis);
    changes.field("active", old.active, new.active);
    changes
}

pub fn rule_detail(row: &NewRoutingRuleRow) -> String {
    created(&[
        ("category", &row.category_code),
        ("district", &row.district_code),
        ("lead", &row.lead_department),
        ("co_handlers", &split_codes(&row.co_departments)),
        ("active", &row.active),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_days_and_names_are_checked() {
        assert_eq!(district_code(" 361102 "), Ok("361102".into()));
        for bad in ["36110", "3611020", "36110a", "３６１１０２"] {
            assert_eq!(
                district_code(bad),
                Err("manage.error.district_code"),
                "{bad}"
            );
        }
        assert_eq!(district_code(""), Err("manage.error.required"));
        assert_eq!(
            record_code("quality-supervision-361102"),
            Ok("quality-supervision-361102".into())
        );
        for bad in [
            "Food",
            "food drugs",
            "-food",
            "food-",
            "食品",
            &"a".repeat(65),
        ] {
            assert_eq!(record_code(bad), Err("manage.error.code"), "{bad}");
        }
        assert_eq!(days("7"), Ok(7));
        for bad in ["0", "-1", "seven", "7.5", "366", "99999999999"] {
            assert_eq!(days(bad), Err("manage.error.days"), "{bad}");
        }
        assert_eq!(days(" "), Err("manage.error.required"));
        assert_eq!(name("  信州区 "), Ok("信州区".into()));
        assert_eq!(name(""), Err("manage.error.required"));
        assert_eq!(name("a\nb"), Err("manage.error.characters"));
        assert_eq!(
            name(&"名".repeat(NAME_MAX + 1)),
            Err("manage.error.too_long")
        );
        assert_eq!(
            inbox_email("Office@Example.ORG"),
            Ok("Office@example.org".into())
        );
        assert_eq!(inbox_email("office"), Err("manage.error.email"));
    }

    #[test]
    fn every_problem_key_has_a_message() {
        let source = include_str!("jurisdiction.rs");
        let keys = source
            .split('"')
            .filter(|s| s.starts_with("manage.error.") && !s.ends_with('.'));
        for key in keys {
            assert!(i18n::has_key(key), "{key} has no message");
        }
    }
}
