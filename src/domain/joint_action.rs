//! Joint actions (联合执法, issue 13): the coordination office opens one with a lead
//! department and member departments, each owing a task by a date in working days; members
//! report their part; the office links cases, concludes or cancels. Pure: the states, who
//! may do what, and the opening form read into a valid action or the problems beside
//! their fields. Cases and departments are checked against the database by the caller.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::access::{Access, Role};
use super::calendar::WorkCalendar;
use super::fields::{self, FieldError};

text_enum! {
    /// Where a joint action stands: open until the office concludes or cancels it.
    JointState {
        Open => "open",
        Concluded => "concluded",
        Cancelled => "cancelled",
    }
}

text_enum! {
    /// What a concluded joint action came to (`outcome` of `conclude`).
    JointOutcome {
        ViolationsFound => "violations_found",
        Rectified => "rectified",
        NoViolation => "no_violation",
        Referred => "referred",
        Other => "other",
    }
}

impl JointOutcome {
    /// The message key of the outcome's words.
    pub fn label_key(self) -> &'static str {
        match self {
            JointOutcome::ViolationsFound => "joint.outcome.violations_found",
            JointOutcome::Rectified => "joint.outcome.rectified",
            JointOutcome::NoViolation => "joint.outcome.no_violation",
            JointOutcome::Referred => "joint.outcome.referred",
            JointOutcome::Other => "joint.outcome.other",
        }
    }
}

impl JointState {
    pub fn label_key(self) -> &'static str {
        match self {
            JointState::Open => "joint.state.open",
            JointState::Concluded => "joint.state.concluded",
            JointState::Cancelled => "joint.state.cancelled",
        }
    }
}

text_enum! {
    /// The actions of `POST /admin/joint-actions/{id}/{action}`.
    JointCommand {
        Report => "report",
        Link => "link",
        Conclude => "conclude",
        Cancel => "cancel",
    }
}

text_enum! {
    /// What an entry of a joint action's timeline records.
    JointEventKind {
        Opened => "opened",
        Reported => "reported",
        Linked => "linked",
        Concluded => "concluded",
        Cancelled => "cancelled",
        Reminded => "reminded",
        Overdue => "overdue",
        Escalated => "escalated",
    }
}

impl JointEventKind {
    pub fn label_key(self) -> &'static str {
        match self {
            JointEventKind::Opened => "joint.event.opened",
            JointEventKind::Reported => "joint.event.reported",
            JointEventKind::Linked => "joint.event.linked",
            JointEventKind::Concluded => "joint.event.concluded",
            JointEventKind::Cancelled => "joint.event.cancelled",
            JointEventKind::Reminded => "joint.event.reminded",
            JointEventKind::Overdue => "joint.event.overdue",
            JointEventKind::Escalated => "joint.event.escalated",
        }
    }
}

/// Every action needs the joint action open: after its end nothing changes (`409`).
pub fn allowed_in(state: JointState) -> bool {
    state == JointState::Open
}

/// Who may open joint actions (and see the opening form): the office and administrators.
pub fn may_open(role: Role) -> bool {
    role.sees_all()
}

/// Whether a staff member sees joint action pages of an action: the office and
/// administrators every one, a member department's staff those it is a member of; anyone
/// else may not know the action exists (`404`).
pub fn may_see(role: Role, is_member: bool) -> bool {
    role.sees_all() || is_member
}

/// Who may take `command` on an action: members report (their own part), the office and
/// administrators do everything; a department that is not a member gets `404`.
pub fn may_act(role: Role, is_member: bool, command: JointCommand) -> Access {
    if !may_see(role, is_member) {
        return Access::Hidden;
    }
    let allowed = match command {
        JointCommand::Report => true,
        JointCommand::Link | JointCommand::Conclude | JointCommand::Cancel => role.sees_all(),
    };
    if allowed {
        Access::Allowed
    } else {
        Access::Forbidden
    }
}

/// Limits of the fields.
pub const TITLE_MAX: usize = 200;
pub const TASK_MAX: usize = 1000;
pub const TEXT_MAX: usize = 2000;
/// A task is due in 1 to this many working days (about a year).
pub const DUE_DAYS_MAX: u32 = 250;
/// Cases one action links at most.
pub const CASES_MAX: usize = 500;

