//! Forms as typed (`RawForm`: each field's raw text, one struct per form) and what parsing
//! them finds wrong (`FieldErrors`: a `Problem` or a `Refusal` per field). The field rules
//! the pages and `load-jurisdiction` share are here; nothing here reads the database.

use std::fmt;

use chrono::{Datelike as _, NaiveDate};

use crate::domain::fields::{self, Email, FieldError};

/// Names of districts, departments and categories, in each language.
pub const NAME_MAX: usize = 100;
pub const LEGAL_BASIS_MAX: usize = 1000;
/// A deadline of more than a working year is a typing error, not a rule.
pub const MAX_DAYS: i32 = 365;
pub const CODE_MAX: usize = 64;
pub const DISTRICT_CODE_LEN: usize = 6;
pub const USERNAME_MAX: usize = 64;
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 200;
/// The years a holiday or a schedule may be entered for.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

/// A form's values by field name, as a page shows them again (object safe, for the page's
/// form builder).
pub trait FormValues {
    /// The typed text of a field; "" when it has none.
    fn text(&self, name: &str) -> &str;
    /// Whether a checkbox was ticked.
    fn checked(&self, name: &str) -> bool;
    /// The values chosen in a checkbox list.
    fn chosen(&self, name: &str) -> Vec<&str>;
}

/// A form as a browser (or a file) sent it, before it is parsed.
pub trait RawForm: FormValues + Default {
    /// Reads `name=value` pairs: the first value of a field counts, a checkbox is ticked when
    /// sent non-empty, a checkbox list keeps every non-empty value; other names are ignored.
    fn from_pairs(pairs: &[(String, String)]) -> Self;
}

/// Declares a raw form: its text fields, then its checkboxes, then its checkbox lists.
macro_rules! raw_form {
    (
        $(#[$meta:meta])*
        pub struct $form:ident {
            text: [$($text:ident),* $(,)?],
            checkbox: [$($flag:ident),* $(,)?],
            list: [$($list:ident),* $(,)?] $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $form {
            $(pub $text: String,)*
            $(pub $flag: bool,)*
            $(pub $list: Vec<String>,)*
        }

        impl $crate::services::manage::form::FormValues for $form {
            fn text(&self, name: &str) -> &str {
                match name {
                    $(stringify!($text) => &self.$text,)*
                    _ => "",
                }
            }

            fn checked(&self, name: &str) -> bool {
                match name {
                    $(stringify!($flag) => self.$flag,)*
                    _ => false,
                }
            }

            fn chosen(&self, name: &str) -> Vec<&str> {
                match name {
                    $(stringify!($list) => self.$list.iter().map(String::as_str).collect(),)*
                    _ => Vec::new(),
                }
            }
        }

        impl $crate::services::manage::form::RawForm for $form {
            #[allow(unused_variables)]
            fn from_pairs(pairs: &[(String, String)]) -> Self {
                let mut form = Self::default();
                let mut seen = std::collections::HashSet::new();
                for (name, value) in pairs {
                    let first = seen.insert(name.as_str());
                    match name.as_str() {
                        $(stringify!($text) if first => form.$text = value.clone(),)*
                        $(stringify!($flag) => form.$flag |= !value.is_empty(),)*
                        $(stringify!($list) if !value.is_empty() => form.$list.push(value.clone()),)*
                        _ => {}
                    }
                }
                form
            }
        }
    };
}
pub(crate) use raw_form;

/// A form without fields (make the office, (de)activate an account).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFields;

impl FormValues for NoFields {
    fn text(&self, _: &str) -> &str {
        ""
    }

    fn checked(&self, _: &str) -> bool {
        false
    }

    fn chosen(&self, _: &str) -> Vec<&str> {
        Vec::new()
    }
}

impl RawForm for NoFields {
    fn from_pairs(_: &[(String, String)]) -> Self {
        NoFields
    }
}

/// Why a value was not taken as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Required,
    TooLong,
    Characters,
    DistrictCode,
    Code,
    Days,
    Email,
    Username,
    Password,
    Role,
    Date,
    Year,
    Range,
    Kind,
    /// A make-up working day on Monday to Friday, which already are working days.
    MakeUpWeekday,
    /// A standard rejection reason without its `｜legal basis`.
    ReasonLines,
}

/// Why a change was refused though each value was well-formed: what the stored data, or the
/// rules about it, do not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    DuplicateCode,
    DuplicateRule,
    DuplicateUsername,
    UnknownDistrict,
    UnknownDepartment,
    UnknownCategory,
    /// An inactive department takes no cases, so it cannot lead, co-handle or hold accounts.
    InactiveDepartment,
    /// The lead is named again among the co-handlers.
    CoHandlerRepeated,
    /// Coordinators are the office's staff (DESIGN §4).
    CoordinatorOutsideOffice,
    /// There is exactly one coordination office: a second one is refused …
    SecondOffice,
    /// … and so is unmarking it without moving the mark elsewhere …
    OfficeRequired,
    /// … and it takes every unrouted case, so it is active.
    OfficeInactive,
    /// The last active administrator is never deactivated or demoted.
    LastAdmin,
}

