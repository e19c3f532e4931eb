//! The four kinds of reference record as `Record`s: districts, departments (with the
//! coordination office's rules), categories and routing rules, and their forms.

use super::form::{self, raw_form, FieldErrors, FormValues, Problem, Refusal};
use super::{audit, shown, Actor, Audited, Catalog, ManageError, Manager, Record};
use crate::db::manage as queries;
use crate::db::reference::{
    split_codes, CategoryRow, DepartmentRow, DistrictRow, NewRoutingRuleRow, RoutingRuleRow,
};
use crate::db::{AnyConnection, DbError};

raw_form! {
    /// A district as typed: the code on creation only, `active` on an edit only.
    pub struct DistrictForm {
        text: [code, name_zh_hans, name_zh_hant, name_en],
        checkbox: [active],
        list: [],
    }
}

raw_form! {
    pub struct DepartmentForm {
        text: [code, name_zh_hans, name_zh_hant, name_en, inbox_email, district],
        checkbox: [is_office, active],
        list: [],
    }
}

raw_form! {
    pub struct CategoryForm {
        text: [
            code,
            name_zh_hans,
            name_zh_hant,
            name_en,
            complaint_accept_days,
            complaint_finish_days,
            report_accept_days,
            report_notify_days,
            assist_days,
            legal_basis,
            rejection_reasons,
        ],
        checkbox: [active],
        list: [],
    }
}

raw_form! {
    /// A routing rule as typed: its scope (category, district or none for any) on creation
    /// only, then its lead and co-handling departments.
    pub struct RuleForm {
        text: [category, district, lead],
        checkbox: [active],
        list: [co_handlers],
    }
}

/// The key and the names of a record keyed by a code, as its form gives them: a new
/// record's code as `code` reads it, or the stored one's (a key never changes). Problems go
/// to the returned `FieldErrors`, for the rest of the form to add to.
fn code_and_names<R: Audited>(
    stored: Option<&R>,
    form: &dyn FormValues,
    code: fn(&str) -> Result<String, Problem>,
) -> (FieldErrors, Option<String>, Option<[String; 3]>) {
    let mut errors = FieldErrors::default();
    let code = match stored {
        Some(record) => Some(record.key()),
        None => errors.check("code", code(form.text("code"))),
    };
    let names = ["name_zh_hans", "name_zh_hant", "name_en"].map(|name| form.text(name));
    let names = form::names(&mut errors, names);
    (errors, code, names)
}

/// A new record is active; an edit says.
fn active_of(stored: bool, checked: bool) -> bool {
    !stored || checked
}

/// `Audited` for a record keyed by its code: its entity and the fields the trail shows
/// (name in the forms => field of the row).
macro_rules! audited_by_code {
    ($row:ty, $entity:literal, [$($name:literal => $field:ident),* $(,)?]) => {
        impl Audited for $row {
            const ENTITY: &'static str = $entity;

            fn key(&self) -> String {
                self.code.clone()
            }

            fn active(&self) -> bool {
                self.active
            }

            fn audit_fields(&self) -> Vec<(&'static str, String)> {
                shown(&[$(($name, &self.$field)),*])
            }
        }
    };
}

/// The storage half of a `Record` keyed by its code, inside its `impl`; an `ordered` one
/// takes the next place in the order when created and keeps its place, like being active,
/// when a file is loaded over it.
macro_rules! stored_by_code {
    ($find:path, $insert:path, $update:path, ordered by $next:path) => {
        stored_by_code!($find, $insert, $update, numbered by $next);

        fn loaded_over(self, stored: &Self) -> Self {
            Self {
                sort_order: stored.sort_order,
                active: stored.active,
                ..self
            }
        }
    };
    ($find:path, $insert:path, $update:path $(, numbered by $next:path)?) => {
        fn find(conn: &mut AnyConnection, key: &str) -> Result<Option<Self>, DbError> {
            $find(conn, key)
        }

        fn insert(&mut self, conn: &mut AnyConnection) -> Result<(), DbError> {
            $(self.sort_order = $next(conn)?;)?
            $insert(conn, self)
        }

        fn update(&self, conn: &mut AnyConnection) -> Result<(), DbError> {
            $update(conn, self)
        }
    };
}

