//! What the complainant hears of their case, in their language: one `CaseUpdate` per step,
//! each with the tracking code in the subject and a link to the tracking page. Nothing the
//! filer typed is quoted (the address may be a stranger's): only staff's words and ours.

use chrono::NaiveDate;

use super::{compose, CaseContext, Complainant};
use crate::domain::complaint::Outcome;
use crate::i18n;
use crate::mail::{EmailLink, OutgoingEmail, RecipientKind};

/// A step of the case the complainant is told about. Deadlines and departments the step
/// changes are given here: the case's facts are those from before the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseUpdate {
    /// Filed and routed to its lead department, which decides by the case's `accept_due`.
    Received,
    /// The department accepted the case (for a report: opened a case); `message` is the
    /// clerk's optional note to the complainant.
    Accepted {
        message: Option<String>,
        finish_due: Option<NaiveDate>,
    },
    Rejected {
        reason: String,
    },
    /// The lead department returned the case to the coordination office, which will
    /// designate another. The department's reason is for the office, not for this message.
    Returned,
    /// The office designated the case to `department` (a code), which decides by
    /// `accept_due`.
    Designated {
        department: String,
        accept_due: NaiveDate,
    },
    /// The department needs information: `request` says what; the message says how to
    /// supply it (the form on the tracking page, which posts to `/track/{code}/info`).
    InfoRequested {
        request: String,
    },
    /// The clock stopped for testing, inspection or appraisal, for `reason`.
    Paused {
        reason: String,
    },
    /// The clock runs again; `finish_due` is the deadline moved by the paused time.
    Resumed {
        finish_due: Option<NaiveDate>,
    },
    /// The department replied and the case is resolved: the reply, its outcome, and the
    /// link to rate the answer.
    Resolved {
        reply: String,
        outcome: Outcome,
    },
    /// Handled again (by the office, or after a dissatisfied rating).
    Reopened {
        finish_due: Option<NaiveDate>,
    },
    Closed,
    /// Withdrawn at the complainant's request.
    Withdrawn,
    /// Closed as a duplicate of the same complainant's case `into_code`, which continues
    /// (issue 13).
    Merged {
        into_code: String,
    },
}

impl CaseUpdate {
    /// The outbox `template` code of the message.
    pub fn name(&self) -> &'static str {
        match self {
            CaseUpdate::Received => "received",
            CaseUpdate::Accepted { .. } => "accepted",
            CaseUpdate::Rejected { .. } => "rejected",
            CaseUpdate::Returned => "returned",
            CaseUpdate::Designated { .. } => "designated",
            CaseUpdate::InfoRequested { .. } => "info_requested",
            CaseUpdate::Paused { .. } => "paused",
            CaseUpdate::Resumed { .. } => "resumed",
            CaseUpdate::Resolved { .. } => "resolved",
            CaseUpdate::Reopened { .. } => "reopened",
            CaseUpdate::Closed => "closed",
            CaseUpdate::Withdrawn => "withdrawn",
            CaseUpdate::Merged { .. } => "merged",
        }
    }

    /// The message keys of the subject and of the first paragraph.
    pub(super) fn keys(&self) -> (&'static str, &'static str) {
        match self {
            CaseUpdate::Received => ("email.received.subject", "email.received.body"),
            CaseUpdate::Accepted { .. } => ("email.accepted.subject", "email.accepted.body"),
            CaseUpdate::Rejected { .. } => ("email.rejected.subject", "email.rejected.body"),
            CaseUpdate::Returned => ("email.returned.subject", "email.returned.body"),
            CaseUpdate::Designated { .. } => ("email.designated.subject", "email.designated.body"),
            CaseUpdate::InfoRequested { .. } => {
                ("email.info_requested.subject", "email.info_requested.body")
            }
            CaseUpdate::Paused { .. } => ("email.paused.subject", "email.paused.body"),
            CaseUpdate::Resumed { .. } => ("email.resumed.subject", "email.resumed.body"),
            CaseUpdate::Resolved { .. } => ("email.resolved.subject", "email.resolved.body"),
            CaseUpdate::Reopened { .. } => ("email.reopened.subject", "email.reopened.body"),
            CaseUpdate::Closed => ("email.closed.subject", "email.closed.body"),
            CaseUpdate::Withdrawn => ("email.withdrawn.subject", "email.withdrawn.body"),
            CaseUpdate::Merged { .. } => ("email.merged.subject", "email.merged.body"),
        }
    }
}

