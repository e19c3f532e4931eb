//! Pages of the staff desk (issue 16): the page that shows what the resident will receive
//! before a reply or a rejection is sent.

use askama::Template;

use super::admin::AdminContext;
use crate::domain::complaint::{Outcome, StaffAction};
use crate::domain::tracking_code::TrackingCode;
use crate::i18n;
use crate::pages::queue::mask_email;
use crate::services::case::Preview;

/// What the preview of an action shows, as the handler checked and planned it.
pub struct PreviewInput {
    pub id: String,
    pub reference: String,
    pub action: StaffAction,
    pub version: i32,
    /// The reply or the reason, as it will be posted.
    pub message: String,
    pub outcome: Option<Outcome>,
    pub preview: Preview,
}

/// The email as the resident will read it; their tracking code (their key, not staff's)
/// and their address masked.
pub struct EmailView {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "admin/preview.html")]
pub struct PreviewPage {
    pub admin: AdminContext,
    pub id: String,
    pub reference: String,
    pub action: &'static str,
    pub title: String,
    pub intro: String,
    pub version: i32,
    /// The action's fields as the confirm form posts them: `(name, value)`.
    pub fields: Vec<(&'static str, String)>,
    pub outcome: Option<&'static str>,
    pub public_message: Option<String>,
    pub email: Option<EmailView>,
    pub confirm: &'static str,
}

pub fn preview_page(admin: AdminContext, input: PreviewInput) -> PreviewPage {
    let locale = admin.ctx.locale;
    let name = input.action.as_str();
    let field = match input.action {
        StaffAction::Reject => "reason",
        _ => "message",
    };
    let mut fields = vec![(field, input.message)];
    if let Some(outcome) = input.outcome {
        fields.push(("outcome", outcome.as_str().to_owned()));
    }
    PreviewPage {
        title: i18n::t_args(
            locale,
            "desk.preview.title",
            &[(
                "action",
                i18n::t(locale, &format!("admin.action.{name}.title")),
            )],
        ),
        intro: i18n::t_args(locale, "desk.preview.intro", &[("case", &input.reference)]),
        id: input.id,
        reference: input.reference,
        action: name,
        version: input.version,
        fields,
        outcome: input
            .outcome
            .map(|o| i18n::t(locale, &format!("outcome.{}", o.as_str()))),
        public_message: input.preview.public_message,
        email: input.preview.email.map(|email| EmailView {
            to: mask_email(&email.recipient),
            subject: TrackingCode::mask_in(&email.subject),
            text: TrackingCode::mask_in(&email.text_body),
        }),
        confirm: i18n::t(locale, &format!("admin.action.{name}.submit")),
        admin,
    }
}