impl Problem {
    pub fn message_key(self) -> &'static str {
        match self {
            Problem::Required => "manage.error.required",
            Problem::TooLong => "manage.error.too_long",
            Problem::Characters => "manage.error.characters",
            Problem::DistrictCode => "manage.error.district_code",
            Problem::Code => "manage.error.code",
            Problem::Days => "manage.error.days",
            Problem::Email => "manage.error.email",
            Problem::Username => "manage.error.username",
            Problem::Password => "manage.error.password",
            Problem::Role => "manage.error.role",
            Problem::Date => "manage.error.date",
            Problem::Year => "manage.error.year",
            Problem::Range => "manage.error.range",
            Problem::Kind => "manage.error.kind",
            Problem::MakeUpWeekday => "manage.error.make_up_weekday",
            Problem::ReasonLines => "manage.error.reason_lines",
        }
    }
}

impl Refusal {
    pub fn message_key(self) -> &'static str {
        match self {
            Refusal::DuplicateCode => "manage.error.duplicate_code",
            Refusal::DuplicateRule => "manage.error.duplicate_rule",
            Refusal::DuplicateUsername => "manage.error.duplicate_username",
            Refusal::UnknownDistrict => "manage.error.unknown_district",
            Refusal::UnknownDepartment => "manage.error.unknown_department",
            Refusal::UnknownCategory => "manage.error.unknown_category",
            Refusal::InactiveDepartment => "manage.error.inactive_department",
            Refusal::CoHandlerRepeated => "manage.error.co_handler_repeated",
            Refusal::CoordinatorOutsideOffice => "manage.error.coordinator_office",
            Refusal::SecondOffice => "manage.error.second_office",
            Refusal::OfficeRequired => "manage.error.office_required",
            Refusal::OfficeInactive => "manage.error.office_inactive",
            Refusal::LastAdmin => "manage.error.last_admin",
        }
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issue {
    Malformed(Problem),
    Refused(Refusal),
}

impl Issue {
    /// The key of its message (`locales/manage.toml`).
    pub fn message_key(self) -> &'static str {
        match self {
            Issue::Malformed(problem) => problem.message_key(),
            Issue::Refused(refusal) => refusal.message_key(),
        }
    }
}

impl From<Problem> for Issue {
    fn from(problem: Problem) -> Self {
        Issue::Malformed(problem)
    }
}

impl From<Refusal> for Issue {
    fn from(refusal: Refusal) -> Self {
        Issue::Refused(refusal)
    }
}

/// Every problem of one form, by field, in the order found; the first of a field is the one
/// shown. A field may be a pseudo-field (`status`) for a problem no input carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, Issue)>);

impl FieldErrors {
    pub fn one(field: &'static str, issue: impl Into<Issue>) -> FieldErrors {
        let mut errors = FieldErrors::default();
        errors.add(field, issue);
        errors
    }

    pub fn add(&mut self, field: &'static str, issue: impl Into<Issue>) {
        if self.get(field).is_none() {
            self.0.push((field, issue.into()));
        }
    }

    /// `Ok(value)` passes through; a problem is recorded against `field`.
    pub fn check<T, I: Into<Issue>>(
        &mut self,
        field: &'static str,
        parsed: Result<T, I>,
    ) -> Option<T> {
        parsed.map_err(|issue| self.add(field, issue)).ok()
    }

    pub fn get(&self, field: &str) -> Option<Issue> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, i)| *i)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Issue)> + '_ {
        self.0.iter().copied()
    }

    /// The parsed value when nothing was found wrong; `build` may then unwrap its parts.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, FieldErrors> {
        match (self.is_empty(), build()) {
            (true, Some(value)) => Ok(value),
            _ => Err(self),
        }
    }
}

impl fmt::Display for FieldErrors {
    /// In English, one field a line, for the operator's console.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self
            .iter()
            .map(|(field, issue)| {
                let message = crate::i18n::t(crate::i18n::Locale::En, issue.message_key());
                format!("{field}: {message}")
            })
            .collect();
        f.write_str(&lines.join("; "))
    }
}