/// One member's task as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberTask {
    pub department: String,
    pub task: String,
    pub due_days: u32,
}

/// A joint action to open, valid by construction (its case ids still to be found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJointAction {
    pub title: String,
    pub lead: String,
    pub members: Vec<MemberTask>,
    /// Case ids as typed (UUIDs), without repeats, in the order given.
    pub cases: Vec<String>,
}

/// A problem of the opening form: the field it belongs beside and its message key.
pub type Problem = (String, &'static str);

/// The opening form's fields as posted (`name`, `value` pairs; names may repeat).
pub struct OpeningForm<'a> {
    pub pairs: &'a [(String, String)],
}

impl OpeningForm<'_> {
    fn first(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The department codes ticked as members, without repeats, in the order given.
    pub fn members(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.all("members")
            .into_iter()
            .filter(|code| seen.insert(*code))
            .map(str::to_owned)
            .collect()
    }

    /// The case ids given, without repeats, in the order given.
    pub fn cases(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.all("cases")
            .into_iter()
            .filter(|id| seen.insert(*id))
            .map(str::to_owned)
            .collect()
    }

    /// Reads the form: every problem at once, each beside its field. `known_department`
    /// says whether a code is an active department.
    pub fn parse(
        &self,
        known_department: impl Fn(&str) -> bool,
    ) -> Result<NewJointAction, Vec<Problem>> {
        let mut problems: Vec<Problem> = Vec::new();
        let text_problem = |e: FieldError| match e {
            FieldError::Required | FieldError::TooShort { .. } => "joint.error.required",
            FieldError::TooLong { .. } => "joint.error.too_long",
            _ => "joint.error.characters",
        };
        let title = match fields::single_line(self.first("title"), 1, TITLE_MAX) {
            Ok(t) => t.unwrap_or_default(),
            Err(e) => {
                problems.push(("title".into(), text_problem(e)));
                String::new()
            }
        };
        let lead = self.first("lead").map(str::trim).unwrap_or_default();
        let members = self.members();
        if lead.is_empty() {
            problems.push(("lead".into(), "joint.error.lead_required"));
        } else if !known_department(lead) {
            problems.push(("lead".into(), "joint.error.unknown_department"));
        } else if !members.iter().any(|m| m == lead) {
            problems.push(("lead".into(), "joint.error.lead_not_member"));
        }
        let mut tasks = Vec::new();
        if members.is_empty() {
            problems.push(("members".into(), "joint.error.no_members"));
        }
        for code in &members {
            if !known_department(code) {
                problems.push(("members".into(), "joint.error.unknown_department"));
                continue;
            }
            let task = match fields::multi_line(self.first(&format!("task_{code}")), 1, TASK_MAX) {
                Ok(t) => t.unwrap_or_default(),
                Err(e) => {
                    problems.push((format!("task_{code}"), text_problem(e)));
                    continue;
                }
            };
            let due_days = self
                .first(&format!("due_days_{code}"))
                .map(str::trim)
                .and_then(parse_due_days);
            let Some(due_days) = due_days else {
                problems.push((format!("due_days_{code}"), "joint.error.due_days"));
                continue;
            };
            tasks.push(MemberTask {
                department: code.clone(),
                task,
                due_days,
            });
        }
        let cases = self.cases();
        if cases.len() > CASES_MAX {
            problems.push(("cases".into(), "joint.error.too_many_cases"));
        }
        // One message per field is enough.
        let mut seen = BTreeSet::new();
        problems.retain(|(field, _)| seen.insert(field.clone()));
        if problems.is_empty() {
            Ok(NewJointAction {
                title,
                lead: lead.to_owned(),
                members: tasks,
                cases,
            })
        } else {
            Err(problems)
        }
    }
}

/// Working days as typed: a whole number from 1 to `DUE_DAYS_MAX`, plain ASCII digits.
pub fn parse_due_days(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 4 {
        return None;
    }
    text.parse::<u32>()
        .ok()
        .filter(|n| (1..=DUE_DAYS_MAX).contains(n))
}

