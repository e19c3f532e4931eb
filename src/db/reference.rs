//! Reference data of the coordination mechanism: districts, departments, categories,
//! routing rules and the working-day calendar, read together as one `ReferenceData`.

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::{calendar_years, categories, departments, districts, holidays, routing_rules};
use super::{AnyConnection, DbError};
use crate::domain::calendar::WorkCalendar;
use crate::domain::deadlines::DeadlineRules;
use crate::domain::intake::Choices;
use crate::domain::routing::RoutingRule;
use crate::i18n::Locale;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = districts)]
pub struct DistrictRow {
    pub code: String,
    pub name_zh_hans: String,
    pub name_zh_hant: String,
    pub name_en: String,
    pub sort_order: i32,
    pub active: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = departments)]
pub struct DepartmentRow {
    pub code: String,
    pub name_zh_hans: String,
    pub name_zh_hant: String,
    pub name_en: String,
    pub district_code: Option<String>,
    pub inbox_email: String,
    pub is_office: bool,
    pub active: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = categories)]
pub struct CategoryRow {
    pub code: String,
    pub name_zh_hans: String,
    pub name_zh_hant: String,
    pub name_en: String,
    pub complaint_accept_days: i32,
    pub complaint_finish_days: i32,
    pub report_accept_days: i32,
    pub report_notify_days: i32,
    pub assist_days: i32,
    pub legal_basis: String,
    pub sort_order: i32,
    pub active: bool,
    /// Issue 16: the standard grounds for rejection, `grounds｜legal basis` per line.
    pub rejection_reasons: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = routing_rules)]
pub struct RoutingRuleRow {
    pub id: i64,
    pub category_code: String,
    pub district_code: Option<String>,
    pub lead_department: String,
    pub co_departments: String,
    pub active: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = routing_rules)]
pub struct NewRoutingRuleRow {
    pub category_code: String,
    pub district_code: Option<String>,
    pub lead_department: String,
    pub co_departments: String,
    pub active: bool,
}

impl CategoryRow {
    /// The category's deadlines as the rules of `domain::deadlines` read them.
    pub fn deadline_rules(&self) -> DeadlineRules {
        DeadlineRules::from_stored(
            self.complaint_accept_days,
            self.complaint_finish_days,
            self.report_accept_days,
            self.report_notify_days,
            self.assist_days,
        )
    }
}

/// A name in the three languages of the service.
pub trait Named {
    fn names(&self) -> [&str; 3];

    fn name(&self, locale: Locale) -> &str {
        let [hans, hant, en] = self.names();
        match locale {
            Locale::ZhHans => hans,
            Locale::ZhHant => hant,
            Locale::En => en,
        }
    }
}

macro_rules! impl_named {
    ($($row:ty),+) => {$(
        impl Named for $row {
            fn names(&self) -> [&str; 3] {
                [&self.name_zh_hans, &self.name_zh_hant, &self.name_en]
            }
        }
    )+};
}
impl_named!(DistrictRow, DepartmentRow, CategoryRow);

/// Everything a filing is checked and routed against, read in one go.
#[derive(Debug, Clone)]
pub struct ReferenceData {
    pub districts: Vec<DistrictRow>,
    pub departments: Vec<DepartmentRow>,
    pub categories: Vec<CategoryRow>,
    pub rules: Vec<RoutingRule>,
    pub calendar: WorkCalendar,
    department_index: HashMap<String, usize>,
}

impl ReferenceData {
    pub fn load(conn: &mut AnyConnection) -> Result<ReferenceData, DbError> {
        let districts = districts::table
            .order((districts::sort_order, districts::code))
            .select(DistrictRow::as_select())
            .load(conn)?;
        let departments = departments::table
            .order(departments::code)
            .select(DepartmentRow::as_select())
            .load(conn)?;
        let categories = categories::table
            .order((categories::sort_order, categories::code))
            .select(CategoryRow::as_select())
            .load(conn)?;
        let rule_rows = routing_rules::table
            .filter(routing_rules::active.eq(true))
            .order(routing_rules::id)
            .select(RoutingRuleRow::as_select())
            .load(conn)?;
        let calendar = load_calendar(conn)?;
        let department_index = departments
            .iter()
            .enumerate()
            .map(|(i, d)| (d.code.clone(), i))
            .collect();
        let mut data = ReferenceData {
            districts,
            departments,
            categories,
            rules: Vec::new(),
            calendar,
            department_index,
        };
        data.rules = rule_rows
            .into_iter()
            .filter(|r| {
                data.department(&r.lead_department)
                    .is_some_and(|d| d.active)
            })
            .map(|r| RoutingRule {
                id: r.id,
                category: r.category_code,
                district: r.district_code,
                lead: r.lead_department,
                co_handlers: split_codes(&r.co_departments),
            })
            .collect();
        Ok(data)
    }

    pub fn department(&self, code: &str) -> Option<&DepartmentRow> {
        self.department_index
            .get(code)
            .map(|&i| &self.departments[i])
    }

    pub fn category(&self, code: &str) -> Option<&CategoryRow> {
        self.categories.iter().find(|c| c.code == code)
    }

    pub fn district(&self, code: &str) -> Option<&DistrictRow> {
        self.districts.iter().find(|d| d.code == code)
    }

    /// The coordination office: the fallback route and the escalation target.
    pub fn office(&self) -> Option<&DepartmentRow> {
        self.departments.iter().find(|d| d.is_office)
    }
}

impl Choices for ReferenceData {
    fn is_active_category(&self, code: &str) -> bool {
        self.category(code).is_some_and(|c| c.active)
    }

    fn is_active_district(&self, code: &str) -> bool {
        self.district(code).is_some_and(|d| d.active)
    }
}

/// Co-handling departments are stored as a comma-separated list of codes.
pub fn split_codes(codes: &str) -> Vec<String> {
    codes
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

fn load_calendar(conn: &mut AnyConnection) -> Result<WorkCalendar, DbError> {
    let days: Vec<(chrono::NaiveDate, bool)> = holidays::table
        .select((holidays::day, holidays::is_working_day))
        .load(conn)?;
    let years: Vec<i32> = calendar_years::table
        .select(calendar_years::year)
        .load(conn)?;
    let rest = days.iter().filter(|(_, work)| !work).map(|(d, _)| *d);
    let make_up = days.iter().filter(|(_, work)| *work).map(|(d, _)| *d);
    Ok(WorkCalendar::new(rest, make_up, years))
}
