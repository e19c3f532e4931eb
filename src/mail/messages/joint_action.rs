//! Joint actions' messages (issue 13): to member department inboxes when an action opens,
//! concludes or is cancelled, and about their task's deadline (reminder, overdue, and the
//! escalation to the office), in Simplified Chinese like every department message and with
//! no complainant data; to the residents of linked cases when the action concludes, in their
//! language, naming the case by category and district and quoting nothing the filer typed.

use chrono::NaiveDate;

use super::{compose, CaseContext};
use crate::db::reference::{Named, ReferenceData};
use crate::domain::joint_action::JointOutcome;
use crate::i18n::{self, Locale};
use crate::mail::{EmailContent, EmailLink, OutgoingEmail, RecipientKind};

const DEPARTMENT_LOCALE: Locale = Locale::ZhHans;

/// The facts of an action department messages mention.
pub struct ActionFacts<'a> {
    pub id: i64,
    pub title: &'a str,
    /// The lead department's code.
    pub lead: &'a str,
    pub reference: &'a ReferenceData,
    /// `BASE_URL`, for the link to the action's page.
    pub base_url: &'a str,
}

/// What a department inbox is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionNotice {
    /// The action opened: the member's task and its due date.
    Opened {
        task: String,
        due_on: NaiveDate,
    },
    Concluded {
        outcome: JointOutcome,
        summary: String,
    },
    Cancelled {
        reason: String,
    },
    /// The member's task falls due soon.
    TaskReminder {
        due_on: NaiveDate,
    },
    /// The member's task is past its date, unreported.
    TaskOverdue {
        due_on: NaiveDate,
    },
    /// To the office: `department`'s task is still unreported (督办).
    TaskEscalated {
        department: String,
        due_on: NaiveDate,
    },
}

impl ActionNotice {
    /// The outbox `template` code.
    pub fn name(&self) -> &'static str {
        match self {
            ActionNotice::Opened { .. } => "joint_opened",
            ActionNotice::Concluded { .. } => "joint_concluded",
            ActionNotice::Cancelled { .. } => "joint_cancelled",
            ActionNotice::TaskReminder { .. } => "joint_task_reminder",
            ActionNotice::TaskOverdue { .. } => "joint_task_overdue",
            ActionNotice::TaskEscalated { .. } => "joint_task_escalated",
        }
    }

    fn keys(&self) -> (&'static str, &'static str) {
        match self {
            ActionNotice::Opened { .. } => {
                ("email.joint_opened.subject", "email.joint_opened.body")
            }
            ActionNotice::Concluded { .. } => (
                "email.joint_concluded.subject",
                "email.joint_concluded.body",
            ),
            ActionNotice::Cancelled { .. } => (
                "email.joint_cancelled.subject",
                "email.joint_cancelled.body",
            ),
            ActionNotice::TaskReminder { .. } => (
                "email.joint_task_reminder.subject",
                "email.joint_task_reminder.body",
            ),
            ActionNotice::TaskOverdue { .. } => (
                "email.joint_task_overdue.subject",
                "email.joint_task_overdue.body",
            ),
            ActionNotice::TaskEscalated { .. } => (
                "email.joint_task_escalated.subject",
                "email.joint_task_escalated.body",
            ),
        }
    }
}

fn department_name(reference: &ReferenceData, code: &str, locale: Locale) -> String {
    reference
        .department(code)
        .map_or(code, |d| d.name(locale))
        .to_owned()
}

/// The notice to `department`'s inbox (the office's, for an escalation); `None` when the
/// department is not in the reference data.
pub fn to_department(
    action: &ActionFacts<'_>,
    department: &str,
    notice: &ActionNotice,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let reference = action.reference;
    let recipient = match notice {
        ActionNotice::TaskEscalated { .. } => reference.office(),
        _ => reference.department(department),
    };
    let Some(recipient) = recipient else {
        return Ok(None);
    };
    let locale = DEPARTMENT_LOCALE;
    let lead = department_name(reference, action.lead, locale);
    let id = action.id.to_string();
    let mut args: Vec<(&str, String)> = vec![
        ("title", action.title.to_owned()),
        ("id", id),
        ("lead", lead),
        ("department", recipient.name(locale).to_owned()),
    ];
    let mut paragraphs = Vec::new();
    match notice {
        ActionNotice::Opened { task, due_on } => {
            args.push(("due_on", due_on.to_string()));
            paragraphs.push(i18n::t_args(locale, "email.joint_task", &[("task", task)]));
        }
        ActionNotice::Concluded { outcome, summary } => {
            args.push(("outcome", i18n::t(locale, outcome.label_key()).to_owned()));
            paragraphs.push(summary.clone());
        }
        ActionNotice::Cancelled { reason } => {
            paragraphs.push(i18n::t_args(
                locale,
                "email.joint_cancel_reason",
                &[("reason", reason)],
            ));
        }
        ActionNotice::TaskReminder { due_on } | ActionNotice::TaskOverdue { due_on } => {
            args.push(("due_on", due_on.to_string()));
        }
        ActionNotice::TaskEscalated {
            department: late,
            due_on,
        } => {
            args.retain(|(name, _)| *name != "department");
            args.push(("department", department_name(reference, late, locale)));
            args.push(("due_on", due_on.to_string()));
        }
    }
    let args: Vec<(&str, &str)> = args.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let link = EmailLink {
        label: i18n::t(locale, "email.joint_link").to_owned(),
        url: format!("{}/admin/joint-actions/{}", action.base_url, action.id),
    };
    let content: EmailContent = compose(locale, notice.keys(), &args, paragraphs, vec![link]);
    Ok(Some(content.render(
        notice.name(),
        recipient.inbox_email.clone(),
        RecipientKind::Department,
    )?))
}

/// The outbox `template` code of the residents' message.
pub const CONCLUDED_TO_COMPLAINANT: &str = "joint_concluded_case";

/// To the complainant of a linked case, when the action concludes: the outcome and the
/// office's summary (staff's words), never the action's title or anything the filer typed.
/// `None` when the case has no address.
pub fn concluded_to_complainant(
    case: &CaseContext<'_>,
    outcome: JointOutcome,
    summary: &str,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let Some(to) = case.facts.complainant else {
        return Ok(None);
    };
    let locale = to.locale;
    let words = case.words(locale);
    let outcome = i18n::t(locale, outcome.label_key());
    let args = [
        ("kind", words.kind.as_str()),
        ("code", case.facts.tracking_code),
        ("category", words.category.as_str()),
        ("district", words.district.as_str()),
        ("outcome", outcome),
    ];
    let paragraphs = vec![i18n::t_args(
        locale,
        "email.joint_concluded_case.summary",
        &[("summary", summary)],
    )];
    let links = vec![case.track_link(locale, "email.track_link", "")];
    Ok(Some(
        compose(
            locale,
            (
                "email.joint_concluded_case.subject",
                "email.joint_concluded_case.body",
            ),
            &args,
            paragraphs,
            links,
        )
        .render(
            CONCLUDED_TO_COMPLAINANT,
            to.address.to_owned(),
            RecipientKind::Complainant,
        )?,
    ))
}