// The field rules.

/// A name of a record, one line in each language.
pub fn name(raw: &str) -> Result<String, Problem> {
    text_problem(fields::single_line(Some(raw), 1, NAME_MAX))
}

/// The three names of a record, checked into `errors` under their field names.
pub fn names(errors: &mut FieldErrors, [hans, hant, en]: [&str; 3]) -> Option<[String; 3]> {
    let hans = errors.check("name_zh_hans", name(hans));
    let hant = errors.check("name_zh_hant", name(hant));
    let en = errors.check("name_en", name(en));
    Some([hans?, hant?, en?])
}

pub fn legal_basis(raw: &str) -> Result<String, Problem> {
    text_problem(fields::multi_line(Some(raw), 1, LEGAL_BASIS_MAX))
}

/// A category's standard grounds for rejection (issue 16), one `grounds｜basis` per line.
pub fn rejection_reasons(raw: &str) -> Result<String, Problem> {
    use crate::domain::rejection::{check, ReasonsProblem};
    check(raw).map_err(|problem| match problem {
        ReasonsProblem::Format => Problem::ReasonLines,
        ReasonsProblem::TooMany | ReasonsProblem::TooLong => Problem::TooLong,
        ReasonsProblem::Characters => Problem::Characters,
    })
}

/// An optional one-line note (a holiday's name).
pub fn note(raw: &str, max: usize) -> Result<String, Problem> {
    match fields::single_line(Some(raw), 0, max) {
        Ok(text) => Ok(text.unwrap_or_default()),
        Err(error) => text_problem(Err(error)),
    }
}

fn text_problem(parsed: Result<Option<String>, FieldError>) -> Result<String, Problem> {
    match parsed {
        Ok(Some(text)) => Ok(text),
        Ok(None) | Err(FieldError::Required) => Err(Problem::Required),
        Err(FieldError::TooLong { .. }) => Err(Problem::TooLong),
        Err(_) => Err(Problem::Characters),
    }
}

fn required(raw: &str) -> Result<&str, Problem> {
    match raw.trim() {
        "" => Err(Problem::Required),
        text => Ok(text),
    }
}

/// A county-level division code: exactly six digits (GB/T 2260).
pub fn district_code(raw: &str) -> Result<String, Problem> {
    let code = required(raw)?;
    if code.len() == DISTRICT_CODE_LEN && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code.to_owned())
    } else {
        Err(Problem::DistrictCode)
    }
}

/// Department and category codes appear in URLs, emails and the API (DESIGN §4a): lowercase
/// ASCII letters, digits and inner dashes, 1–64 characters.
pub fn record_code(raw: &str) -> Result<String, Problem> {
    let code = required(raw)?;
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
    if code.len() <= CODE_MAX
        && code.bytes().all(allowed)
        && !code.starts_with('-')
        && !code.ends_with('-')
    {
        Ok(code.to_owned())
    } else {
        Err(Problem::Code)
    }
}

/// A deadline in working days: a whole number from 1 to `MAX_DAYS`.
pub fn days(raw: &str) -> Result<i32, Problem> {
    match required(raw)?.parse::<i32>() {
        Ok(n) if (1..=MAX_DAYS).contains(&n) => Ok(n),
        _ => Err(Problem::Days),
    }
}

pub fn email(raw: &str) -> Result<String, Problem> {
    let raw = required(raw)?;
    Email::parse(raw)
        .map(|e| e.as_str().to_owned())
        .map_err(|_| Problem::Email)
}

/// An email address that may be left empty.
pub fn optional_email(raw: &str) -> Result<Option<String>, Problem> {
    match raw.trim() {
        "" => Ok(None),
        raw => email(raw).map(Some),
    }
}

/// A staff account's name: 1–64 ASCII letters, digits, dots, dashes or underscores.
pub fn username(raw: &str) -> Result<String, Problem> {
    let name = required(raw)?;
    if name.len() <= USERNAME_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        Ok(name.to_owned())
    } else {
        Err(Problem::Username)
    }
}

/// A new password, taken as typed (spaces count).
pub fn password(raw: &str) -> Result<String, Problem> {
    match raw.chars().count() {
        0 => Err(Problem::Required),
        n if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) => Ok(raw.to_owned()),
        _ => Err(Problem::Password),
    }
}

pub fn valid_year(year: i32) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&year)
}

pub fn year(raw: &str) -> Result<i32, Problem> {
    raw.trim()
        .parse()
        .ok()
        .filter(|y| valid_year(*y))
        .ok_or(Problem::Year)
}