/// A task opened on the city date `today` is due this many working days after it (the
/// day of opening does not count, like a case's).
pub fn task_due(calendar: &WorkCalendar, today: NaiveDate, due_days: u32) -> NaiveDate {
    calendar.add_working_days(today, due_days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn known(code: &str) -> bool {
        matches!(code, "market-regulation" | "food-drug" | "public-security")
    }

    fn valid() -> Vec<(&'static str, &'static str)> {
        vec![
            ("title", "打击假冒奶粉"),
            ("lead", "market-regulation"),
            ("members", "market-regulation"),
            ("members", "food-drug"),
            ("task_market-regulation", "现场检查"),
            ("due_days_market-regulation", "5"),
            ("task_food-drug", "抽检"),
            ("due_days_food-drug", "10"),
            ("cases", "a"),
            ("cases", "a"),
            ("cases", "b"),
        ]
    }

    #[test]
    fn a_valid_form_gives_the_members_their_tasks_and_the_cases_once() {
        let form = pairs(&valid());
        let action = OpeningForm { pairs: &form }.parse(known).unwrap();
        assert_eq!(action.lead, "market-regulation");
        assert_eq!(action.members.len(), 2);
        assert_eq!(action.members[1].due_days, 10);
        assert_eq!(action.cases, ["a", "b"]);
    }

    #[test]
    fn every_problem_is_named_beside_its_field() {
        type Case = (
            Vec<(&'static str, &'static str)>,
            &'static str,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (vec![("title", "")], "title", "joint.error.required"),
            (vec![("title", "a\nb")], "title", "joint.error.characters"),
            (
                vec![("lead", "nobody")],
                "lead",
                "joint.error.unknown_department",
            ),
            (vec![("lead", "")], "lead", "joint.error.lead_required"),
            (
                vec![("lead", "public-security")],
                "lead",
                "joint.error.lead_not_member",
            ),
            (
                vec![("due_days_food-drug", "0")],
                "due_days_food-drug",
                "joint.error.due_days",
            ),
            (
                vec![("due_days_food-drug", "-3")],
                "due_days_food-drug",
                "joint.error.due_days",
            ),
            (
                vec![("due_days_food-drug", "2.5")],
                "due_days_food-drug",
                "joint.error.due_days",
            ),
            (
                vec![("due_days_food-drug", "十")],
                "due_days_food-drug",
                "joint.error.due_days",
            ),
            (
                vec![("due_days_food-drug", "251")],
                "due_days_food-drug",
                "joint.error.due_days",
            ),
            (
                vec![("task_food-drug", " ")],
                "task_food-drug",
                "joint.error.required",
            ),
        ];
        for (changes, field, key) in cases {
            let mut items = valid();
            for (name, value) in &changes {
                for item in items.iter_mut().filter(|(n, _)| n == name) {
                    item.1 = value;
                }
            }
            let form = pairs(&items);
            let problems = OpeningForm { pairs: &form }.parse(known).unwrap_err();
            assert!(
                problems.contains(&(field.to_owned(), key)),
                "{changes:?}: {problems:?}"
            );
        }
        let form = pairs(&[("title", "x"), ("members", "ghost")]);
        let problems = OpeningForm { pairs: &form }.parse(known).unwrap_err();
        assert!(problems.contains(&("members".into(), "joint.error.unknown_department")));
        let form = pairs(&[("title", "x"), ("lead", "food-drug")]);
        let problems = OpeningForm { pairs: &form }.parse(known).unwrap_err();
        assert!(problems.contains(&("members".into(), "joint.error.no_members")));
    }

    #[test]
    fn only_the_office_concludes_and_a_stranger_sees_nothing() {
        use JointCommand::*;
        assert_eq!(may_act(Role::Clerk, false, Report), Access::Hidden);
        assert_eq!(may_act(Role::Clerk, true, Report), Access::Allowed);
        assert_eq!(may_act(Role::Supervisor, true, Conclude), Access::Forbidden);
        assert_eq!(may_act(Role::Coordinator, false, Cancel), Access::Allowed);
        assert_eq!(may_act(Role::Admin, false, Link), Access::Allowed);
        assert!(!allowed_in(JointState::Concluded));
        assert!(!may_open(Role::Supervisor));
    }

    #[test]
    fn a_task_is_due_in_working_days_after_the_day_it_was_opened() {
        let calendar = WorkCalendar::official_2026();
        // Thursday 2026-12-03 + 3 working days: Fri 4, Mon 7, Tue 8 (not the weekend).
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_eq!(
            task_due(&calendar, today, 3),
            NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()
        );
    }
}
