//! The queue page (`templates/admin/queue.html`): rows ready to print, with contacts masked
//! here so that no full name, phone or email ever reaches the template.

use std::collections::HashMap;

use askama::Template;
use chrono::NaiveDate;

use super::admin::AdminContext;
use super::DueStanding;
use crate::db::deadlines::DeadlineRow;
use crate::db::queue::QueueRow;
use crate::db::reference::{Named, ReferenceData};
use crate::domain::complaint::ComplaintState;
use crate::domain::deadlines::DeadlineKind;
use crate::i18n::Locale;

/// One `<option>` of a filter.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: &str, label: &str, current: &str) -> Choice {
        Choice {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: value == current,
        }
    }
}

/// The filter form as it should be shown again: the values in use, and the choices.
pub struct FilterForm {
    pub states: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub districts: Vec<Choice>,
    /// Empty for members who see only their own department.
    pub departments: Vec<Choice>,
    pub roles: Vec<Choice>,
    pub mine: bool,
    pub overdue: bool,
    pub escalated: bool,
    /// The search names cases exactly: the other filters were set aside for it.
    pub exact_lookup: bool,
    pub from: String,
    pub to: String,
    pub q: String,
    /// Issue 16: the "due within 2 working days" box is ticked.
    pub due_soon: bool,
    pub due_days: u32,
    /// The filters in use, in one line, on the folded form.
    pub summary: String,
}

pub struct StateCount {
    pub state: &'static str,
    pub label: &'static str,
    /// The number, or "1000+" past `db::queue::COUNT_CAP`.
    pub count: String,
    pub href: String,
    pub current: bool,
}

pub struct RowView {
    /// The case's admin id and version, for the bulk form (issue 16).
    pub id: String,
    pub version: i32,
    pub href: String,
    pub reference: String,
    pub kind: &'static str,
    pub category: String,
    pub district: String,
    pub business: String,
    pub state: String,
    pub state_label: &'static str,
    pub department: String,
    /// The viewer's department co-handles this case rather than leading it.
    pub co_handling: bool,
    /// The running deadline's date (a co-handled case: the viewer's opinion deadline).
    pub deadline: String,
    pub standing: Option<DueStanding>,
    pub overdue: bool,
    /// A deadline of the case is escalated (督办) and still unmet: `data-escalated`.
    pub escalated: bool,
    /// Returned to the office, waiting for its designation: `data-returned`.
    pub returned: bool,
    pub assignee: String,
    pub complainant: String,
    /// Issue 16: the description's first characters (staff only).
    pub excerpt: String,
}

/// The queue's excerpt of a description: its first `EXCERPT_CHARS` characters on one
/// line, with "…" when there is more.
pub const EXCERPT_CHARS: usize = 60;

pub fn excerpt(description: &str) -> String {
    let flat: String = description
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let mut chars = flat.trim().chars();
    let head: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// What a row needs besides itself to be shown.
pub struct RowContext<'a> {
    pub locale: Locale,
    pub reference: &'a ReferenceData,
    pub today: NaiveDate,
    pub usernames: &'a HashMap<String, String>,
    /// The viewer's own department, to tell co-handled cases apart.
    pub department: &'a str,
}

