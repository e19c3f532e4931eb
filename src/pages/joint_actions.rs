//! Pages of joint actions (issue 13): the list with the opening form
//! (`templates/admin/joint_actions.html`), one action (`joint_action.html`) and the section
//! of a case page (`_joint_actions.html`). View models only; who sees what is decided in
//! `services::joint_actions`.

use std::collections::HashMap;

use crate::db::complaints::ComplaintRow;
use crate::db::joint_actions::JointActionRow;
use crate::db::reference::{Named, ReferenceData};
use crate::domain::calendar::city_date;
use crate::domain::joint_action::{JointOutcome, JointState};
use crate::i18n::{self, Locale};
use crate::pages::admin::AdminContext;
use crate::pages::businesses::{category_name, department_name, district_name, Choice};
use crate::pages::city_minute;
use crate::services::joint_actions::{ActionView, ListedAction};

/// One action on the list page.
pub struct ActionListRow {
    pub id: i64,
    pub href: String,
    pub title: String,
    pub lead: String,
    pub state_code: &'static str,
    pub state_label: &'static str,
    pub opened: String,
    pub tasks: String,
}

pub fn list_rows(
    actions: &[ListedAction],
    reference: &ReferenceData,
    locale: Locale,
) -> Vec<ActionListRow> {
    actions
        .iter()
        .map(|listed| {
            let a = &listed.action;
            ActionListRow {
                id: a.id,
                href: format!("/admin/joint-actions/{}", a.id),
                title: a.title.clone(),
                lead: department_name(reference, &a.lead_department, locale),
                state_code: a.state.as_str(),
                state_label: i18n::t(locale, a.state.label_key()),
                opened: city_date(a.created_at).to_string(),
                tasks: format!("{}/{}", listed.reported, listed.tasks),
            }
        })
        .collect()
}

/// A department's line of the opening form, as typed.
pub struct MemberInput {
    pub code: String,
    pub name: String,
    pub checked: bool,
    pub task: String,
    pub due_days: String,
    pub task_error: Option<&'static str>,
    pub due_days_error: Option<&'static str>,
}

/// A case offered for linking.
pub struct CaseChoice {
    pub id: String,
    pub label: String,
    pub checked: bool,
}

/// The opening form, empty or as typed with its problems.
pub struct OpenForm {
    pub title: String,
    pub leads: Vec<Choice>,
    pub members: Vec<MemberInput>,
    pub cases: Vec<CaseChoice>,
    pub business: String,
    /// Field → message, for the fields that are not a department's line.
    pub problems: HashMap<String, &'static str>,
}

impl OpenForm {
    pub fn error(&self, field: &str) -> Option<&'static str> {
        self.problems.get(field).copied()
    }

    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
            || self
                .members
                .iter()
                .any(|m| m.task_error.is_some() || m.due_days_error.is_some())
    }
}

/// The opening form's inputs: `pairs` is what was typed (or preselected by the link that
/// led here), `cases` the cases to offer, `problems` field → message key.
pub fn open_form(
    reference: &ReferenceData,
    locale: Locale,
    pairs: &[(String, String)],
    cases: Vec<CaseChoice>,
    problems: &[(String, &'static str)],
) -> OpenForm {
    let first = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let ticked: Vec<&str> = pairs
        .iter()
        .filter(|(n, _)| n == "members")
        .map(|(_, v)| v.trim())
        .collect();
    let problem = |field: &str| {
        problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, key)| i18n::t(locale, key))
    };
    let lead = first("lead");
    let active = reference.departments.iter().filter(|d| d.active);
    OpenForm {
        title: first("title"),
        leads: active
            .clone()
            .map(|d| Choice {
                selected: d.code == lead.trim(),
                value: d.code.clone(),
                label: d.name(locale).to_owned(),
            })
            .collect(),
        members: active
            .map(|d| MemberInput {
                checked: ticked.contains(&d.code.as_str()),
                task: first(&format!("task_{}", d.code)),
                due_days: first(&format!("due_days_{}", d.code)),
                task_error: problem(&format!("task_{}", d.code)),
                due_days_error: problem(&format!("due_days_{}", d.code)),
                code: d.code.clone(),
                name: d.name(locale).to_owned(),
            })
            .collect(),
        cases,
        business: first("business"),
        problems: problems
            .iter()
            .filter(|(f, _)| !f.starts_with("task_") && !f.starts_with("due_days_"))
            .map(|(f, key)| (f.clone(), i18n::t(locale, key)))
            .collect(),
    }
}

/// How a case is offered or listed: its number, category, district and state.
pub fn case_label(row: &ComplaintRow, reference: &ReferenceData, locale: Locale) -> String {
    format!(
        "{} · {} · {} · {}",
        row.public_id,
        category_name(reference, &row.category_code, locale),
        district_name(reference, &row.district_code, locale),
        i18n::t(locale, &format!("state.{}", row.state.as_str())),
    )
}

#[derive(askama::Template)]
#[template(path = "admin/joint_actions.html")]
pub struct JointActionsPage {
    pub admin: AdminContext,
    pub rows: Vec<ActionListRow>,
    /// The office and administrators: the opening form.
    pub form: Option<OpenForm>,
}

/// A member's task on an action's page.
pub struct TaskItem {
    pub code: String,
    pub department: String,
    pub task: String,
    pub due: String,
    /// `reported`, `open` or `superseded` (`data-task-state`).
    pub state: &'static str,
    pub status: String,
    pub overdue: bool,
    pub report: Option<String>,
}

pub struct CaseItem {
    pub href: String,
    pub label: String,
    pub state_code: &'static str,
}

pub struct EventItem {
    pub at: String,
    pub label: &'static str,
    pub department: Option<String>,
    pub note: Option<String>,
}

