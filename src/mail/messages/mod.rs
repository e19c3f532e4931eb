//! Every message the service mails, rendered at the moment of the change. Complainants get
//! their own language; department inboxes get Simplified Chinese and never the complainant's
//! name, phone or email. No sending and no database access here.
//!
//! # Sending the emails of a case change
//!
//! ```ignore
//! let case = CaseContext::of(&row, &reference, &config.base_url)?;
//! let emails: Vec<OutgoingEmail> = case.emails(
//!     Some(&CaseUpdate::Rejected { reason }),                    // to the complainant
//!     &[DepartmentNotice::Withdrawn],                            // to department inboxes
//! )?;
//! ```
//!
//! - [`CaseFacts::of`] is the one place that reads a [`ComplaintRow`] for mail; pass the
//!   row as it was before the change, and anything the change moves (a new deadline, the
//!   designated department) in the update itself.
//! - [`CaseUpdate`]: a step of the case the complainant hears of, in their language, at the
//!   address of the case (none without one). [`CaseUpdate::name`] is the outbox `template`.
//! - [`DepartmentNotice`]: work for a department inbox, [`DepartmentNotice::name`] likewise.
//! - [`CaseContext::to_complainant`] and [`CaseContext::to_department`] render one message;
//!   [`CaseContext::emails`] renders an update and its notices together.
//! - [`tracking_codes`]: the "I lost my tracking code" message, which is about an address,
//!   not a case.
//!
//! The texts are `email.*` in `locales/messages.toml`; each key is written out in full in
//! `complainant.rs` or `department.rs`, so searching for a key finds where it is used.
//! `src/mail/snapshots/` holds every message as rendered (`UPDATE_SNAPSHOTS=1` rewrites it).

mod complainant;
mod department;
pub mod digest;
pub mod joint_action;
mod recover;
mod staff;
#[cfg(test)]
mod tests;

use chrono::NaiveDate;

pub use complainant::CaseUpdate;
pub use department::DepartmentNotice;
pub use recover::{tracking_codes, RecoveredCase};
pub use staff::password_reset;

use super::{EmailContent, EmailLink, OutgoingEmail};
use crate::db::complaints::ComplaintRow;
use crate::db::reference::{Named, ReferenceData};
use crate::domain::complaint::ComplaintKind;
use crate::i18n::{self, Locale};

/// The facts of a case that messages mention.
#[derive(Debug, Clone, Copy)]
pub struct CaseFacts<'a> {
    pub complaint_id: &'a str,
    pub tracking_code: &'a str,
    pub kind: ComplaintKind,
    pub category: &'a str,
    pub district: &'a str,
    pub business_name: &'a str,
    /// The lead department's code.
    pub lead: &'a str,
    pub accept_due: NaiveDate,
    /// Where and in which language the complainant hears of their case; `None` when they
    /// gave no email address.
    pub complainant: Option<Complainant<'a>>,
}

#[derive(Debug, Clone, Copy)]
pub struct Complainant<'a> {
    pub address: &'a str,
    pub locale: Locale,
}

impl<'a> CaseFacts<'a> {
    /// The facts of the case as `row` holds them: the only place mail reads a row.
    pub fn of(row: &'a ComplaintRow) -> anyhow::Result<Self> {
        Ok(CaseFacts {
            complaint_id: row.id.as_str(),
            tracking_code: &row.tracking_code,
            kind: row.kind,
            category: &row.category_code,
            district: &row.district_code,
            business_name: &row.business_name,
            lead: row.lead_department.as_str(),
            accept_due: row.accept_due,
            complainant: row.email.as_deref().map(|address| Complainant {
                address,
                locale: Locale::from_tag(&row.locale).unwrap_or_default(),
            }),
        })
    }
}

/// A case with what every message of it needs besides the change itself.
pub struct CaseContext<'a> {
    pub facts: CaseFacts<'a>,
    pub reference: &'a ReferenceData,
    /// `BASE_URL`, for the links in the messages.
    pub base_url: &'a str,
}

impl<'a> CaseContext<'a> {
    pub fn of(
        row: &'a ComplaintRow,
        reference: &'a ReferenceData,
        base_url: &'a str,
    ) -> anyhow::Result<Self> {
        Ok(CaseContext {
            facts: CaseFacts::of(row)?,
            reference,
            base_url,
        })
    }

