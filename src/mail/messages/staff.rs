//! Messages to a staff member about their own account: the password-reset link, in the
//! language the reset was asked for in (accounts keep no language of their own).

use crate::i18n::{self, Locale};
use crate::mail::{EmailContent, EmailLink, OutgoingEmail, RecipientKind};

/// The single-use link to `reset_url` for `username`, to the account's address.
pub fn password_reset(
    username: &str,
    reset_url: String,
    locale: Locale,
    recipient: String,
) -> anyhow::Result<OutgoingEmail> {
    let site = i18n::t(locale, "site.name");
    EmailContent {
        locale,
        subject: i18n::t_args(locale, "email.password_reset.subject", &[("site", site)]),
        paragraphs: vec![
            i18n::t_args(
                locale,
                "email.password_reset.body",
                &[("username", username)],
            ),
            i18n::t(locale, "email.password_reset.ignore").to_owned(),
        ],
        links: vec![EmailLink {
            label: i18n::t(locale, "email.password_reset.link").to_owned(),
            url: reset_url,
        }],
    }
    .render("password_reset", recipient, RecipientKind::Department)
}