// Districts.

audited_by_code!(DistrictRow, "district", [
    "name_zh_hans" => name_zh_hans,
    "name_zh_hant" => name_zh_hant,
    "name_en" => name_en,
    "active" => active,
]);

impl Record for DistrictRow {
    type Form = DistrictForm;

    stored_by_code!(
        queries::find_district,
        queries::insert_district,
        queries::update_district, ordered by queries::next_district_sort_order
    );

    fn parse(
        form: &DistrictForm,
        _: &dyn Catalog,
        stored: Option<&Self>,
    ) -> Result<Self, FieldErrors> {
        let (errors, code, names) = code_and_names(stored, form, form::district_code);
        errors.finish(|| {
            let [name_zh_hans, name_zh_hant, name_en] = names?;
            Some(DistrictRow {
                code: code?,
                name_zh_hans,
                name_zh_hant,
                name_en,
                sort_order: stored.map_or(0, |s| s.sort_order),
                active: active_of(stored.is_some(), form.active),
            })
        })
    }
}

// Departments and the coordination office.

/// The office rules of DESIGN §4 for a department about to be `new`, beside the other
/// departments that are the office now: exactly one office, and an active one. The mark
/// moves only through `move_office`.
fn office_refusal(
    was_office: bool,
    new: &DepartmentRow,
    other_offices: bool,
) -> Option<(&'static str, Refusal)> {
    if new.is_office && other_offices {
        Some(("is_office", Refusal::SecondOffice))
    } else if was_office && !new.is_office && !other_offices {
        Some(("is_office", Refusal::OfficeRequired))
    } else if new.is_office && !new.active {
        Some(("active", Refusal::OfficeInactive))
    } else {
        None
    }
}

audited_by_code!(DepartmentRow, "department", [
    "name_zh_hans" => name_zh_hans,
    "name_zh_hant" => name_zh_hant,
    "name_en" => name_en,
    "district" => district_code,
    "inbox_email" => inbox_email,
    "is_office" => is_office,
    "active" => active,
]);

impl Record for DepartmentRow {
    type Form = DepartmentForm;

    stored_by_code!(
        queries::find_department,
        queries::insert_department,
        queries::update_department
    );

    fn parse(
        form: &DepartmentForm,
        catalog: &dyn Catalog,
        stored: Option<&Self>,
    ) -> Result<Self, FieldErrors> {
        let (mut errors, code, names) = code_and_names(stored, form, form::record_code);
        let inbox_email = errors.check("inbox_email", form::email(&form.inbox_email));
        // City level, or a district that exists (an inactive one still locates a department).
        let district = match form.district.trim() {
            "" => Ok(None),
            code if catalog.district(code).is_some() => Ok(Some(code.to_owned())),
            _ => Err(Refusal::UnknownDistrict),
        };
        let district = errors.check("district", district);
        errors.finish(|| {
            let [name_zh_hans, name_zh_hant, name_en] = names?;
            Some(DepartmentRow {
                code: code?,
                name_zh_hans,
                name_zh_hant,
                name_en,
                district_code: district?,
                inbox_email: inbox_email?,
                is_office: form.is_office,
                active: active_of(stored.is_some(), form.active),
            })
        })
    }

    fn refusal(
        &self,
        conn: &mut AnyConnection,
        stored: Option<&Self>,
    ) -> Result<Option<(&'static str, Refusal)>, DbError> {
        let others = queries::offices(conn)?
            .iter()
            .any(|code| *code != self.code);
        let was_office = stored.is_some_and(|s| s.is_office);
        Ok(office_refusal(was_office, self, others))
    }