/// A calendar day, `YYYY-MM-DD`, in a year the calendar may hold.
pub fn date(raw: &str) -> Result<NaiveDate, Problem> {
    let day = NaiveDate::parse_from_str(required(raw)?, "%Y-%m-%d").map_err(|_| Problem::Date)?;
    if valid_year(day.year()) {
        Ok(day)
    } else {
        Err(Problem::Year)
    }
}

/// A select list's value that must name something.
pub fn chosen(raw: &str) -> Result<String, Problem> {
    required(raw).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_days_and_names_are_checked() {
        assert_eq!(district_code(" 361102 "), Ok("361102".into()));
        for bad in ["36110", "3611020", "36110a", "３６１１０２"] {
            assert_eq!(district_code(bad), Err(Problem::DistrictCode), "{bad}");
        }
        assert_eq!(district_code(""), Err(Problem::Required));
        assert_eq!(
            record_code("quality-supervision-361102"),
            Ok("quality-supervision-361102".into())
        );
        for bad in [
            "Food",
            "food drugs",
            "-food",
            "food-",
            "食品",
            &"a".repeat(65),
        ] {
            assert_eq!(record_code(bad), Err(Problem::Code), "{bad}");
        }
        assert_eq!(days("7"), Ok(7));
        for bad in ["0", "-1", "seven", "7.5", "366", "99999999999"] {
            assert_eq!(days(bad), Err(Problem::Days), "{bad}");
        }
        assert_eq!(days(" "), Err(Problem::Required));
        assert_eq!(name("  信州区 "), Ok("信州区".into()));
        assert_eq!(name(""), Err(Problem::Required));
        assert_eq!(name("a\nb"), Err(Problem::Characters));
        assert_eq!(name(&"名".repeat(NAME_MAX + 1)), Err(Problem::TooLong));
        assert_eq!(email("Office@Example.ORG"), Ok("Office@example.org".into()));
        assert_eq!(email("office"), Err(Problem::Email));
        assert_eq!(optional_email(" "), Ok(None));
    }

    #[test]
    fn accounts_and_days_are_checked() {
        assert_eq!(username("li.si"), Ok("li.si".into()));
        assert_eq!(username("bad name"), Err(Problem::Username));
        assert_eq!(username(""), Err(Problem::Required));
        assert_eq!(password("short"), Err(Problem::Password));
        assert_eq!(password(&"x".repeat(201)), Err(Problem::Password));
        assert_eq!(password(""), Err(Problem::Required));
        assert!(password("ten chars!").is_ok());
        assert_eq!(date("2027-02-30"), Err(Problem::Date));
        assert_eq!(date("1999-01-01"), Err(Problem::Year));
        assert_eq!(year("20x7"), Err(Problem::Year));
        assert_eq!(year(" 2027 "), Ok(2027));
    }

    raw_form! {
        /// A form of every kind of field, for the reading rules.
        pub struct Sample {
            text: [code, name],
            checkbox: [active],
            list: [co_handlers],
        }
    }

    #[test]
    fn a_raw_form_keeps_the_first_value_ticks_and_every_choice() {
        let pairs: Vec<(String, String)> = [
            ("code", " a "),
            ("code", "b"),
            ("active", "on"),
            ("co_handlers", "x"),
            ("co_handlers", ""),
            ("co_handlers", "y"),
            ("csrf_token", "t"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let form = Sample::from_pairs(&pairs);
        assert_eq!(form.code, " a ");
        assert_eq!(form.name, "");
        assert!(form.active);
        assert_eq!(form.co_handlers, vec!["x", "y"]);
        assert_eq!(form.text("code"), " a ");
        assert_eq!(form.chosen("co_handlers"), vec!["x", "y"]);
        assert!(!Sample::from_pairs(&[]).checked("active"));
    }

    #[test]
    fn the_first_problem_of_a_field_is_kept_and_every_key_has_a_message() {
        let mut errors = FieldErrors::default();
        errors.add("code", Problem::Code);
        errors.add("code", Refusal::DuplicateCode);
        assert_eq!(errors.get("code"), Some(Issue::Malformed(Problem::Code)));
        assert_eq!(errors.clone().finish(|| Some(1)), Err(errors));
        let source = include_str!("form.rs");
        let keys = source
            .split('"')
            .filter(|s| s.starts_with("manage.error.") && !s.ends_with('.'));
        for key in keys {
            assert!(crate::i18n::has_key(key), "{key} has no message");
        }
    }
}
