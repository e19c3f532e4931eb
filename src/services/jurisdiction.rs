//! `green-channel load-jurisdiction FILE`: a jurisdiction file read into the same forms,
//! checked by the same rules and written through the same `manage::save` (and
//! `manage::move_office`) as the management pages. No HTTP here.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use anyhow::Context as _;

use crate::config::Config;
use crate::db::manage::{self as queries, HolidayRow};
use crate::db::reference::{
    CategoryRow, DepartmentRow, DistrictRow, ReferenceData, RoutingRuleRow,
};
use crate::db::seed::{CategoryEntry, DepartmentEntry, DistrictEntry, Jurisdiction, RuleEntry};
use crate::db::{AnyConnection, Database};
use crate::domain::calendar::WorkCalendar;
use crate::services::manage::form::FieldErrors;
use crate::services::manage::{
    self, audit, move_office, Actor, Audited, Catalog, CategoryForm, DepartmentForm, DistrictForm,
    ManageError, OfficeMove, Record, RuleForm, Standing, Written,
};

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
        load(conn, &jurisdiction, &source)
    })
}

/// Inserts what is new and updates what exists (by code; rules by category and district),
/// never deletes, and leaves what administrators set (`active`, the order) as it is. Every
/// change is audited; a file that matches the database changes nothing. An error writes
/// nothing (the caller's transaction is rolled back).
pub fn load(
    conn: &mut AnyConnection,
    j: &Jurisdiction,
    source: &str,
) -> anyhow::Result<LoadReport> {
    let checked = check(conn, j)?;
    let actor = Actor::Loader {
        source: source.to_owned(),
    };
    let fresh_database = queries::district_count(conn)? == 0;
    let mut loader = Loader {
        conn,
        actor,
        outcomes: Vec::new(),
        notes: Vec::new(),
    };
    loader.save_all(checked.districts)?;
    // A new office takes the mark at once only where nobody has it yet; otherwise the
    // mark moves below, in one step, as on the departments page.
    let no_office = queries::offices(loader.conn)?.is_empty();
    let departments = checked.departments.into_iter().map(|mut d| {
        d.record.is_office &= no_office;
        d
    });
    loader.save_all(departments.collect())?;
    loader.move_office_to(&checked.office)?;
    loader.save_all(checked.categories)?;
    loader.save_all(checked.rules)?;
    if fresh_database && queries::calendar_is_empty(loader.conn)? {
        official_calendar(loader.conn, &loader.actor)?;
    }
    Ok(loader.report(fresh_database))
}

/// A record of the file: where it stands in the file and how it is named (for messages),
/// and what it says.
struct Entry<R> {
    what: String,
    label: String,
    record: R,
}

struct Checked {
    districts: Vec<Entry<DistrictRow>>,
    departments: Vec<Entry<DepartmentRow>>,
    categories: Vec<Entry<CategoryRow>>,
    rules: Vec<Entry<RoutingRuleRow>>,
    office: String,
}

/// Codes are checked against what is stored and what the file itself adds (new records are
/// active; stored ones stand as they are: the file does not reactivate them).
struct FileCatalog<'a> {
    stored: &'a ReferenceData,
    districts: HashSet<String>,
    departments: HashSet<String>,
    categories: HashSet<String>,
}

fn added(code: &str, in_file: &HashSet<String>) -> Option<Standing> {
    in_file.contains(code).then_some(Standing {
        active: true,
        is_office: false,
    })
}

impl Catalog for FileCatalog<'_> {
    fn district(&self, code: &str) -> Option<Standing> {
        Catalog::district(self.stored, code).or_else(|| added(code, &self.districts))
    }

    fn department(&self, code: &str) -> Option<Standing> {
        Catalog::department(self.stored, code).or_else(|| added(code, &self.departments))
    }

    fn category(&self, code: &str) -> Option<Standing> {
        Catalog::category(self.stored, code).or_else(|| added(code, &self.categories))
    }
}

fn codes<'a>(codes: impl Iterator<Item = &'a String>) -> HashSet<String> {
    codes.map(|c| c.trim().to_owned()).collect()
}