    /// The office mark is moved by the loader on its own (`move_office`).
    fn loaded_over(self, stored: &Self) -> Self {
        DepartmentRow {
            is_office: stored.is_office,
            active: stored.active,
            ..self
        }
    }
}

/// What `move_office` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfficeMove {
    /// It already was the office (asked twice, a double click): nothing changed.
    AlreadyTheOffice,
    /// The departments that lost the mark.
    Moved { previous: Vec<String> },
}

/// Makes `code` the one coordination office, taking the mark from every other department,
/// audited. The office takes every unrouted case, so an inactive department cannot be it.
pub fn move_office(
    conn: &mut AnyConnection,
    actor: &Actor,
    code: &str,
) -> Result<OfficeMove, ManageError> {
    let department = queries::find_department(conn, code)?.ok_or(ManageError::NotFound)?;
    if department.is_office {
        return Ok(OfficeMove::AlreadyTheOffice);
    }
    if !department.active {
        return Err(ManageError::refused("active", Refusal::OfficeInactive));
    }
    let previous = queries::offices(conn)?;
    queries::move_office(conn, code)?;
    for old in &previous {
        audit(
            conn,
            actor,
            DepartmentRow::ENTITY,
            old,
            "update",
            "is_office: true → false",
        )?;
    }
    audit(
        conn,
        actor,
        DepartmentRow::ENTITY,
        code,
        "make_office",
        "is_office: false → true",
    )?;
    Ok(OfficeMove::Moved { previous })
}

/// What depends on a department, shown before it is deactivated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dependents {
    /// Active rules naming it as lead or co-handler.
    pub rules: usize,
    pub active_users: i64,
}

impl Manager {
    pub async fn make_office(&self, code: &str) -> Result<OfficeMove, ManageError> {
        let code = code.to_owned();
        self.write(move |conn, actor, _| move_office(conn, actor, &code))
            .await
    }

    pub async fn dependents(&self, code: &str) -> Result<Dependents, ManageError> {
        let code = code.to_owned();
        self.read(move |conn| {
            let rules = queries::all_rules(conn)?
                .iter()
                .filter(|r| {
                    r.active
                        && (r.lead_department == code
                            || split_codes(&r.co_departments).contains(&code))
                })
                .count();
            Ok(Dependents {
                rules,
                active_users: queries::active_users_in(conn, &code)?,
            })
        })
        .await
    }
}

// Categories.

/// The five deadlines, in form order.
pub const DAY_FIELDS: [&str; 5] = [
    "complaint_accept_days",
    "complaint_finish_days",
    "report_accept_days",
    "report_notify_days",
    "assist_days",
];

audited_by_code!(CategoryRow, "category", [
    "name_zh_hans" => name_zh_hans,
    "name_zh_hant" => name_zh_hant,
    "name_en" => name_en,
    "complaint_accept_days" => complaint_accept_days,
    "complaint_finish_days" => complaint_finish_days,
    "report_accept_days" => report_accept_days,
    "report_notify_days" => report_notify_days,
    "assist_days" => assist_days,
    "legal_basis" => legal_basis,
    "rejection_reasons" => rejection_reasons,
    "active" => active,
]);

impl Record for CategoryRow {
    type Form = CategoryForm;

    stored_by_code!(
        queries::find_category,
        queries::insert_category,
        queries::update_category, ordered by queries::next_category_sort_order
    );

