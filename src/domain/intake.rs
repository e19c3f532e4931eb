//! A filing, parsed once at the edge (STYLE: parse, don't validate): raw text in, either a
//! `NewComplaint` that is valid by construction or every problem with its field at once.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::complaint::ComplaintKind;
use super::fields::{self, CreditCode, Email, FieldError, Phone};

/// The raw text of a filing, as typed (every field optional: a browser may omit any).
#[derive(Debug, Default, Clone, Copy)]
pub struct ComplaintInput<'a> {
    pub kind: Option<&'a str>,
    pub category: Option<&'a str>,
    pub district: Option<&'a str>,
    pub business_name: Option<&'a str>,
    pub business_address: Option<&'a str>,
    pub business_credit_code: Option<&'a str>,
    pub product: Option<&'a str>,
    pub incident_date: Option<&'a str>,
    pub description: Option<&'a str>,
    pub demand: Option<&'a str>,
    pub complainant_name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub anonymous: bool,
    pub consent: bool,
}

/// Who filed: a named person, or a reporter who stays anonymous. An anonymous reporter's
/// email is kept only so the service can write to them; no name or phone is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Complainant {
    Named {
        name: String,
        phone: Option<Phone>,
        email: Option<Email>,
    },
    Anonymous {
        email: Option<Email>,
    },
}