/// Every problem of the file at once, in English (the operator's console), or its records.
fn check(conn: &mut AnyConnection, j: &Jurisdiction) -> anyhow::Result<Checked> {
    let stored = ReferenceData::load(conn)?;
    let catalog = FileCatalog {
        stored: &stored,
        districts: codes(j.districts.iter().map(|d| &d.code)),
        departments: codes(j.departments.iter().map(|d| &d.code)),
        categories: codes(j.categories.iter().map(|c| &c.code)),
    };
    let mut problems = Vec::new();
    let districts = parse_all(&mut problems, &catalog, "districts", &j.districts);
    let departments = parse_all(&mut problems, &catalog, "departments", &j.departments);
    let categories = parse_all(&mut problems, &catalog, "categories", &j.categories);
    let rules = parse_all(&mut problems, &catalog, "routing_rules", &j.routing_rules);
    if !problems.is_empty() {
        anyhow::bail!(
            "the file was not loaded; nothing changed:\n  {}",
            problems.join("\n  ")
        );
    }
    // `Jurisdiction::parse` made sure there is exactly one.
    let office = j
        .departments
        .iter()
        .find(|d| d.is_office)
        .map(|d| d.code.trim().to_owned())
        .context("no department is the coordination office")?;
    Ok(Checked {
        districts,
        departments,
        categories,
        rules,
        office,
    })
}

/// A file entry as the form its page would send.
trait FileEntry {
    type Record: Record;
    /// How a message names it.
    fn label(&self) -> String;
    fn form(&self) -> <Self::Record as Record>::Form;
}

/// Parses each entry, collecting every problem, a second entry of the same record included.
fn parse_all<E: FileEntry>(
    problems: &mut Vec<String>,
    catalog: &dyn Catalog,
    section: &str,
    entries: &[E],
) -> Vec<Entry<E::Record>> {
    let mut parsed: Vec<Entry<E::Record>> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let label = entry.label();
        let what = format!("{section}[{i}] ({label})");
        match E::Record::parse(&entry.form(), catalog, None) {
            Ok(record) if parsed.iter().any(|e| e.record.same_as(&record)) => {
                let (field, refusal) = E::Record::DUPLICATE;
                problems.push(problem(&what, &FieldErrors::one(field, refusal)));
            }
            Ok(record) => parsed.push(Entry {
                what,
                label,
                record,
            }),
            Err(errors) => problems.push(problem(&what, &errors)),
        }
    }
    parsed
}

fn problem(what: &str, errors: &FieldErrors) -> String {
    format!("{what}: {errors}")
}

impl FileEntry for DistrictEntry {
    type Record = DistrictRow;

    fn label(&self) -> String {
        format!("{:?}", self.code)
    }

    fn form(&self) -> DistrictForm {
        DistrictForm {
            code: self.code.clone(),
            name_zh_hans: self.name_zh_hans.clone(),
            name_zh_hant: self.name_zh_hant.clone(),
            name_en: self.name_en.clone(),
            active: false,
        }
    }
}

impl FileEntry for DepartmentEntry {
    type Record = DepartmentRow;

    fn label(&self) -> String {
        format!("{:?}", self.code)
    }

    fn form(&self) -> DepartmentForm {
        DepartmentForm {
            code: self.code.clone(),
            name_zh_hans: self.name_zh_hans.clone(),
            name_zh_hant: self.name_zh_hant.clone(),
            name_en: self.name_en.clone(),
            inbox_email: self.inbox_email.clone(),
            district: self.district.clone().unwrap_or_default(),
            is_office: self.is_office,
            active: false,
        }
    }
}

impl FileEntry for CategoryEntry {
    type Record = CategoryRow;

    fn label(&self) -> String {
        format!("{:?}", self.code)
    }

    fn form(&self) -> CategoryForm {
        CategoryForm {
            code: self.code.clone(),
            name_zh_hans: self.name_zh_hans.clone(),
            name_zh_hant: self.name_zh_hant.clone(),
            name_en: self.name_en.clone(),
            complaint_accept_days: self.complaint_accept_days.to_string(),
            complaint_finish_days: self.complaint_finish_days.to_string(),
            report_accept_days: self.report_accept_days.to_string(),
            report_notify_days: self.report_notify_days.to_string(),
            assist_days: self.assist_days.to_string(),
            legal_basis: self.legal_basis.clone(),
            rejection_reasons: self.rejection_reasons.clone(),
            active: false,
        }
    }
}

