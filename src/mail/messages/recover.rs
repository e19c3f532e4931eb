//! "I lost my tracking code": the codes of every case filed with an address, sent to that
//! address in the asking visitor's language.

use chrono::NaiveDate;

use crate::i18n::{self, Locale};
use crate::mail::{EmailContent, EmailLink, OutgoingEmail, RecipientKind};

/// A case filed with the address that asked for its codes: never named by what the filer
/// typed (the address may be a stranger's).
pub struct RecoveredCase {
    pub tracking_code: String,
    pub filed_on: NaiveDate,
}

/// The tracking links of the cases filed with `recipient`, in the asking visitor's language.
pub fn tracking_codes(
    cases: &[RecoveredCase],
    locale: Locale,
    recipient: String,
    base_url: &str,
) -> anyhow::Result<OutgoingEmail> {
    let site = i18n::t(locale, "site.name");
    let links = cases
        .iter()
        .map(|case| EmailLink {
            label: i18n::t_args(
                locale,
                "email.recover.case",
                &[
                    ("code", &case.tracking_code),
                    ("filed_on", &case.filed_on.to_string()),
                ],
            ),
            url: format!("{base_url}/track/{}", case.tracking_code),
        })
        .collect();
    EmailContent {
        locale,
        subject: i18n::t_args(locale, "email.recover.subject", &[("site", site)]),
        paragraphs: vec![
            i18n::t_args(locale, "email.recover.body", &[("site", site)]),
            i18n::t(locale, "email.recover.ignore").to_owned(),
        ],
        links,
    }
    .render("recover", recipient, RecipientKind::Complainant)
}
