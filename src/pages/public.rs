//! The resident's pages: home, the complaint form, the tracking look-up and the case page.

use std::collections::BTreeMap;

use askama::Template;

use super::PageContext;
use crate::domain::intake::FieldProblem;
use crate::i18n::{self, Locale};

#[derive(Template)]
#[template(path = "public/home.html")]
pub struct HomePage {
    pub ctx: PageContext,
    pub accept_text: String,
    pub finish_text: String,
}

/// One option of a select list.
pub struct Choice {
    pub code: String,
    pub name: String,
}

/// What the visitor typed, echoed back when the form is re-rendered.
#[derive(Debug, Default, Clone)]
pub struct FormValues {
    pub kind: String,
    pub category: String,
    pub district: String,
    pub fields: BTreeMap<&'static str, String>,
    pub anonymous: bool,
    pub consent: bool,
}

/// A text input or textarea with its label, hint and message.
pub struct TextField {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: Option<&'static str>,
    pub value: String,
    pub error: Option<String>,
    /// Said instead of "(optional)" where what is needed depends on the kind of filing.
    pub requirement: Option<&'static str>,
    pub required: bool,
    pub multiline: bool,
    pub max: usize,
    pub input_type: &'static str,
    pub autocomplete: Option<&'static str>,
}

impl TextField {
    /// The ids of the hint and the message that describe the field, if any.
    pub fn described_by(&self) -> Option<String> {
        described_by(self.name, self.hint.is_some(), self.error.is_some())
    }
}