    /// The complainant's message about `update` (if they gave an address), then each
    /// notice to its department.
    pub fn emails(
        &self,
        update: Option<&CaseUpdate>,
        notices: &[DepartmentNotice],
    ) -> anyhow::Result<Vec<OutgoingEmail>> {
        let mut emails = Vec::new();
        if let Some(update) = update {
            emails.extend(self.to_complainant(update)?);
        }
        for notice in notices {
            emails.extend(self.to_department(notice)?);
        }
        Ok(emails)
    }

    /// The message about `update` to the complainant, in their language; `None` when
    /// they gave no address.
    pub fn to_complainant(&self, update: &CaseUpdate) -> anyhow::Result<Option<OutgoingEmail>> {
        self.facts
            .complainant
            .map(|to| complainant::render(self, update, to))
            .transpose()
    }

    /// The notice to the department it concerns; `None` when that department is not in
    /// the reference data (a new case's lead must be: that is an error).
    pub fn to_department(
        &self,
        notice: &DepartmentNotice,
    ) -> anyhow::Result<Option<OutgoingEmail>> {
        department::render(self, notice)
    }

    /// A department's name in `locale`, or its code if it is unknown.
    fn department_name(&self, code: &str, locale: Locale) -> String {
        self.reference
            .department(code)
            .map_or(code, |d| d.name(locale))
            .to_owned()
    }

    fn office_name(&self, locale: Locale) -> Option<String> {
        self.reference.office().map(|d| d.name(locale).to_owned())
    }

    /// The case's kind (lower case, to sit inside a sentence), category and district in
    /// `locale`; an unknown code stands for itself.
    fn words(&self, locale: Locale) -> Words {
        let facts = &self.facts;
        let kind_key = match facts.kind {
            ComplaintKind::Complaint => "kind.complaint",
            ComplaintKind::Report => "kind.report",
        };
        Words {
            kind: i18n::t(locale, kind_key).to_lowercase(),
            category: self
                .reference
                .category(facts.category)
                .map_or(facts.category, |c| c.name(locale))
                .to_owned(),
            district: self
                .reference
                .district(facts.district)
                .map_or(facts.district, |d| d.name(locale))
                .to_owned(),
        }
    }

    /// A link to the case's tracking page, at `anchor` (`""`, `"#info"`, `"#rating"`).
    fn track_link(&self, locale: Locale, label_key: &str, anchor: &str) -> EmailLink {
        EmailLink {
            label: i18n::t(locale, label_key).to_owned(),
            url: format!(
                "{}/track/{}{anchor}",
                self.base_url, self.facts.tracking_code
            ),
        }
    }
}

struct Words {
    kind: String,
    category: String,
    district: String,
}

/// Text a filer typed, as a staff email quotes it: whatever a mail client would turn into a
/// link is broken up — `http://evil.example` reads `http[://]evil[.]example` — so that no
/// email the service sends carries a link a filer supplied (issue 14). Digits keep their
/// points (`3.5 kg`), and Chinese text is untouched.
pub fn unlinked(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ':' && chars.get(i + 1) == Some(&'/') && chars.get(i + 2) == Some(&'/') {
            out.push_str("[://]");
            i += 3;
            continue;
        }
        // A full stop, or one a browser would read as such (IDNA), between a label and a
        // label that starts with a letter: a host name.
        let is_dot = matches!(c, '.' | '\u{3002}' | '\u{FF0E}' | '\u{FF61}');
        let after_label = i > 0 && (chars[i - 1].is_ascii_alphanumeric() || chars[i - 1] == '-');
        let before_label = chars.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic());
        if is_dot && after_label && before_label {
            out.push_str("[.]");
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// A message whose subject and first paragraph are the texts of `keys` with `args`,
/// followed by `paragraphs` and `links`.
fn compose(
    locale: Locale,
    (subject_key, body_key): (&str, &str),
    args: &[(&str, &str)],
    paragraphs: Vec<String>,
    links: Vec<EmailLink>,
) -> EmailContent {
    let mut all = vec![i18n::t_args(locale, body_key, args)];
    all.extend(paragraphs);
    EmailContent {
        locale,
        subject: i18n::t_args(locale, subject_key, args),
        paragraphs: all,
        links,
    }
}
