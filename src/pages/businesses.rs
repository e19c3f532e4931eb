//! Pages of issue 13: the cases linked to a case (a section of the case page), the
//! hotspot list and a business's page. View models only; who sees what is decided in
//! `services::businesses`.

use crate::db::reference::{Named, ReferenceData};
use crate::i18n::{self, Locale};
use crate::services::businesses::LinkedCase;

/// One linked case on a case page: no contact, no tracking code beyond its start.
pub struct LinkedCaseItem {
    pub id: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub href: String,
    pub reference: String,
    pub category: String,
    pub state_code: &'static str,
    pub state_label: &'static str,
}

pub fn linked_items(
    links: &[LinkedCase],
    reference: &ReferenceData,
    locale: Locale,
) -> Vec<LinkedCaseItem> {
    links
        .iter()
        .map(|link| {
            let row = &link.row;
            let state_code = row.state.as_str();
            LinkedCaseItem {
                id: row.id.to_string(),
                kind: link.kind.clone(),
                kind_label: i18n::t(locale, &format!("business.link.{}", link.kind)),
                href: format!("/admin/complaints/{}", row.id),
                reference: row.public_id.clone(),
                category: reference
                    .category(&row.category_code)
                    .map_or(row.category_code.clone(), |c| c.name(locale).to_owned()),
                state_code,
                state_label: i18n::t(locale, &format!("state.{state_code}")),
            }
        })
        .collect()
}

/// A merge, link or unlink form refused for its field: shown in that form (422).
pub struct LinkRefusal {
    /// `merge`, `link` or `unlink`.
    pub form: &'static str,
    pub message: String,
    pub typed_other: String,
    pub typed_reason: String,
}

/// The merge and link forms of a case page.
#[derive(Default)]
pub struct LinkForms {
    /// The lead department and the office may merge and link; the others see no forms.
    pub shown: bool,
    /// Merging needs the case still open.
    pub merge: bool,
    pub refusal: Option<LinkRefusal>,
}

impl LinkForms {
    pub fn error(&self, form: &str) -> Option<&str> {
        self.refusal
            .as_ref()
            .filter(|r| r.form == form)
            .map(|r| r.message.as_str())
    }

    pub fn typed_other(&self, form: &str) -> &str {
        self.refusal
            .as_ref()
            .filter(|r| r.form == form)
            .map_or("", |r| r.typed_other.as_str())
    }

    pub fn typed_reason(&self) -> &str {
        self.refusal
            .as_ref()
            .filter(|r| r.form == "merge")
            .map_or("", |r| r.typed_reason.as_str())
    }
}

/// A choice in a filter's select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One business on the hotspot page.
pub struct HotspotRow {
    pub id: i64,
    pub href: String,
    pub name: String,
    pub district: String,
    pub count: i64,
    pub by_category: String,
    pub by_department: String,
    pub newest: String,
}

#[derive(askama::Template)]
#[template(path = "admin/hotspots.html")]
pub struct HotspotsPage {
    pub admin: crate::pages::admin::AdminContext,
    pub days: String,
    pub min: String,
    pub districts: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub error: Option<String>,
    pub rows: Vec<HotspotRow>,
    /// The page shows only the businesses with the most cases (`PAGE_HOTSPOTS`).
    pub truncated: bool,
    pub csv_href: String,
    /// The office and administrators: each row links to the joint-action form (issue 13).
    pub may_open_joint: bool,
}

/// One case on a business's page.
pub struct BusinessCaseItem {
    pub id: String,
    pub href: String,
    pub reference: String,
    pub category: String,
    pub department: String,
    pub state_code: &'static str,
    pub state_label: &'static str,
    pub filed: String,
}

#[derive(askama::Template)]
#[template(path = "admin/business.html")]
pub struct BusinessPage {
    pub admin: crate::pages::admin::AdminContext,
    pub id: i64,
    pub name: String,
    pub credit_code: Option<String>,
    pub district: String,
    pub first_seen: String,
    pub last_seen: String,
    /// The record was merged into this one (its page address).
    pub merged_into: Option<String>,
    pub names: Vec<(String, String)>,
    pub cases: Vec<BusinessCaseItem>,
    pub may_merge: bool,
    pub merge_error: Option<String>,
    pub typed_into: String,
    pub typed_reason: String,
}

/// Category and department names with their counts: "食品 3、服务 1".
pub fn tally_text(
    counts: &[(String, i64)],
    name: impl Fn(&str) -> String,
    locale: Locale,
) -> String {
    let separator = if locale == Locale::En { ", " } else { "、" };
    counts
        .iter()
        .map(|(code, n)| format!("{} {n}", name(code)))
        .collect::<Vec<_>>()
        .join(separator)
}

pub fn category_name(reference: &ReferenceData, code: &str, locale: Locale) -> String {
    reference
        .category(code)
        .map_or(code.to_owned(), |c| c.name(locale).to_owned())
}

pub fn department_name(reference: &ReferenceData, code: &str, locale: Locale) -> String {
    reference
        .department(code)
        .map_or(code.to_owned(), |d| d.name(locale).to_owned())
}

pub fn district_name(reference: &ReferenceData, code: &str, locale: Locale) -> String {
    reference
        .district(code)
        .map_or(code.to_owned(), |d| d.name(locale).to_owned())
}

pub fn business_case_items(
    cases: &[crate::db::businesses::BusinessCase],
    reference: &ReferenceData,
    locale: Locale,
) -> Vec<BusinessCaseItem> {
    cases
        .iter()
        .map(|c| {
            let state_code = crate::domain::complaint::ComplaintState::parse(&c.state)
                .map_or("assigned", |s| s.as_str());
            BusinessCaseItem {
                id: c.id.to_string(),
                href: format!("/admin/complaints/{}", c.id),
                reference: c.public_id.clone(),
                category: category_name(reference, &c.category_code, locale),
                department: department_name(reference, &c.lead_department, locale),
                state_code,
                state_label: i18n::t(locale, &format!("state.{state_code}")),
                filed: crate::domain::calendar::city_date(c.created_at).to_string(),
            }
        })
        .collect()
}
