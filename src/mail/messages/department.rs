//! Work for a department inbox: always in Simplified Chinese, naming the case (kind,
//! category, district, business — with any link in it broken up) and linking to its admin
//! page, never the complainant.

use chrono::NaiveDate;

use super::{compose, unlinked, CaseContext};
use crate::db::reference::{DepartmentRow, Named};
use crate::domain::deadlines::DeadlineKind;
use crate::i18n::{self, Locale};
use crate::mail::{EmailLink, OutgoingEmail, RecipientKind};

const DEPARTMENT_LOCALE: Locale = Locale::ZhHans;

/// What a department is asked to do with a case. Deadlines and departments the change
/// moves are given here: the case's facts are those from before the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepartmentNotice {
    /// To the lead: a new case to accept or reject by the case's `accept_due`.
    NewCase,
    /// To `department` (a code): the lead asks for its opinion by `opinion_due`.
    CoHandlingRequested {
        department: String,
        opinion_due: NaiveDate,
    },
    /// To the coordination office: `returned_by` (the former lead's code) returned the case
    /// with `reason`.
    ReturnedToOffice { returned_by: String, reason: String },
    /// To `department`: the office designated the case to it, to decide by `accept_due`;
    /// `note` is the office's word to the department.
    Designated {
        department: String,
        accept_due: NaiveDate,
        note: Option<String>,
    },
    /// To the lead: the complainant withdrew the case.
    Withdrawn,
    /// To `department`: its `deadline` falls due on `due_on`, two working days or less away.
    DeadlineReminder {
        department: String,
        deadline: DeadlineKind,
        due_on: NaiveDate,
    },
    /// To `department` (and its supervisors): its `deadline` passed on `due_on` unmet.
    DeadlineOverdue {
        department: String,
        deadline: DeadlineKind,
        due_on: NaiveDate,
    },
    /// To the coordination office: `department`'s `deadline`, due on `due_on`, is still
    /// unmet and the office is to supervise it (督办).
    Escalated {
        department: String,
        deadline: DeadlineKind,
        due_on: NaiveDate,
    },
}

impl DepartmentNotice {
    /// The outbox `template` code of the message.
    pub fn name(&self) -> &'static str {
        match self {
            DepartmentNotice::NewCase => "new_case",
            DepartmentNotice::CoHandlingRequested { .. } => "co_handling",
            DepartmentNotice::ReturnedToOffice { .. } => "returned_office",
            DepartmentNotice::Designated { .. } => "designated_department",
            DepartmentNotice::Withdrawn => "withdrawn_department",
            DepartmentNotice::DeadlineReminder { .. } => "deadline_reminder",
            DepartmentNotice::DeadlineOverdue { .. } => "deadline_overdue",
            DepartmentNotice::Escalated { .. } => "escalated",
        }
    }

    /// The message keys of the subject and of the first paragraph.
    pub(super) fn keys(&self) -> (&'static str, &'static str) {
        match self {
            DepartmentNotice::NewCase => ("email.new_case.subject", "email.new_case.body"),
            DepartmentNotice::CoHandlingRequested { .. } => {
                ("email.co_handling.subject", "email.co_handling.body")
            }
            DepartmentNotice::ReturnedToOffice { .. } => (
                "email.returned_office.subject",
                "email.returned_office.body",
            ),
            DepartmentNotice::Designated { .. } => (
                "email.designated_department.subject",
                "email.designated_department.body",
            ),
            DepartmentNotice::Withdrawn => (
                "email.withdrawn_department.subject",
                "email.withdrawn_department.body",
            ),
            DepartmentNotice::DeadlineReminder { .. } => (
                "email.deadline_reminder.subject",
                "email.deadline_reminder.body",
            ),
            DepartmentNotice::DeadlineOverdue { .. } => (
                "email.deadline_overdue.subject",
                "email.deadline_overdue.body",
            ),
            DepartmentNotice::Escalated { .. } => {
                ("email.escalated.subject", "email.escalated.body")
            }
        }
    }

    /// The inbox the notice goes to.
    fn recipient<'r>(&self, case: &CaseContext<'r>) -> anyhow::Result<Option<&'r DepartmentRow>> {
        let reference = case.reference;
        Ok(match self {
            DepartmentNotice::NewCase => {
                Some(reference.department(case.facts.lead).ok_or_else(|| {
                    anyhow::anyhow!("lead department {} is unknown", case.facts.lead)
                })?)
            }
            DepartmentNotice::Withdrawn => reference.department(case.facts.lead),
            DepartmentNotice::CoHandlingRequested { department, .. }
            | DepartmentNotice::Designated { department, .. }
            | DepartmentNotice::DeadlineReminder { department, .. }
            | DepartmentNotice::DeadlineOverdue { department, .. } => {
                reference.department(department)
            }
            DepartmentNotice::ReturnedToOffice { .. } | DepartmentNotice::Escalated { .. } => {
                reference.office()
            }
        })
    }
}