/// A refused form on the action's page: which form, and its message.
pub struct Refusal {
    pub form: &'static str,
    pub message: &'static str,
    pub typed: String,
}

#[derive(askama::Template)]
#[template(path = "admin/joint_action.html")]
pub struct JointActionPage {
    pub admin: AdminContext,
    pub id: i64,
    pub title: String,
    pub version: i32,
    pub state_code: &'static str,
    pub state_label: &'static str,
    pub lead: String,
    pub opened: String,
    pub business: Option<(String, String)>,
    pub outcome: Option<&'static str>,
    pub summary: Option<String>,
    pub cancel_reason: Option<String>,
    pub tasks: Vec<TaskItem>,
    pub cases: Vec<CaseItem>,
    pub hidden_cases: Option<String>,
    pub events: Vec<EventItem>,
    /// Departments whose task the viewer may report now.
    pub report_for: Vec<Choice>,
    /// The office's forms (link, conclude, cancel), while the action is open.
    pub manages: bool,
    pub outcomes: Vec<Choice>,
    pub refusal: Option<Refusal>,
    /// A change refused because the action moved or ended (`409`).
    pub conflict: Option<&'static str>,
}

impl JointActionPage {
    pub fn error(&self, form: &str) -> Option<&'static str> {
        self.refusal
            .as_ref()
            .filter(|r| r.form == form)
            .map(|r| r.message)
    }

    pub fn typed(&self, form: &str) -> &str {
        self.refusal
            .as_ref()
            .filter(|r| r.form == form)
            .map_or("", |r| r.typed.as_str())
    }
}

pub struct ActionPageInput<'a> {
    pub view: &'a ActionView,
    pub member: &'a crate::domain::access::StaffMember,
    pub reference: &'a ReferenceData,
    pub business_name: Option<String>,
    pub today: chrono::NaiveDate,
}

pub fn action_page(
    admin: AdminContext,
    input: ActionPageInput<'_>,
    refusal: Option<Refusal>,
    conflict: Option<&'static str>,
) -> JointActionPage {
    let locale = admin.ctx.locale;
    let t = |key: &str| i18n::t(locale, key);
    let ActionPageInput {
        view,
        member,
        reference,
        business_name,
        today,
    } = input;
    let a = &view.action;
    let tasks = view
        .members
        .iter()
        .map(|m| {
            let (state, status) = if let Some(at) = m.reported_at {
                (
                    "reported",
                    i18n::t_args(locale, "joint.task.reported", &[("at", &city_minute(at))]),
                )
            } else if m.superseded_at.is_some() {
                ("superseded", t("joint.task.superseded").to_owned())
            } else {
                ("open", t("joint.task.open").to_owned())
            };
            TaskItem {
                code: m.department_code.clone(),
                department: department_name(reference, &m.department_code, locale),
                task: m.task.clone(),
                due: i18n::t_args(
                    locale,
                    "joint.task.due",
                    &[("due_on", &m.due_on.to_string())],
                ),
                overdue: state == "open" && today > m.due_on,
                state,
                status,
                report: m.report.clone(),
            }
        })
        .collect();
    let cases = view
        .cases
        .iter()
        .map(|row| CaseItem {
            href: format!("/admin/complaints/{}", row.id),
            label: case_label(row, reference, locale),
            state_code: row.state.as_str(),
        })
        .collect();
    let events = view
        .events
        .iter()
        .map(|e| EventItem {
            at: city_minute(e.at),
            label: t(e.kind.label_key()),
            department: e
                .department_code
                .as_deref()
                .map(|d| department_name(reference, d, locale)),
            note: e.note.clone(),
        })
        .collect();
    let report_for = view
        .reportable(member)
        .into_iter()
        .map(|m| Choice {
            selected: m.department_code == member.department.as_str(),
            value: m.department_code.clone(),
            label: department_name(reference, &m.department_code, locale),
        })
        .collect();
    JointActionPage {
        id: a.id,
        title: a.title.clone(),
        version: a.version,
        state_code: a.state.as_str(),
        state_label: t(a.state.label_key()),
        lead: department_name(reference, &a.lead_department, locale),
        opened: city_minute(a.created_at),
        business: a
            .business_id
            .zip(business_name)
            .map(|(id, name)| (format!("/admin/businesses/{id}"), name)),
        outcome: a.outcome.map(|o| t(o.label_key())),
        summary: a.summary.clone(),
        cancel_reason: a.cancel_reason.clone(),
        tasks,
        cases,
        hidden_cases: (view.hidden_cases > 0).then(|| {
            i18n::t_args(
                locale,
                "joint.page.hidden_cases",
                &[("count", &view.hidden_cases.to_string())],
            )
        }),
        events,
        report_for,
        manages: view.manages && a.state == JointState::Open,
        outcomes: JointOutcome::ALL
            .iter()
            .map(|o| Choice {
                value: o.as_str().to_owned(),
                label: t(o.label_key()).to_owned(),
                selected: false,
            })
            .collect(),
        refusal,
        conflict,
        admin,
    }
}

/// A joint action on a case's page (`data-joint-action`).
pub struct CaseJointAction {
    pub id: i64,
    pub title: String,
    /// The action's page, when the viewer may open it.
    pub href: Option<String>,
    pub state_code: &'static str,
    pub state_label: &'static str,
}

pub fn case_section(actions: &[(JointActionRow, bool)], locale: Locale) -> Vec<CaseJointAction> {
    actions
        .iter()
        .map(|(a, visible)| CaseJointAction {
            id: a.id,
            title: a.title.clone(),
            href: visible.then(|| format!("/admin/joint-actions/{}", a.id)),
            state_code: a.state.as_str(),
            state_label: i18n::t(locale, a.state.label_key()),
        })
        .collect()
}