    fn parse(
        form: &CategoryForm,
        _: &dyn Catalog,
        stored: Option<&Self>,
    ) -> Result<Self, FieldErrors> {
        let (mut errors, code, names) = code_and_names(stored, form, form::record_code);
        let days = DAY_FIELDS.map(|field| errors.check(field, form::days(form.text(field))));
        let legal_basis = errors.check("legal_basis", form::legal_basis(&form.legal_basis));
        let rejection_reasons = errors.check(
            "rejection_reasons",
            form::rejection_reasons(&form.rejection_reasons),
        );
        errors.finish(|| {
            let [name_zh_hans, name_zh_hant, name_en] = names?;
            let [accept, finish, report, notify, assist] = days;
            Some(CategoryRow {
                code: code?,
                name_zh_hans,
                name_zh_hant,
                name_en,
                complaint_accept_days: accept?,
                complaint_finish_days: finish?,
                report_accept_days: report?,
                report_notify_days: notify?,
                assist_days: assist?,
                legal_basis: legal_basis?,
                sort_order: stored.map_or(0, |s| s.sort_order),
                active: active_of(stored.is_some(), form.active),
                rejection_reasons: rejection_reasons?,
            })
        })
    }
}

// Routing rules.

/// A rule's lead: a department that exists and takes cases.
fn lead_department(catalog: &dyn Catalog, raw: &str) -> Result<String, super::form::Issue> {
    let lead = form::chosen(raw)?;
    match catalog.department(&lead) {
        None => Err(Refusal::UnknownDepartment.into()),
        Some(d) if !d.active => Err(Refusal::InactiveDepartment.into()),
        Some(_) => Ok(lead),
    }
}

/// Co-handlers: departments that exist and take cases, not the lead, each once.
fn co_handlers(
    catalog: &dyn Catalog,
    chosen: &[String],
    lead: &str,
) -> Result<Vec<String>, Refusal> {
    let mut co_handlers: Vec<String> = Vec::new();
    for code in chosen.iter().map(|c| c.trim()) {
        match catalog.department(code) {
            None => return Err(Refusal::UnknownDepartment),
            Some(d) if !d.active => return Err(Refusal::InactiveDepartment),
            Some(_) if code == lead => return Err(Refusal::CoHandlerRepeated),
            Some(_) if co_handlers.iter().any(|c| c == code) => {}
            Some(_) => co_handlers.push(code.to_owned()),
        }
    }
    Ok(co_handlers)
}

/// The scope of a new rule: a category that exists, and a district that exists or none.
fn scope(
    errors: &mut FieldErrors,
    catalog: &dyn Catalog,
    form: &RuleForm,
) -> (Option<String>, Option<Option<String>>) {
    let category = form::chosen(&form.category).map_err(super::form::Issue::from);
    let category = category.and_then(|code| match catalog.category(&code) {
        Some(_) => Ok(code),
        None => Err(Refusal::UnknownCategory.into()),
    });
    let district = match form.district.trim() {
        "" => Ok(None),
        code if catalog.district(code).is_some() => Ok(Some(code.to_owned())),
        _ => Err(Refusal::UnknownDistrict),
    };
    (
        errors.check("category", category),
        errors.check("district", district),
    )
}

impl Audited for RoutingRuleRow {
    const ENTITY: &'static str = "routing_rule";

    fn key(&self) -> String {
        self.id.to_string()
    }

    fn active(&self) -> bool {
        self.active
    }

    fn audit_fields(&self) -> Vec<(&'static str, String)> {
        shown(&[
            ("category", &self.category_code),
            ("district", &self.district_code),
            ("lead", &self.lead_department),
            ("co_handlers", &split_codes(&self.co_departments)),
            ("active", &self.active),
        ])
    }
}

