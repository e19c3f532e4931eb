//! The admin page of one complaint: facts, contact (for those who handle it), routing
//! explanation, deadlines, timeline, attachments and the forms of the allowed actions.

use askama::Template;

use super::admin::AdminContext;

pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

pub struct TimelineItem {
    pub at: String,
    pub what: String,
    pub actor: String,
    pub public_message: Option<String>,
    pub internal_note: Option<String>,
    pub is_opinion: bool,
}

pub struct AttachmentLink {
    pub href: String,
    pub name: String,
    pub size: String,
}

pub struct Option2 {
    pub value: String,
    pub label: String,
}

/// One action form: which fields it has and, after a refusal, the message.
pub struct ActionForm {
    pub action: &'static str,
    pub title: &'static str,
    pub submit: &'static str,
    /// The text field's name (`message`, `reason`, `note`) and whether it is required.
    pub text_field: Option<(&'static str, &'static str, bool)>,
    /// A select's name, label and options (department, user, outcome).
    pub select: Option<(&'static str, &'static str, Vec<Option2>)>,
    pub error: Option<String>,
    pub typed: String,
}

#[derive(Template)]
#[template(path = "admin/complaint.html")]
pub struct ComplaintPage {
    pub admin: AdminContext,
    pub id: String,
    pub reference: String,
    pub version: i32,
    pub state_code: &'static str,
    pub state_label: &'static str,
    pub flags: Vec<String>,
    pub facts: Vec<Fact>,
    pub contact: Vec<Fact>,
    pub contact_note: Option<&'static str>,
    pub routing: String,
    pub deadlines: Vec<Fact>,
    pub co_handlers: Vec<Fact>,
    pub attachments: Vec<AttachmentLink>,
    pub timeline: Vec<TimelineItem>,
    pub actions: Vec<ActionForm>,
}
