//! Queries of the management pages and `load-jurisdiction`, with the audit trail they leave;
//! no rules (they are `services::manage`) and no HTTP here.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::reference::{
    CategoryRow, DepartmentRow, DistrictRow, NewRoutingRuleRow, RoutingRuleRow,
};
use super::schema::{
    audit_events, calendar_years, categories, departments, districts, holidays, routing_rules,
    users,
};
use super::users::UserRow;
use super::{AnyConnection, DbError};

/// One audited change, written in the transaction of the change itself.
#[derive(Debug, Clone)]
pub struct Audit<'a> {
    pub at: NaiveDateTime,
    /// The staff member who made it; `None` for the command line.
    pub user_id: Option<&'a str>,
    pub entity: &'a str,
    pub entity_key: &'a str,
    pub action: &'a str,
    pub detail: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub user_id: Option<String>,
    pub entity: String,
    pub entity_key: String,
    pub action: String,
    pub detail: String,
}

pub fn audit(conn: &mut AnyConnection, entry: &Audit<'_>) -> Result<(), DbError> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::at.eq(entry.at),
            audit_events::user_id.eq(entry.user_id),
            audit_events::entity.eq(entry.entity),
            audit_events::entity_key.eq(entry.entity_key),
            audit_events::action.eq(entry.action),
            audit_events::detail.eq(&entry.detail),
        ))
        .execute(conn)?;
    Ok(())
}