impl FileEntry for RuleEntry {
    type Record = RoutingRuleRow;

    fn label(&self) -> String {
        let district = self.district.as_deref().unwrap_or("any district");
        format!("{:?} in {district} → {:?}", self.category, self.lead)
    }

    fn form(&self) -> RuleForm {
        RuleForm {
            category: self.category.clone(),
            district: self.district.clone().unwrap_or_default(),
            lead: self.lead.clone(),
            active: false,
            co_handlers: self.co_handlers.clone(),
        }
    }
}

/// The writing half of a run: each record through `manage::save`, and what it came to.
struct Loader<'c> {
    conn: &'c mut AnyConnection,
    actor: Actor,
    /// (entity, key, what happened), for the report.
    outcomes: Vec<(&'static str, Written)>,
    notes: Vec<String>,
}

impl Loader<'_> {
    fn save_all<R: Record>(&mut self, entries: Vec<Entry<R>>) -> anyhow::Result<()> {
        for Entry {
            what,
            label,
            record,
        } in entries
        {
            let stored = record.existing(self.conn)?;
            let new = match &stored {
                Some(old) => record.loaded_over(old),
                None => record,
            };
            let written = manage::save(self.conn, &self.actor, stored.as_ref(), new)
                .map_err(|e| refused(&what, e))?;
            if stored.is_some_and(|old| !old.active()) {
                self.notes.push(format!(
                    "{} {label} is in the file but stays inactive (reactivate it on the admin page)",
                    R::ENTITY.replace('_', " ")
                ));
            }
            self.outcomes.push((R::ENTITY, written));
        }
        Ok(())
    }

    /// The file's office takes the mark if it has not got it: the departments that change
    /// count as updated.
    fn move_office_to(&mut self, office: &str) -> anyhow::Result<()> {
        let moved = move_office(self.conn, &self.actor, office)
            .map_err(|e| refused(&format!("departments ({office:?})"), e))?;
        let OfficeMove::Moved { previous } = moved else {
            return Ok(());
        };
        for code in previous.iter().map(String::as_str).chain([office]) {
            let outcome = self
                .outcomes
                .iter_mut()
                .find(|(entity, w)| *entity == DepartmentRow::ENTITY && w.key() == code);
            match outcome {
                Some((_, w @ Written::Unchanged(_))) => *w = Written::Updated(code.to_owned()),
                Some(_) => {}
                None => self
                    .outcomes
                    .push((DepartmentRow::ENTITY, Written::Updated(code.to_owned()))),
            }
        }
        Ok(())
    }

    fn report(self, fresh_database: bool) -> LoadReport {
        let count = |f: fn(&Written) -> bool| self.outcomes.iter().filter(|(_, w)| f(w)).count();
        LoadReport {
            inserted: count(|w| matches!(w, Written::Inserted(_))),
            updated: count(|w| matches!(w, Written::Updated(_))),
            unchanged: count(|w| matches!(w, Written::Unchanged(_))),
            fresh_database,
            notes: self.notes,
        }
    }
}

/// A refusal met while writing (the stored data changed since the check, or the office
/// cannot move), in the operator's words.
fn refused(what: &str, error: ManageError) -> anyhow::Error {
    match error {
        ManageError::Invalid(errors) => anyhow::anyhow!(
            "the file was not loaded; nothing changed:\n  {}",
            problem(what, &errors)
        ),
        other => anyhow::Error::new(other).context(what.to_owned()),
    }
}

/// A fresh database gets the national 2026 schedule, as the demo one does: one audit event
/// for the whole schedule.
fn official_calendar(conn: &mut AnyConnection, actor: &Actor) -> anyhow::Result<()> {
    let calendar = WorkCalendar::official_2026();
    let rest = calendar.rest_days().map(|day| (day, false));
    let work = calendar.make_up_working_days().map(|day| (day, true));
    for (day, is_working_day) in rest.chain(work) {
        queries::set_holiday(
            conn,
            &HolidayRow {
                day,
                is_working_day,
                note: String::new(),
            },
        )?;
    }
    queries::add_calendar_year(conn, 2026)?;
    audit(
        conn,
        actor,
        "calendar_year",
        "2026",
        "create",
        "the official 2026 schedule",
    )?;
    Ok(())
}