/// What a message says besides its subject and first paragraph.
#[derive(Default)]
struct Extras {
    /// Arguments besides `kind`, `code`, `category` and `district`.
    args: Vec<(&'static str, String)>,
    /// Paragraphs after the first: a reason, a reply, what to do next.
    paragraphs: Vec<String>,
    /// Links before the tracking link.
    links: Vec<EmailLink>,
}

pub(super) fn render(
    case: &CaseContext<'_>,
    update: &CaseUpdate,
    to: Complainant<'_>,
) -> anyhow::Result<OutgoingEmail> {
    let locale = to.locale;
    let facts = &case.facts;
    let finish_due_line = |finish_due: &Option<NaiveDate>| -> Vec<String> {
        finish_due
            .iter()
            .map(|due| {
                i18n::t_args(
                    locale,
                    "email.finish_due",
                    &[("finish_due", &due.to_string())],
                )
            })
            .collect()
    };
    let extras = match update {
        CaseUpdate::Received => Extras {
            args: vec![
                ("department", case.department_name(facts.lead, locale)),
                ("accept_due", facts.accept_due.to_string()),
            ],
            ..Extras::default()
        },
        CaseUpdate::Accepted {
            message,
            finish_due,
        } => {
            let mut paragraphs = finish_due_line(finish_due);
            paragraphs.extend(message.as_deref().map(|message| {
                i18n::t_args(locale, "email.department_message", &[("message", message)])
            }));
            Extras {
                paragraphs,
                ..Extras::default()
            }
        }
        CaseUpdate::Rejected { reason } | CaseUpdate::Paused { reason } => Extras {
            paragraphs: vec![reason.clone()],
            ..Extras::default()
        },
        CaseUpdate::Returned => {
            let office = case
                .office_name(locale)
                .ok_or_else(|| anyhow::anyhow!("no coordination office is configured"))?;
            Extras {
                args: vec![("office", office)],
                ..Extras::default()
            }
        }
        CaseUpdate::Designated {
            department,
            accept_due,
        } => Extras {
            args: vec![
                ("department", case.department_name(department, locale)),
                ("accept_due", accept_due.to_string()),
            ],
            ..Extras::default()
        },
        CaseUpdate::InfoRequested { request } => Extras {
            paragraphs: vec![
                request.clone(),
                i18n::t(locale, "email.info_requested.how").to_owned(),
            ],
            links: vec![case.track_link(locale, "email.info_requested.link", "#info")],
            ..Extras::default()
        },
        CaseUpdate::Resumed { finish_due } | CaseUpdate::Reopened { finish_due } => Extras {
            paragraphs: finish_due_line(finish_due),
            ..Extras::default()
        },
        CaseUpdate::Resolved { reply, outcome } => Extras {
            args: vec![("outcome", i18n::t(locale, outcome_key(*outcome)).to_owned())],
            paragraphs: vec![
                reply.clone(),
                i18n::t(locale, "email.resolved.rating").to_owned(),
            ],
            links: vec![case.track_link(locale, "email.rating_link", "#rating")],
        },
        CaseUpdate::Closed | CaseUpdate::Withdrawn => Extras::default(),
        CaseUpdate::Merged { into_code } => Extras {
            args: vec![("into", into_code.clone())],
            ..Extras::default()
        },
    };

    // Never the business name or any other text the filer typed: anyone may file with a
    // stranger's address, and the service must not relay their words to it (issue 14).
    // The case is named by its category and district, from the reference data.
    let words = case.words(locale);
    let mut args = vec![
        ("kind", words.kind.as_str()),
        ("code", facts.tracking_code),
        ("category", words.category.as_str()),
        ("district", words.district.as_str()),
    ];
    args.extend(
        extras
            .args
            .iter()
            .map(|(name, value)| (*name, value.as_str())),
    );
    let mut links = extras.links;
    links.push(case.track_link(locale, "email.track_link", ""));
    compose(locale, update.keys(), &args, extras.paragraphs, links).render(
        update.name(),
        to.address.to_owned(),
        RecipientKind::Complainant,
    )
}

/// The outcome as the resolved message words it.
fn outcome_key(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::MediatedAgreement => "email.outcome.mediated_agreement",
        Outcome::Refund => "email.outcome.refund",
        Outcome::ReplacementOrRepair => "email.outcome.replacement_or_repair",
        Outcome::Compensation => "email.outcome.compensation",
        Outcome::ViolationFound => "email.outcome.violation_found",
        Outcome::NoViolationFound => "email.outcome.no_violation_found",
        Outcome::TerminatedWithoutAgreement => "email.outcome.terminated_without_agreement",
        Outcome::Other => "email.outcome.other",
        Outcome::Duplicate => "email.outcome.duplicate",
    }
}