/// The latest audited changes with the username of who made them (if anyone).
pub fn recent_audit_events(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<(AuditEventRow, Option<String>)>, DbError> {
    Ok(audit_events::table
        .left_join(users::table.on(users::id.nullable().eq(audit_events::user_id)))
        .order(audit_events::id.desc())
        .limit(limit)
        .select((AuditEventRow::as_select(), users::username.nullable()))
        .load(conn)?)
}

// Districts.

pub fn find_district(conn: &mut AnyConnection, code: &str) -> Result<Option<DistrictRow>, DbError> {
    Ok(districts::table
        .find(code)
        .select(DistrictRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn next_district_sort_order(conn: &mut AnyConnection) -> Result<i32, DbError> {
    let max: Option<i32> = districts::table
        .select(diesel::dsl::max(districts::sort_order))
        .first(conn)?;
    Ok(max.map_or(0, |m| m + 1))
}

pub fn insert_district(conn: &mut AnyConnection, row: &DistrictRow) -> Result<(), DbError> {
    diesel::insert_into(districts::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Sets names and `active` (the code is the key; the order stays).
pub fn update_district(conn: &mut AnyConnection, row: &DistrictRow) -> Result<(), DbError> {
    diesel::update(districts::table.find(&row.code))
        .set((
            districts::name_zh_hans.eq(&row.name_zh_hans),
            districts::name_zh_hant.eq(&row.name_zh_hant),
            districts::name_en.eq(&row.name_en),
            districts::active.eq(row.active),
        ))
        .execute(conn)?;
    Ok(())
}

// Departments.

pub fn find_department(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<DepartmentRow>, DbError> {
    Ok(departments::table
        .find(code)
        .select(DepartmentRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn all_departments(conn: &mut AnyConnection) -> Result<Vec<DepartmentRow>, DbError> {
    Ok(departments::table
        .order(departments::code)
        .select(DepartmentRow::as_select())
        .load(conn)?)
}

pub fn insert_department(conn: &mut AnyConnection, row: &DepartmentRow) -> Result<(), DbError> {
    diesel::insert_into(departments::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Sets every column but the code.
pub fn update_department(conn: &mut AnyConnection, row: &DepartmentRow) -> Result<(), DbError> {
    diesel::update(departments::table.find(&row.code))
        .set((
            departments::name_zh_hans.eq(&row.name_zh_hans),
            departments::name_zh_hant.eq(&row.name_zh_hant),
            departments::name_en.eq(&row.name_en),
            departments::district_code.eq(&row.district_code),
            departments::inbox_email.eq(&row.inbox_email),
            departments::is_office.eq(row.is_office),
            departments::active.eq(row.active),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn offices(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    Ok(departments::table
        .filter(departments::is_office.eq(true))
        .order(departments::code)
        .select(departments::code)
        .load(conn)?)
}

/// Makes `code` the one coordination office (every other department loses the mark).
pub fn move_office(conn: &mut AnyConnection, code: &str) -> Result<(), DbError> {
    diesel::update(departments::table.filter(departments::code.ne(code)))
        .set(departments::is_office.eq(false))
        .execute(conn)?;
    diesel::update(departments::table.find(code))
        .set(departments::is_office.eq(true))
        .execute(conn)?;
    Ok(())
}

// Categories.

pub fn find_category(conn: &mut AnyConnection, code: &str) -> Result<Option<CategoryRow>, DbError> {
    Ok(categories::table
        .find(code)
        .select(CategoryRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn next_category_sort_order(conn: &mut AnyConnection) -> Result<i32, DbError> {
    let max: Option<i32> = categories::table
        .select(diesel::dsl::max(categories::sort_order))
        .first(conn)?;
    Ok(max.map_or(0, |m| m + 1))
}

pub fn insert_category(conn: &mut AnyConnection, row: &CategoryRow) -> Result<(), DbError> {
    diesel::insert_into(categories::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Sets every column but the code and the order.
pub fn update_category(conn: &mut AnyConnection, row: &CategoryRow) -> Result<(), DbError> {
    diesel::update(categories::table.find(&row.code))
        .set((
            categories::name_zh_hans.eq(&row.name_zh_hans),
            categories::name_zh_hant.eq(&row.name_zh_hant),
            categories::name_en.eq(&row.name_en),
            categories::complaint_accept_days.eq(row.complaint_accept_days),
            categories::complaint_finish_days.eq(row.complaint_finish_days),
            categories::report_accept_days.eq(row.report_accept_days),
            categories::report_notify_days.eq(row.report_notify_days),
            categories::assist_days.eq(row.assist_days),
            categories::legal_basis.eq(&row.legal_basis),
            categories::rejection_reasons.eq(&row.rejection_reasons),
            categories::active.eq(row.active),
        ))
        .execute(conn)?;
    Ok(())
}

// Routing rules.

/// Every rule, inactive ones included (`ReferenceData` holds only the ones that route).
pub fn all_rules(conn: &mut AnyConnection) -> Result<Vec<RoutingRuleRow>, DbError> {
    Ok(routing_rules::table
        .order(routing_rules::id)
        .select(RoutingRuleRow::as_select())
        .load(conn)?)
}

pub fn find_rule(conn: &mut AnyConnection, id: i64) -> Result<Option<RoutingRuleRow>, DbError> {
    Ok(routing_rules::table
        .find(id)
        .select(RoutingRuleRow::as_select())
        .first(conn)
        .optional()?)
}

/// The rule of one (category, district or any) scope: there is at most one.
pub fn rule_for_scope(
    conn: &mut AnyConnection,
    category: &str,
    district: Option<&str>,
) -> Result<Option<RoutingRuleRow>, DbError> {
    let query = routing_rules::table
        .filter(routing_rules::category_code.eq(category))
        .select(RoutingRuleRow::as_select());
    Ok(match district {
        Some(code) => query
            .filter(routing_rules::district_code.eq(code))
            .first(conn),
        None => query
            .filter(routing_rules::district_code.is_null())
            .first(conn),
    }
    .optional()?)
}

pub fn insert_rule(conn: &mut AnyConnection, row: &NewRoutingRuleRow) -> Result<i64, DbError> {
    Ok(diesel::insert_into(routing_rules::table)
        .values(row)
        .returning(routing_rules::id)
        .get_result(conn)?)
}

/// Sets every column but the id.
pub fn update_rule(
    conn: &mut AnyConnection,
    id: i64,
    row: &NewRoutingRuleRow,
) -> Result<(), DbError> {
    diesel::update(routing_rules::table.find(id))
        .set((
            routing_rules::category_code.eq(&row.category_code),
            routing_rules::district_code.eq(&row.district_code),
            routing_rules::lead_department.eq(&row.lead_department),
            routing_rules::co_departments.eq(&row.co_departments),
            routing_rules::active.eq(row.active),
        ))
        .execute(conn)?;
    Ok(())
}

// The working-day calendar.

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = holidays)]
pub struct HolidayRow {
    pub day: NaiveDate,
    pub is_working_day: bool,
    pub note: String,
}

pub fn holidays_between(
    conn: &mut AnyConnection,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<HolidayRow>, DbError> {
    // Any range may be asked for (NaiveDate::MIN..MAX means "all"), but PostgreSQL refuses a
    // date before 4713 BC as a parameter, and SQLite's text dates only sort within years
    // 1–9999: every stored day lies there.
    let earliest = NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid date");
    let latest = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");
    let (first, last) = (first.clamp(earliest, latest), last.clamp(earliest, latest));
    Ok(holidays::table
        .filter(holidays::day.ge(first))
        .filter(holidays::day.le(last))
        .order(holidays::day)
        .select(HolidayRow::as_select())
        .load(conn)?)
}

pub fn find_holiday(
    conn: &mut AnyConnection,
    day: NaiveDate,
) -> Result<Option<HolidayRow>, DbError> {
    Ok(holidays::table
        .find(day)
        .select(HolidayRow::as_select())
        .first(conn)
        .optional()?)
}

/// Inserts the day or replaces what it was (no upsert through `MultiConnection`).
pub fn set_holiday(conn: &mut AnyConnection, row: &HolidayRow) -> Result<(), DbError> {
    let updated = diesel::update(holidays::table.find(row.day))
        .set((
            holidays::is_working_day.eq(row.is_working_day),
            holidays::note.eq(&row.note),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(holidays::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete_holiday(conn: &mut AnyConnection, day: NaiveDate) -> Result<usize, DbError> {
    Ok(diesel::delete(holidays::table.find(day)).execute(conn)?)
}

pub fn calendar_years(conn: &mut AnyConnection) -> Result<Vec<i32>, DbError> {
    Ok(calendar_years::table
        .order(calendar_years::year)
        .select(calendar_years::year)
        .load(conn)?)
}

/// Marks the year's official schedule as entered; `false` if it already was.
pub fn add_calendar_year(conn: &mut AnyConnection, year: i32) -> Result<bool, DbError> {
    let exists: i64 = calendar_years::table.find(year).count().get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(calendar_years::table)
        .values(calendar_years::year.eq(year))
        .execute(conn)?;
    Ok(true)
}

pub fn remove_calendar_year(conn: &mut AnyConnection, year: i32) -> Result<bool, DbError> {
    Ok(diesel::delete(calendar_years::table.find(year)).execute(conn)? > 0)
}

pub fn calendar_is_empty(conn: &mut AnyConnection) -> Result<bool, DbError> {
    let days: i64 = holidays::table.count().get_result(conn)?;
    let years: i64 = calendar_years::table.count().get_result(conn)?;
    Ok(days == 0 && years == 0)
}

pub fn district_count(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(districts::table.count().get_result(conn)?)
}

// Staff accounts.

pub fn all_users(conn: &mut AnyConnection) -> Result<Vec<UserRow>, DbError> {
    Ok(users::table
        .order(users::username)
        .select(UserRow::as_select())
        .load(conn)?)
}

pub fn set_user_active(conn: &mut AnyConnection, id: &str, active: bool) -> Result<(), DbError> {
    diesel::update(users::table.find(id))
        .set(users::active.eq(active))
        .execute(conn)?;
    Ok(())
}

pub fn update_user_profile(
    conn: &mut AnyConnection,
    id: &str,
    role: &str,
    department: &str,
    email: Option<&str>,
) -> Result<(), DbError> {
    diesel::update(users::table.find(id))
        .set((
            users::role.eq(role),
            users::department_code.eq(department),
            users::email.eq(email),
        ))
        .execute(conn)?;
    Ok(())
}

/// Active administrators other than `except`: the last one may not be removed.
pub fn other_active_admins(conn: &mut AnyConnection, except: &str) -> Result<i64, DbError> {
    Ok(users::table
        .filter(users::role.eq("admin"))
        .filter(users::active.eq(true))
        .filter(users::id.ne(except))
        .count()
        .get_result(conn)?)
}

/// Active accounts of a department, shown before it is deactivated.
pub fn active_users_in(conn: &mut AnyConnection, department: &str) -> Result<i64, DbError> {
    Ok(users::table
        .filter(users::department_code.eq(department))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)?)
}
