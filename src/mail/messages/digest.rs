//! The weekly digest (督查周报): to the coordination office, last week's bulletin summary,
//! the lowest scores and every case overdue now; to a supervisor, their department's
//! figures and overdue cases. Simplified Chinese, like every department message; no
//! complainant data, only links to the cases' admin pages.

use chrono::NaiveDate;

use crate::domain::deadlines::DeadlineKind;
use crate::i18n::{self, Locale};
use crate::mail::{EmailContent, EmailLink, OutgoingEmail, RecipientKind};

const LOCALE: Locale = Locale::ZhHans;

/// At most this many overdue cases are listed one by one; the rest are counted.
pub const OVERDUE_LISTED: usize = 30;

/// A row of figures, already formatted (`—` for n/a).
pub struct DigestFigures {
    pub name: String,
    pub received: String,
    pub accepted_on_time: String,
    pub finished_on_time: String,
    pub overdue_now: String,
    pub escalations: String,
    pub score: String,
}

/// A deadline overdue now.
pub struct OverdueCase {
    pub complaint_id: String,
    pub department: String,
    pub deadline: DeadlineKind,
    pub due_on: NaiveDate,
    pub escalated: bool,
}

pub struct Digest {
    /// `2026-W49`.
    pub week: String,
    /// Last week, Monday to Sunday.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The office's digest (`None`), or a department's (its name).
    pub department: Option<String>,
    pub addressee: String,
    pub figures: Vec<DigestFigures>,
    /// The office's digest: the lowest scores of the ranked rows.
    pub lowest: Vec<DigestFigures>,
    pub overdue: Vec<OverdueCase>,
}

fn figures_line(f: &DigestFigures) -> String {
    i18n::t_args(
        LOCALE,
        "email.digest.figures",
        &[
            ("name", &f.name),
            ("received", &f.received),
            ("accepted", &f.accepted_on_time),
            ("finished", &f.finished_on_time),
            ("overdue", &f.overdue_now),
            ("escalations", &f.escalations),
            ("score", &f.score),
        ],
    )
}

pub fn digest(digest: &Digest, recipient: String, base_url: &str) -> anyhow::Result<OutgoingEmail> {
    let dates = [
        ("from", digest.from.to_string()),
        ("to", digest.to.to_string()),
        ("week", digest.week.clone()),
        ("addressee", digest.addressee.clone()),
    ];
    let args: Vec<(&str, &str)> = dates.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let body_key = match digest.department {
        None => "email.digest.body_office",
        Some(_) => "email.digest.body_department",
    };
    let mut paragraphs = vec![i18n::t_args(LOCALE, body_key, &args)];
    paragraphs.extend(digest.figures.iter().map(figures_line));
    if !digest.lowest.is_empty() {
        paragraphs.push(i18n::t(LOCALE, "email.digest.lowest").to_owned());
        paragraphs.extend(digest.lowest.iter().map(figures_line));
    }
    if digest.overdue.is_empty() {
        paragraphs.push(i18n::t(LOCALE, "email.digest.none_overdue").to_owned());
    } else {
        let escalated = digest.overdue.iter().filter(|c| c.escalated).count();
        paragraphs.push(i18n::t_args(
            LOCALE,
            "email.digest.overdue",
            &[
                ("count", &digest.overdue.len().to_string()),
                ("escalated", &escalated.to_string()),
            ],
        ));
        for case in digest.overdue.iter().take(OVERDUE_LISTED) {
            let deadline = match case.deadline {
                DeadlineKind::Accept => "deadline.kind.accept",
                DeadlineKind::Finish => "deadline.kind.finish",
                DeadlineKind::Opinion => "deadline.kind.opinion",
                DeadlineKind::Notify => "deadline.kind.notify",
            };
            let mark = if case.escalated {
                i18n::t(LOCALE, "email.digest.escalated_mark")
            } else {
                ""
            };
            paragraphs.push(i18n::t_args(
                LOCALE,
                "email.digest.overdue_line",
                &[
                    ("department", &case.department),
                    ("deadline", i18n::t(LOCALE, deadline)),
                    ("due_on", &case.due_on.to_string()),
                    ("escalated", mark),
                    (
                        "url",
                        &format!("{base_url}/admin/complaints/{}", case.complaint_id),
                    ),
                ],
            ));
        }
        if digest.overdue.len() > OVERDUE_LISTED {
            paragraphs.push(i18n::t_args(
                LOCALE,
                "email.digest.more",
                &[("more", &(digest.overdue.len() - OVERDUE_LISTED).to_string())],
            ));
        }
    }
    let bulletin = EmailLink {
        label: i18n::t(LOCALE, "email.digest.bulletin_link").to_owned(),
        url: format!(
            "{base_url}/admin/reports?from={}&to={}",
            digest.from, digest.to
        ),
    };
    EmailContent {
        locale: LOCALE,
        subject: i18n::t_args(LOCALE, "email.digest.subject", &args),
        paragraphs,
        links: vec![bulletin],
    }
    .render("digest", recipient, RecipientKind::Department)
}