impl RowView {
    /// `deadlines` are the case's records, to mark escalation and, on a case the viewer's
    /// department co-handles, to show its own opinion deadline instead of the lead's.
    pub fn new(row: &QueueRow, deadlines: &[&DeadlineRow], cx: &RowContext<'_>) -> RowView {
        let t = |key: &str| crate::i18n::t(cx.locale, key);
        let name_of = |named: Option<&dyn Named>, code: &str| {
            named.map_or_else(|| code.to_owned(), |n| n.name(cx.locale).to_owned())
        };
        let open = ComplaintState::parse(&row.state).is_some_and(|s| s.is_open());
        let calendar = &cx.reference.calendar;
        let co_handling = row.lead_department != cx.department;
        let own_opinion = deadlines
            .iter()
            .rev()
            .find(|d| {
                co_handling
                    && d.kind == DeadlineKind::Opinion
                    && d.department_code.as_str() == cx.department
                    && d.superseded_at.is_none()
            })
            .filter(|_| open);
        let (deadline, standing, overdue) = match (own_opinion, row.current_due) {
            (Some(opinion), _) if !opinion.is_open() => {
                (t("queue.opinion_given").to_owned(), None, false)
            }
            (Some(opinion), _) => (
                format!("{} {}", t("queue.opinion_due"), opinion.due_on),
                (opinion.paused_on.is_none())
                    .then(|| DueStanding::of(calendar, opinion.due_on, cx.today, cx.locale)),
                opinion.due_on < cx.today,
            ),
            (None, Some(due)) => (
                due.to_string(),
                Some(DueStanding::of(calendar, due, cx.today, cx.locale)),
                due < cx.today,
            ),
            (None, None) if open => (t("queue.clock_stopped").to_owned(), None, false),
            (None, None) => (t("queue.no_deadline").to_owned(), None, false),
        };
        RowView {
            id: row.id.clone(),
            version: row.version,
            href: format!("/admin/complaints/{}", row.id),
            reference: row.public_id.clone(),
            kind: t(&format!("kind.{}", row.kind)),
            category: name_of(
                cx.reference
                    .category(&row.category_code)
                    .map(|c| c as &dyn Named),
                &row.category_code,
            ),
            district: name_of(
                cx.reference
                    .district(&row.district_code)
                    .map(|d| d as &dyn Named),
                &row.district_code,
            ),
            business: row.business_name.clone(),
            state: row.state.clone(),
            state_label: if row.is_returned() {
                t("queue.state.returned")
            } else {
                t(&format!("state.{}", row.state))
            },
            returned: row.is_returned(),
            department: name_of(
                cx.reference
                    .department(&row.lead_department)
                    .map(|d| d as &dyn Named),
                &row.lead_department,
            ),
            co_handling,
            deadline,
            standing,
            overdue,
            escalated: deadlines.iter().any(|d| d.is_escalated()),
            assignee: row
                .assignee
                .as_ref()
                .map(|id| cx.usernames.get(id).cloned().unwrap_or_default())
                .unwrap_or_else(|| t("queue.unassigned").to_owned()),
            complainant: masked_complainant(row, t("queue.anonymous")),
            excerpt: excerpt(&row.excerpt),
        }
    }
}

/// The complainant as a list may show them: masked name and phone (or email when there is
/// no phone), and for an anonymous reporter nothing but the word.
pub fn masked_complainant(row: &QueueRow, anonymous: &str) -> String {
    if row.anonymous {
        return anonymous.to_owned();
    }
    let contact = match (&row.phone, &row.email) {
        (Some(phone), _) => Some(mask_phone(phone)),
        (None, Some(email)) => Some(mask_email(email)),
        (None, None) => None,
    };
    let name = row.complainant_name.as_deref().map(mask_name);
    [name, contact]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `张三` → `张*`: the first character only, and one star whatever the length.
pub fn mask_name(name: &str) -> String {
    match name.trim().chars().next() {
        Some(first) => format!("{first}*"),
        None => String::new(),
    }
}

/// `13800138000` → `138****8000`: the first three and last four characters; a number too
/// short for that keeps none of its characters.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 10 {
        return "****".to_owned();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// `zhang.san@example.com` → `z***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "admin/queue.html")]
pub struct QueuePage {
    pub admin: AdminContext,
    /// Filters that could not be used, as messages.
    pub problems: Vec<&'static str>,
    pub form: FilterForm,
    pub counts: Vec<StateCount>,
    /// The office's count of returned cases waiting for designation.
    pub returned: Option<StateCount>,
    /// The queue without the returned-cases default.
    pub all_href: String,
    pub rows: Vec<RowView>,
    /// The office's and administrators' view spans departments: show the lead column.
    pub show_department: bool,
    pub next_href: Option<String>,
    pub first_href: Option<String>,
    /// Issue 16: the bulk form — the view to come back to, the clerks to assign to — and
    /// what the last bulk action did.
    pub view: String,
    pub assignees: Vec<String>,
    pub bulk: Option<BulkSummary>,
    /// The member's saved views (issue 16).
    pub saved_views: Vec<SavedView>,
}

pub struct SavedView {
    pub id: i64,
    pub name: String,
    pub href: String,
}

/// What a bulk action did, as the queue says it after the redirect.
pub struct BulkSummary {
    pub done: Option<String>,
    pub stale: Option<String>,
    pub refused: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_masked() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧*");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("0571-87654321"), "057****4321");
        assert_eq!(mask_phone("12345"), "****");
        assert_eq!(mask_email("zhang.san@example.com"), "z***@example.com");
    }

    #[test]
    fn excerpts_are_one_line_and_cut_at_sixty_characters() {
        assert_eq!(excerpt("买到的奶粉\n已经过期"), "买到的奶粉 已经过期");
        let long = "长".repeat(61);
        assert_eq!(excerpt(&long), format!("{}…", "长".repeat(60)));
        assert_eq!(excerpt(&"长".repeat(60)), "长".repeat(60));
    }
}