impl Record for RoutingRuleRow {
    type Form = RuleForm;
    const DUPLICATE: (&'static str, Refusal) = ("district", Refusal::DuplicateRule);

    fn parse(
        form: &RuleForm,
        catalog: &dyn Catalog,
        stored: Option<&Self>,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let (category, district) = match stored {
            Some(s) => (Some(s.category_code.clone()), Some(s.district_code.clone())),
            None => scope(&mut errors, catalog, form),
        };
        let lead = errors.check("lead", lead_department(catalog, &form.lead));
        let co = co_handlers(
            catalog,
            &form.co_handlers,
            lead.as_deref().unwrap_or_default(),
        );
        let co = errors.check("co_handlers", co);
        errors.finish(|| {
            Some(RoutingRuleRow {
                id: stored.map_or(0, |s| s.id),
                category_code: category?,
                district_code: district?,
                lead_department: lead?,
                co_departments: co?.join(","),
                active: active_of(stored.is_some(), form.active),
            })
        })
    }

    fn find(conn: &mut AnyConnection, key: &str) -> Result<Option<Self>, DbError> {
        match key.parse() {
            Ok(id) => queries::find_rule(conn, id),
            Err(_) => Ok(None),
        }
    }

    fn same_as(&self, other: &Self) -> bool {
        (&self.category_code, &self.district_code) == (&other.category_code, &other.district_code)
    }

    /// A rule is one per scope: (category, district or any).
    fn existing(&self, conn: &mut AnyConnection) -> Result<Option<Self>, DbError> {
        queries::rule_for_scope(conn, &self.category_code, self.district_code.as_deref())
    }

    fn insert(&mut self, conn: &mut AnyConnection) -> Result<(), DbError> {
        self.id = queries::insert_rule(conn, &new_rule_row(self))?;
        Ok(())
    }

    fn update(&self, conn: &mut AnyConnection) -> Result<(), DbError> {
        queries::update_rule(conn, self.id, &new_rule_row(self))
    }

    fn loaded_over(self, stored: &Self) -> Self {
        RoutingRuleRow {
            id: stored.id,
            active: stored.active,
            ..self
        }
    }
}

fn new_rule_row(rule: &RoutingRuleRow) -> NewRoutingRuleRow {
    NewRoutingRuleRow {
        category_code: rule.category_code.clone(),
        district_code: rule.district_code.clone(),
        lead_department: rule.lead_department.clone(),
        co_departments: rule.co_departments.clone(),
        active: rule.active,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::manage::form::Issue;
    use crate::services::manage::Standing;

    fn department(code: &str, is_office: bool, active: bool) -> DepartmentRow {
        DepartmentRow {
            code: code.into(),
            name_zh_hans: "名".into(),
            name_zh_hant: "名".into(),
            name_en: "Name".into(),
            district_code: None,
            inbox_email: "a@example.org".into(),
            is_office,
            active,
        }
    }

    #[test]
    fn there_is_exactly_one_office_and_it_is_active() {
        let refusal = |was, new: &DepartmentRow, others| office_refusal(was, new, others);
        // A second office, created or marked on an edit.
        assert_eq!(
            refusal(false, &department("b", true, true), true),
            Some(("is_office", Refusal::SecondOffice))
        );
        // Unmarking the one office without moving the mark.
        assert_eq!(
            refusal(true, &department("a", false, true), false),
            Some(("is_office", Refusal::OfficeRequired))
        );
        // An inactive office.
        assert_eq!(
            refusal(true, &department("a", true, false), false),
            Some(("active", Refusal::OfficeInactive))
        );
        // Editing the office, or any other department, as it is.
        assert_eq!(refusal(true, &department("a", true, true), false), None);
        assert_eq!(refusal(false, &department("b", false, false), true), None);
        // The first office of an empty database.
        assert_eq!(refusal(false, &department("a", true, true), false), None);
    }

    /// Three departments: `lead` active, `off` inactive, `office` the office.
    struct Known;

    impl Catalog for Known {
        fn district(&self, code: &str) -> Option<Standing> {
            (code == "361102").then_some(Standing {
                active: true,
                is_office: false,
            })
        }

        fn department(&self, code: &str) -> Option<Standing> {
            match code {
                "lead" | "co" => Some(Standing {
                    active: true,
                    is_office: false,
                }),
                "off" => Some(Standing {
                    active: false,
                    is_office: false,
                }),
                "office" => Some(Standing {
                    active: true,
                    is_office: true,
                }),
                _ => None,
            }
        }

        fn category(&self, code: &str) -> Option<Standing> {
            (code == "food").then_some(Standing {
                active: true,
                is_office: false,
            })
        }
    }

    fn rule(category: &str, district: &str, lead: &str, co: &[&str]) -> RuleForm {
        RuleForm {
            category: category.into(),
            district: district.into(),
            lead: lead.into(),
            active: false,
            co_handlers: co.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn refused(form: RuleForm, field: &str) -> Option<Issue> {
        RoutingRuleRow::parse(&form, &Known, None)
            .expect_err("refused")
            .get(field)
    }

    #[test]
    fn a_rule_names_known_active_departments_each_once() {
        let parsed =
            RoutingRuleRow::parse(&rule("food", "", "lead", &["co", "co"]), &Known, None).unwrap();
        assert_eq!(parsed.co_departments, "co");
        assert_eq!(parsed.district_code, None);
        assert!(parsed.active, "a new rule routes at once");
        let refusal = |r: Refusal| Some(Issue::Refused(r));
        assert_eq!(
            refused(rule("food", "", "nobody", &[]), "lead"),
            refusal(Refusal::UnknownDepartment)
        );
        assert_eq!(
            refused(rule("food", "", "off", &[]), "lead"),
            refusal(Refusal::InactiveDepartment)
        );
        assert_eq!(
            refused(rule("food", "", "", &[]), "lead"),
            Some(Issue::Malformed(Problem::Required))
        );
        assert_eq!(
            refused(rule("food", "", "lead", &["lead"]), "co_handlers"),
            refusal(Refusal::CoHandlerRepeated)
        );
        assert_eq!(
            refused(rule("food", "", "lead", &["off"]), "co_handlers"),
            refusal(Refusal::InactiveDepartment)
        );
        assert_eq!(
            refused(rule("toys", "999999", "lead", &[]), "category"),
            refusal(Refusal::UnknownCategory)
        );
        assert_eq!(
            refused(rule("toys", "999999", "lead", &[]), "district"),
            refusal(Refusal::UnknownDistrict)
        );
    }

    #[test]
    fn an_edit_keeps_the_key_and_a_new_record_is_active() {
        let stored = DistrictRow {
            code: "361102".into(),
            name_zh_hans: "信州区".into(),
            name_zh_hant: "信州區".into(),
            name_en: "Xinzhou".into(),
            sort_order: 4,
            active: true,
        };
        let form = DistrictForm {
            code: "999999".into(),
            name_zh_hans: "信州区".into(),
            name_zh_hant: "信州區".into(),
            name_en: "Xinzhou".into(),
            active: false,
        };
        let edited = DistrictRow::parse(&form, &Known, Some(&stored)).unwrap();
        assert_eq!((edited.code.as_str(), edited.sort_order), ("361102", 4));
        assert!(!edited.active, "unticked on an edit: deactivated");
        let created = DistrictRow::parse(&form, &Known, None).unwrap();
        assert_eq!(created.code, "999999");
        assert!(created.active);
        let loaded = created.loaded_over(&DistrictRow {
            active: false,
            ..stored
        });
        assert!(!loaded.active, "a file does not reactivate");
    }

    #[test]
    fn a_department_names_a_known_district_or_none() {
        let form = DepartmentForm {
            code: "weights".into(),
            name_zh_hans: "计量所".into(),
            name_zh_hant: "計量所".into(),
            name_en: "Weights".into(),
            inbox_email: "w@example.org".into(),
            district: "999999".into(),
            is_office: false,
            active: false,
        };
        let errors = DepartmentRow::parse(&form, &Known, None).unwrap_err();
        assert_eq!(
            errors.get("district"),
            Some(Issue::Refused(Refusal::UnknownDistrict))
        );
        let city = DepartmentForm {
            district: " ".into(),
            ..form
        };
        assert_eq!(
            DepartmentRow::parse(&city, &Known, None)
                .unwrap()
                .district_code,
            None
        );
    }
}