impl Complainant {
    pub fn email(&self) -> Option<&Email> {
        match self {
            Complainant::Named { email, .. } | Complainant::Anonymous { email } => email.as_ref(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComplaint {
    pub kind: ComplaintKind,
    pub category: String,
    pub district: String,
    pub business_name: String,
    pub business_address: String,
    pub business_credit_code: Option<CreditCode>,
    pub product: Option<String>,
    pub incident_date: Option<NaiveDate>,
    pub description: String,
    pub demand: Option<String>,
    pub complainant: Complainant,
}

/// Why one field was refused; `message_key` names its text in every locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldProblem {
    Field(FieldError),
    NotAChoice,
    NameRequired,
    ContactRequired,
    AnonymousComplaint,
    ConsentRequired,
    /// An attachment that is not a JPEG, PNG or PDF by its bytes.
    FileType,
    FileTooLarge,
    TooManyFiles,
}

impl FieldProblem {
    /// The message key, e.g. `error.too_long`; format-specific keys carry the field name.
    pub fn message_key(&self, field: &str) -> String {
        match self {
            FieldProblem::Field(FieldError::Invalid) => format!("error.invalid.{field}"),
            FieldProblem::Field(error) => format!("error.{}", error.code()),
            FieldProblem::NotAChoice => "error.not_a_choice".into(),
            FieldProblem::NameRequired => "error.name_required".into(),
            FieldProblem::ContactRequired => "error.contact_required".into(),
            FieldProblem::AnonymousComplaint => "error.anonymous_complaint".into(),
            FieldProblem::ConsentRequired => "error.consent_required".into(),
            FieldProblem::FileType => "error.attachment_type".into(),
            FieldProblem::FileTooLarge => "error.attachment_size".into(),
            FieldProblem::TooManyFiles => "error.attachment_count".into(),
        }
    }

    /// The number a message mentions (a length limit), if any.
    pub fn limit(&self) -> Option<usize> {
        match self {
            FieldProblem::Field(FieldError::TooShort { min }) => Some(*min),
            FieldProblem::Field(FieldError::TooLong { max }) => Some(*max),
            _ => None,
        }
    }
}

/// Every problem of a filing, by form field name.
pub type FieldProblems = BTreeMap<&'static str, FieldProblem>;

/// Field limits of DESIGN §4 and the intake issue, in characters.
pub mod limits {
    pub const BUSINESS_NAME: usize = 200;
    pub const BUSINESS_ADDRESS: usize = 300;
    pub const PRODUCT: usize = 200;
    pub const DESCRIPTION_MIN: usize = 10;
    pub const DESCRIPTION: usize = 5_000;
    pub const DEMAND: usize = 1_000;
    pub const COMPLAINANT_NAME: usize = 50;
    pub const PHONE: usize = 40;
}

/// The reference data a filing is checked against.
pub trait Choices {
    fn is_active_category(&self, code: &str) -> bool;
    fn is_active_district(&self, code: &str) -> bool;
}

impl NewComplaint {
    pub fn parse(
        input: &ComplaintInput<'_>,
        choices: &impl Choices,
        today: NaiveDate,
    ) -> Result<NewComplaint, FieldProblems> {
        let mut problems = FieldProblems::new();
        let mut check =
            |field: &'static str, result: Result<Option<String>, FieldError>| match result {
                Ok(value) => value,
                Err(error) => {
                    problems.insert(field, FieldProblem::Field(error));
                    None
                }
            };

        let kind_text = check("kind", fields::single_line(input.kind, 1, 20));
        let category = check("category", fields::single_line(input.category, 1, 64));
        let district = check("district", fields::single_line(input.district, 1, 16));
        let business_name = check(
            "business_name",
            fields::single_line(input.business_name, 1, limits::BUSINESS_NAME),
        );
        let business_address = check(
            "business_address",
            fields::single_line(input.business_address, 1, limits::BUSINESS_ADDRESS),
        );
        let credit_code_text = check(
            "business_credit_code",
            fields::single_line(input.business_credit_code, 0, 18 * 4),
        );
        let product = check(
            "product",
            fields::single_line(input.product, 0, limits::PRODUCT),
        );
        let date_text = check(
            "incident_date",
            fields::single_line(input.incident_date, 0, 32),
        );
        let description = check(
            "description",
            fields::multi_line(
                input.description,
                limits::DESCRIPTION_MIN,
                limits::DESCRIPTION,
            ),
        );
        let demand = check(
            "demand",
            fields::multi_line(input.demand, 0, limits::DEMAND),
        );
        let name = check(
            "complainant_name",
            fields::single_line(input.complainant_name, 0, limits::COMPLAINANT_NAME),
        );
        let phone_text = check("phone", fields::single_line(input.phone, 0, limits::PHONE));
        let email_text = check("email", fields::single_line(input.email, 0, 254));

        let kind = kind_text.as_deref().and_then(|k| {
            let kind = ComplaintKind::parse(k);
            if kind.is_none() {
                problems.insert("kind", FieldProblem::NotAChoice);
            }
            kind
        });
        if let Some(code) = &category {
            if !choices.is_active_category(code) {
                problems.insert("category", FieldProblem::NotAChoice);
            }
        }
        if let Some(code) = &district {
            if !choices.is_active_district(code) {
                problems.insert("district", FieldProblem::NotAChoice);
            }
        }
        let mut parse_with =
            |field: &'static str,
             text: Option<String>,
             parse: &dyn Fn(&str) -> Result<(), FieldError>| {
                if let Some(text) = &text {
                    if let Err(error) = parse(text) {
                        problems.insert(field, FieldProblem::Field(error));
                    }
                }
            };
        parse_with("business_credit_code", credit_code_text.clone(), &|t| {
            CreditCode::parse(t).map(drop)
        });
        parse_with("incident_date", date_text.clone(), &|t| {
            fields::incident_date(t, today).map(drop)
        });
        parse_with("phone", phone_text.clone(), &|t| Phone::parse(t).map(drop));
        parse_with("email", email_text.clone(), &|t| Email::parse(t).map(drop));
        let credit_code = credit_code_text.and_then(|t| CreditCode::parse(&t).ok());
        let incident_date = date_text.and_then(|t| fields::incident_date(&t, today).ok());
        let phone = phone_text.as_deref().and_then(|t| Phone::parse(t).ok());
        let email = email_text.as_deref().and_then(|t| Email::parse(t).ok());

        if input.anonymous && kind == Some(ComplaintKind::Complaint) {
            problems.insert("anonymous", FieldProblem::AnonymousComplaint);
        }
        let anonymous = input.anonymous && kind == Some(ComplaintKind::Report);
        if !anonymous && kind.is_some() {
            if name.is_none() && !problems.contains_key("complainant_name") {
                problems.insert("complainant_name", FieldProblem::NameRequired);
            }
            let contact_problem = problems.contains_key("phone") || problems.contains_key("email");
            if phone_text.is_none() && email_text.is_none() && !contact_problem {
                problems.insert("phone", FieldProblem::ContactRequired);
            }
        }
        if !input.consent {
            problems.insert("consent", FieldProblem::ConsentRequired);
        }

        if !problems.is_empty() {
            return Err(problems);
        }
        let complainant = if anonymous {
            Complainant::Anonymous { email }
        } else {
            Complainant::Named {
                name: name.unwrap_or_default(),
                phone,
                email,
            }
        };
        // Every required field is `Some` when there is no problem.
        Ok(NewComplaint {
            kind: kind.unwrap_or(ComplaintKind::Complaint),
            category: category.unwrap_or_default(),
            district: district.unwrap_or_default(),
            business_name: business_name.unwrap_or_default(),
            business_address: business_address.unwrap_or_default(),
            business_credit_code: credit_code,
            product,
            incident_date,
            description: description.unwrap_or_default(),
            demand,
            complainant,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Demo;
    impl Choices for Demo {
        fn is_active_category(&self, code: &str) -> bool {
            code == "food"
        }
        fn is_active_district(&self, code: &str) -> bool {
            code == "361102"
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn valid() -> ComplaintInput<'static> {
        ComplaintInput {
            kind: Some("complaint"),
            category: Some("food"),
            district: Some("361102"),
            business_name: Some(" 信州区某超市 "),
            business_address: Some("信州区中山路1号"),
            description: Some("买到的奶粉已经过期三个月了。"),
            complainant_name: Some("张三"),
            phone: Some("138 0013 8000"),
            consent: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_complaint_is_parsed_and_normalised() {
        let c = NewComplaint::parse(&valid(), &Demo, today()).unwrap();
        assert_eq!(c.business_name, "信州区某超市");
        match c.complainant {
            Complainant::Named { phone, .. } => assert_eq!(phone.unwrap().as_str(), "13800138000"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let input = ComplaintInput {
            kind: Some("complaint"),
            category: Some("nope"),
            anonymous: true,
            ..Default::default()
        };
        let problems = NewComplaint::parse(&input, &Demo, today()).unwrap_err();
        for field in [
            "category",
            "district",
            "business_name",
            "business_address",
            "description",
            "anonymous",
            "consent",
            "complainant_name",
            "phone",
        ] {
            assert!(problems.contains_key(field), "{field} in {problems:?}");
        }
    }

    #[test]
    fn an_anonymous_report_keeps_only_an_email() {
        let input = ComplaintInput {
            kind: Some("report"),
            anonymous: true,
            complainant_name: Some("李四"),
            phone: Some("13800138000"),
            email: Some("tip@example.com"),
            ..valid()
        };
        let c = NewComplaint::parse(&input, &Demo, today()).unwrap();
        assert_eq!(
            c.complainant,
            Complainant::Anonymous {
                email: Some(Email::parse("tip@example.com").unwrap())
            }
        );
    }
}