/// What a deadline is for, as a department email names it.
fn deadline_name(locale: Locale, deadline: DeadlineKind) -> &'static str {
    i18n::t(
        locale,
        match deadline {
            DeadlineKind::Accept => "deadline.kind.accept",
            DeadlineKind::Finish => "deadline.kind.finish",
            DeadlineKind::Opinion => "deadline.kind.opinion",
            DeadlineKind::Notify => "deadline.kind.notify",
        },
    )
}

pub(super) fn render(
    case: &CaseContext<'_>,
    notice: &DepartmentNotice,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let Some(recipient) = notice.recipient(case)? else {
        return Ok(None);
    };
    let locale = DEPARTMENT_LOCALE;
    let facts = &case.facts;
    let words = case.words(locale);
    let case_facts = i18n::t_args(
        locale,
        "email.case_facts",
        &[
            ("category", &words.category),
            ("district", &words.district),
            ("business", &unlinked(facts.business_name)),
        ],
    );
    // Arguments besides kind, category and district, and the paragraphs after the first.
    let (args, paragraphs): (Vec<(&str, String)>, Vec<String>) = match notice {
        DepartmentNotice::NewCase => (
            vec![
                ("department", recipient.name(locale).to_owned()),
                ("accept_due", facts.accept_due.to_string()),
            ],
            vec![case_facts],
        ),
        DepartmentNotice::CoHandlingRequested { opinion_due, .. } => (
            vec![
                ("lead", case.department_name(facts.lead, locale)),
                ("department", recipient.name(locale).to_owned()),
                ("opinion_due", opinion_due.to_string()),
            ],
            vec![case_facts],
        ),
        DepartmentNotice::ReturnedToOffice {
            returned_by,
            reason,
        } => (
            vec![
                ("department", case.department_name(returned_by, locale)),
                ("accept_due", facts.accept_due.to_string()),
            ],
            vec![
                i18n::t_args(locale, "email.return_reason", &[("reason", reason)]),
                case_facts,
            ],
        ),
        DepartmentNotice::Designated {
            accept_due, note, ..
        } => {
            let mut paragraphs = vec![case_facts];
            paragraphs.extend(
                note.as_deref()
                    .map(|note| i18n::t_args(locale, "email.office_note", &[("note", note)])),
            );
            (
                vec![
                    ("department", recipient.name(locale).to_owned()),
                    ("office", case.office_name(locale).unwrap_or_default()),
                    ("accept_due", accept_due.to_string()),
                ],
                paragraphs,
            )
        }
        DepartmentNotice::Withdrawn => (Vec::new(), vec![case_facts]),
        DepartmentNotice::DeadlineReminder {
            department,
            deadline,
            due_on,
        }
        | DepartmentNotice::DeadlineOverdue {
            department,
            deadline,
            due_on,
        }
        | DepartmentNotice::Escalated {
            department,
            deadline,
            due_on,
        } => (
            vec![
                ("department", case.department_name(department, locale)),
                ("deadline", deadline_name(locale, *deadline).to_owned()),
                ("due_on", due_on.to_string()),
            ],
            vec![case_facts],
        ),
    };

    let mut all_args = vec![
        ("kind", words.kind.as_str()),
        ("category", words.category.as_str()),
        ("district", words.district.as_str()),
    ];
    all_args.extend(args.iter().map(|(name, value)| (*name, value.as_str())));
    let admin_link = EmailLink {
        label: i18n::t(locale, "email.admin_link").to_owned(),
        url: format!("{}/admin/complaints/{}", case.base_url, facts.complaint_id),
    };
    compose(
        locale,
        notice.keys(),
        &all_args,
        paragraphs,
        vec![admin_link],
    )
    .render(
        notice.name(),
        recipient.inbox_email.clone(),
        RecipientKind::Department,
    )
    .map(Some)
}
