//! Emails: rendered once, at the moment of the change, into the outbox row that records
//! what was said (STYLE). Delivery (the worker and its transports) reads the outbox later;
//! nothing here sends mail while a request or a transaction waits.

pub mod messages;
pub mod transport;
pub mod worker;

use askama::Template;
use chrono::NaiveDateTime;

use crate::db::outbox::{NewOutboxRow, PENDING};
use crate::i18n::{self, Locale};

/// Who receives a message: a complainant's typed-in address is capped per day, a
/// department inbox is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientKind {
    Complainant,
    Department,
}

impl RecipientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientKind::Complainant => "complainant",
            RecipientKind::Department => "department",
        }
    }
}

#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub recipient: String,
    pub recipient_kind: RecipientKind,
    pub template: &'static str,
    pub locale: Locale,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
}

impl OutgoingEmail {
    pub fn into_outbox_row(self, complaint_id: Option<&str>, now: NaiveDateTime) -> NewOutboxRow {
        NewOutboxRow {
            complaint_id: complaint_id.map(str::to_owned),
            recipient: self.recipient,
            recipient_kind: self.recipient_kind.as_str().to_owned(),
            template: self.template.to_owned(),
            locale: self.locale.tag().to_owned(),
            subject: self.subject,
            text_body: self.text_body,
            html_body: self.html_body,
            state: PENDING.to_owned(),
            attempts: 0,
            due_at: now,
            created_at: now,
        }
    }
}

pub struct EmailLink {
    pub label: String,
    pub url: String,
}

/// The parts every email has; the text and HTML templates lay them out.
pub struct EmailContent {
    pub locale: Locale,
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub links: Vec<EmailLink>,
}

/// What the text and the HTML part both show.
struct Body<'a> {
    greeting: &'a str,
    paragraphs: &'a [String],
    links: &'a [EmailLink],
    site_name: &'a str,
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "email/message.txt")]
struct TextEmail<'a> {
    body: &'a Body<'a>,
}

#[derive(Template)]
#[template(path = "email/message.html")]
struct HtmlEmail<'a> {
    lang: &'a str,
    subject: &'a str,
    body: &'a Body<'a>,
}

impl EmailContent {
    pub fn render(
        self,
        template: &'static str,
        recipient: String,
        recipient_kind: RecipientKind,
    ) -> anyhow::Result<OutgoingEmail> {
        let locale = self.locale;
        let body = Body {
            greeting: i18n::t(locale, "email.greeting"),
            paragraphs: &self.paragraphs,
            links: &self.links,
            site_name: i18n::t(locale, "site.name"),
            footer: i18n::t(locale, "email.automatic"),
        };
        let text_body = TextEmail { body: &body }.render()?;
        let html_body = HtmlEmail {
            lang: locale.tag(),
            subject: &self.subject,
            body: &body,
        }
        .render()?;
        Ok(OutgoingEmail {
            recipient,
            recipient_kind,
            template,
            locale,
            // A subject is one header line, whatever a business name holds.
            subject: self.subject.replace(['\r', '\n'], " "),
            text_body,
            html_body,
        })
    }
}
