//! The reference data a fresh database starts with: the demo jurisdiction of DESIGN §4a
//! (a TOML file of the shape `load-jurisdiction` reads) and the official 2026 calendar.

use diesel::prelude::*;
use serde::Deserialize;

use super::reference::{CategoryRow, DepartmentRow, DistrictRow, NewRoutingRuleRow};
use super::schema::{calendar_years, categories, departments, districts, holidays, routing_rules};
use super::{AnyConnection, DbError};
use crate::domain::calendar::WorkCalendar;

pub const DEMO_JURISDICTION: &str = include_str!("../../jurisdictions/demo.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jurisdiction {
    pub districts: Vec<DistrictEntry>,
    pub departments: Vec<DepartmentEntry>,
    pub categories: Vec<CategoryEntry>,
    #[serde(default)]
    pub routing_rules: Vec<RuleEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistrictEntry {
    pub code: String,
    pub name_zh_hans: String,
    pub name_zh_hant: String,
    pub name_en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentEntry {
    pub code: String,
    pub name_zh_hans: String,
    pub name_zh_hant: String,
    pub name_en: String,
    pub inbox_email: String,
    #[serde(default)]
    pub district: Option<String>,
    #[serde(default)]
    pub is_office: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryEntry {
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
    /// Issue 16: `grounds｜legal basis` per line; by default the grounds of Order 20.
    #[serde(default = "default_rejection_reasons")]
    pub rejection_reasons: String,
}

/// The grounds on which Order 20 (Art. 15) has a complaint not accepted, for categories
/// whose file names none (the same text as the migration that added them).
pub const DEFAULT_REJECTION_REASONS: &str = "投诉事项不属于市场监督管理部门职责，或者本机关不具有处理权限｜《市场监督管理投诉举报处理暂行办法》第十五条第一项
法院、仲裁机构、行政机关或者消费者协会等调解组织已经受理或者处理过同一争议｜《市场监督管理投诉举报处理暂行办法》第十五条第二项
不是为生活消费需要购买、使用商品或者接受服务，或者不能证明与被投诉人之间存在消费者权益争议｜《市场监督管理投诉举报处理暂行办法》第十五条第三项
自知道或者应当知道权益受到侵害之日起已超过三年｜《市场监督管理投诉举报处理暂行办法》第十五条第四项
未提供投诉人姓名、联系方式、被投诉人名称地址、具体诉求及基本事实等必需材料｜《市场监督管理投诉举报处理暂行办法》第十五条第五项、第九条、第十条";

fn default_rejection_reasons() -> String {
    DEFAULT_REJECTION_REASONS.to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleEntry {
    pub category: String,
    #[serde(default)]
    pub district: Option<String>,
    pub lead: String,
    #[serde(default)]
    pub co_handlers: Vec<String>,
}

impl Jurisdiction {
    pub fn parse(text: &str) -> anyhow::Result<Jurisdiction> {
        let jurisdiction: Jurisdiction = toml::from_str(text)?;
        let offices = jurisdiction
            .departments
            .iter()
            .filter(|d| d.is_office)
            .count();
        anyhow::ensure!(
            offices == 1,
            "exactly one department must be the coordination office (found {offices})"
        );
        Ok(jurisdiction)
    }

    pub fn demo() -> Jurisdiction {
        Jurisdiction::parse(DEMO_JURISDICTION).expect("the bundled demo jurisdiction is valid")
    }
}

/// Loads the demo jurisdiction and the 2026 calendar into an empty database; a database
/// that already has districts is left exactly as it is.
pub fn seed_if_empty(conn: &mut AnyConnection) -> Result<bool, DbError> {
    let existing: i64 = districts::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(false);
    }
    insert_jurisdiction(conn, &Jurisdiction::demo())?;
    insert_calendar(conn, &WorkCalendar::official_2026(), &[2026])?;
    Ok(true)
}

fn insert_jurisdiction(conn: &mut AnyConnection, j: &Jurisdiction) -> Result<(), DbError> {
    // One insert per row: MultiConnection cannot batch-insert (STACK §3).
    for (i, d) in j.districts.iter().enumerate() {
        diesel::insert_into(districts::table)
            .values(DistrictRow {
                code: d.code.clone(),
                name_zh_hans: d.name_zh_hans.clone(),
                name_zh_hant: d.name_zh_hant.clone(),
                name_en: d.name_en.clone(),
                sort_order: i as i32,
                active: true,
            })
            .execute(conn)?;
    }
    for d in &j.departments {
        diesel::insert_into(departments::table)
            .values(DepartmentRow {
                code: d.code.clone(),
                name_zh_hans: d.name_zh_hans.clone(),
                name_zh_hant: d.name_zh_hant.clone(),
                name_en: d.name_en.clone(),
                district_code: d.district.clone(),
                inbox_email: d.inbox_email.clone(),
                is_office: d.is_office,
                active: true,
            })
            .execute(conn)?;
    }
    for (i, c) in j.categories.iter().enumerate() {
        diesel::insert_into(categories::table)
            .values(CategoryRow {
                code: c.code.clone(),
                name_zh_hans: c.name_zh_hans.clone(),
                name_zh_hant: c.name_zh_hant.clone(),
                name_en: c.name_en.clone(),
                complaint_accept_days: c.complaint_accept_days,
                complaint_finish_days: c.complaint_finish_days,
                report_accept_days: c.report_accept_days,
                report_notify_days: c.report_notify_days,
                assist_days: c.assist_days,
                legal_basis: c.legal_basis.clone(),
                sort_order: i as i32,
                active: true,
                rejection_reasons: c.rejection_reasons.clone(),
            })
            .execute(conn)?;
    }
    for r in &j.routing_rules {
        diesel::insert_into(routing_rules::table)
            .values(NewRoutingRuleRow {
                category_code: r.category.clone(),
                district_code: r.district.clone(),
                lead_department: r.lead.clone(),
                co_departments: r.co_handlers.join(","),
                active: true,
            })
            .execute(conn)?;
    }
    Ok(())
}

fn insert_calendar(
    conn: &mut AnyConnection,
    calendar: &WorkCalendar,
    years: &[i32],
) -> Result<(), DbError> {
    for day in calendar.rest_days() {
        diesel::insert_into(holidays::table)
            .values((holidays::day.eq(day), holidays::is_working_day.eq(false)))
            .execute(conn)?;
    }
    for day in calendar.make_up_working_days() {
        diesel::insert_into(holidays::table)
            .values((holidays::day.eq(day), holidays::is_working_day.eq(true)))
            .execute(conn)?;
    }
    for year in years {
        diesel::insert_into(calendar_years::table)
            .values(calendar_years::year.eq(year))
            .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_jurisdiction_has_the_contracted_codes() {
        let j = Jurisdiction::demo();
        assert_eq!(j.districts.len(), 12);
        assert_eq!(j.categories.len(), 12);
        assert_eq!(j.departments.len(), 8 + 12);
        assert!(j
            .departments
            .iter()
            .any(|d| d.code == "quality-supervision-361181"));
        let office: Vec<_> = j.departments.iter().filter(|d| d.is_office).collect();
        assert_eq!(office[0].code, "quality-office");
        let codes: Vec<&str> = j.departments.iter().map(|d| d.code.as_str()).collect();
        for rule in &j.routing_rules {
            assert!(codes.contains(&rule.lead.as_str()));
            assert!(rule.co_handlers.iter().all(|c| codes.contains(&c.as_str())));
        }
    }
}