/// `aria-describedby` of the field `name`: its hint (`{name}-hint`) and its message
/// (`{name}-error`), those it has.
pub fn described_by(name: &str, hint: bool, error: bool) -> Option<String> {
    let ids: Vec<String> = [(hint, "hint"), (error, "error")]
        .into_iter()
        .filter(|(has, _)| *has)
        .map(|(_, what)| format!("{name}-{what}"))
        .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// The complaint form's fields, shared by the public form and the staff's filing on
/// behalf of a caller (`templates/public/_complaint_fields.html`).
pub struct ComplaintFormParts {
    pub deadlines_text: String,
    pub csrf_token: String,
    pub submission_id: String,
    pub values: FormValues,
    /// field → message, in form order.
    pub errors: Vec<(&'static str, String)>,
    pub categories: Vec<Choice>,
    pub districts: Vec<Choice>,
    pub business_fields: Vec<TextField>,
    pub problem_fields: Vec<TextField>,
    pub contact_fields: Vec<TextField>,
    pub consent_label: &'static str,
}

impl ComplaintFormParts {
    /// `aria-describedby` of a field written out in the template (not a `TextField`).
    pub fn described_by(&self, field: &str, hint: bool) -> Option<String> {
        described_by(field, hint, self.error(field).is_some())
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
    }
}

#[derive(Template)]
#[template(path = "public/complaint_form.html")]
pub struct ComplaintFormPage {
    pub ctx: PageContext,
    pub form: ComplaintFormParts,
}

#[derive(Template)]
#[template(path = "public/track_lookup.html")]
pub struct TrackLookupPage {
    pub ctx: PageContext,
    pub code: String,
    pub error: Option<&'static str>,
}

pub struct Deadline {
    pub label: &'static str,
    pub date: String,
    pub standing: Option<super::DueStanding>,
}

pub struct TimelineEntry {
    pub at: String,
    pub at_iso: String,
    pub what: String,
    pub message: Option<String>,
}

#[derive(Template)]
#[template(path = "public/track.html")]
pub struct TrackPage {
    pub ctx: PageContext,
    pub code: String,
    /// The public case number, to quote to others (it grants nothing, unlike `code`).
    pub public_id: String,
    pub just_filed: bool,
    pub emailed: bool,
    pub notice: Option<&'static str>,
    pub state_code: &'static str,
    pub state_label: &'static str,
    pub kind_label: &'static str,
    pub category: String,
    pub district: String,
    pub business_name: String,
    pub filed_on: String,
    pub department: String,
    pub deadlines: Vec<Deadline>,
    /// While the clock stands (information asked for, or a test): that it stands, and why.
    pub clock_stopped: Option<&'static str>,
    pub timeline: Vec<TimelineEntry>,
    /// 提交 → 受理 → 办理 → 答复 → 评价, with dates.
    pub steps: Vec<Step>,
    /// What happens next, in a sentence.
    pub next_text: String,
    /// "还剩 N 个工作日" of the deadline running now.
    pub remaining: Option<super::DueStanding>,
    /// The department's answer, once there is one.
    pub answer: Option<Answer>,
    /// The sentence on where the deadlines come from.
    pub legal_basis: Option<String>,
    /// The confirmation panel, shown once to the browser that filed.
    pub receipt: Option<Receipt>,
    pub can_withdraw: bool,
    pub can_supply_info: bool,
    pub can_rate: bool,
    /// A refused resident form ("withdraw", "info" or "rating"): its message and the text kept.
    pub problem: Option<ResidentFormProblem>,
    pub csrf_token: String,
}

/// One step of the case's progress.
pub struct Step {
    pub label: &'static str,
    /// `done`, `current` or `to-come` (a class, and the `data-step` marker).
    pub status: &'static str,
    /// The status in words, for those who do not see the marks.
    pub status_text: &'static str,
    /// Where the case stands (`aria-current="step"`); a closed case stands at its last step.
    pub current: bool,
    pub date: Option<String>,
    /// How the case stopped at this step (not accepted, withdrawn), if it did.
    pub note: Option<&'static str>,
}

/// The answer panel at the top of the tracking page.
pub struct Answer {
    pub outcome: Option<&'static str>,
    pub message: Option<String>,
    pub answered_on: String,
    /// "请在 … 前评价这个答复", while a rating is open.
    pub rate_by: Option<String>,
    pub rated: Option<String>,
}

/// The confirmation panel after filing.
pub struct Receipt {
    /// What happens next, with dates.
    pub next: Vec<String>,
    /// What was submitted, label and value, to print.
    pub copy: Vec<(&'static str, String)>,
}

pub struct ResidentFormProblem {
    pub form: &'static str,
    pub message: String,
    pub typed: String,
}

impl TrackPage {
    pub fn error_of(&self, form: &str) -> Option<&str> {
        self.problem
            .as_ref()
            .filter(|p| p.form == form)
            .map(|p| p.message.as_str())
    }

    pub fn typed_in(&self, form: &str) -> &str {
        self.problem
            .as_ref()
            .filter(|p| p.form == form)
            .map_or("", |p| p.typed.as_str())
    }
}

/// "I lost my tracking code": the address form, and the answer once it was taken.
#[derive(Template)]
#[template(path = "public/recover.html")]
pub struct RecoverPage {
    pub ctx: PageContext,
    pub csrf_token: String,
    pub email: String,
    pub error: Option<String>,
    /// The request was taken: shown whether or not any case matched.
    pub sent: bool,
}

/// `GET /track/{code}/withdraw`: the confirmation before a withdrawal.
#[derive(Template)]
#[template(path = "public/withdraw.html")]
pub struct WithdrawPage {
    pub ctx: PageContext,
    pub code: String,
    pub csrf_token: String,
    pub error: Option<String>,
    pub typed: String,
}

/// The fields whose messages name them (`resident.noun.{field}`): the complaint form's and
/// the resident's forms on the tracking page.
pub const NAMED_FIELDS: [&str; 16] = [
    "kind",
    "category",
    "district",
    "business_name",
    "business_address",
    "business_credit_code",
    "product",
    "incident_date",
    "description",
    "demand",
    "complainant_name",
    "phone",
    "email",
    "reason",
    "message",
    "comment",
];

/// Fields answered by choosing rather than typing ("请选择…").
const CHOICE_FIELDS: [&str; 3] = ["kind", "category", "district"];

/// A refused field's message in `locale`, naming the field as GOV.UK's error messages do
/// ("请填写经营者名称。", "Enter the name of the business."). Problems whose own message
/// already names its field (an invalid phone, a missing consent…) keep that message.
pub fn field_message(locale: Locale, field: &str, problem: &FieldProblem) -> String {
    use crate::domain::fields::FieldError;
    let key = match problem {
        FieldProblem::Field(FieldError::Required) if CHOICE_FIELDS.contains(&field) => {
            "resident.error.choose"
        }
        FieldProblem::Field(FieldError::Required) => "resident.error.required",
        FieldProblem::NotAChoice => "resident.error.not_a_choice",
        FieldProblem::Field(FieldError::TooShort { .. }) => "resident.error.too_short",
        FieldProblem::Field(FieldError::TooLong { .. }) => "resident.error.too_long",
        FieldProblem::Field(FieldError::LineBreak) => "resident.error.line_break",
        FieldProblem::Field(FieldError::ControlCharacter) => "resident.error.control_character",
        FieldProblem::Field(FieldError::InFuture) => "resident.error.in_future",
        FieldProblem::Field(FieldError::TooOld) => "resident.error.too_old",
        FieldProblem::Field(FieldError::Invalid) if field == "incident_date" => {
            "resident.error.invalid_date"
        }
        other => return i18n::t(locale, &other.message_key(field)).to_owned(),
    };
    if !NAMED_FIELDS.contains(&field) {
        return i18n::t(locale, &problem.message_key(field)).to_owned();
    }
    let noun = i18n::t(locale, &format!("resident.noun.{field}"));
    let limit = problem.limit().map(|n| n.to_string()).unwrap_or_default();
    let text = i18n::t_args(
        locale,
        key,
        &[("field", noun), ("min", &limit), ("max", &limit)],
    );
    capitalised(text)
}

/// `text` with its first letter upper case (a noun may open an English sentence).
fn capitalised(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => text,
    }
}

/// `GET /privacy`.
#[derive(Template)]
#[template(path = "public/privacy.html")]
pub struct PrivacyPage {
    pub ctx: PageContext,
    pub paragraphs: Vec<String>,
    pub contact: String,
}
