//! The messages of the intake and withdrawal steps. Complainants get their own language;
//! department inboxes get Simplified Chinese and never the complainant's contact details.

use super::{EmailContent, EmailLink, OutgoingEmail, RecipientKind};
use crate::db::reference::{DepartmentRow, Named, ReferenceData};
use crate::i18n::{self, Locale};

/// The facts of a case that messages mention, in the words of one language.
pub struct CaseFacts<'a> {
    pub complaint_id: &'a str,
    pub tracking_code: &'a str,
    pub kind: &'a str,
    pub category: &'a str,
    pub district: &'a str,
    pub business_name: &'a str,
    pub accept_due: chrono::NaiveDate,
}

const DEPARTMENT_LOCALE: Locale = Locale::ZhHans;

struct Words {
    kind: String,
    category: String,
    district: String,
}

fn words(facts: &CaseFacts<'_>, reference: &ReferenceData, locale: Locale) -> Words {
    Words {
        kind: i18n::t(locale, &format!("kind.{}", facts.kind)).to_lowercase(),
        category: reference
            .category(facts.category)
            .map_or(facts.category, |c| c.name(locale))
            .to_owned(),
        district: reference
            .district(facts.district)
            .map_or(facts.district, |d| d.name(locale))
            .to_owned(),
    }
}

fn department_name(reference: &ReferenceData, code: &str, locale: Locale) -> String {
    reference
        .department(code)
        .map_or(code, |d| d.name(locale))
        .to_owned()
}

fn track_link(base_url: &str, locale: Locale, code: &str) -> EmailLink {
    EmailLink {
        label: i18n::t(locale, "email.track_link").to_owned(),
        url: format!("{base_url}/track/{code}"),
    }
}

fn admin_link(base_url: &str, complaint_id: &str) -> EmailLink {
    EmailLink {
        label: i18n::t(DEPARTMENT_LOCALE, "email.admin_link").to_owned(),
        url: format!("{base_url}/admin/complaints/{complaint_id}"),
    }
}

pub fn complaint_received(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    lead: &str,
    locale: Locale,
    recipient: String,
    base_url: &str,
) -> anyhow::Result<OutgoingEmail> {
    let w = words(facts, reference, locale);
    let due = facts.accept_due.to_string();
    let department = department_name(reference, lead, locale);
    let args = [
        ("kind", w.kind.as_str()),
        ("code", facts.tracking_code),
        ("business", facts.business_name),
        ("department", department.as_str()),
        ("accept_due", due.as_str()),
    ];
    EmailContent {
        locale,
        subject: i18n::t_args(locale, "email.received.subject", &args),
        paragraphs: vec![i18n::t_args(locale, "email.received.body", &args)],
        links: vec![track_link(base_url, locale, facts.tracking_code)],
    }
    .render("received", recipient, RecipientKind::Complainant)
}

fn department_facts(facts: &CaseFacts<'_>, w: &Words) -> String {
    i18n::t_args(
        DEPARTMENT_LOCALE,
        "email.case_facts",
        &[
            ("category", &w.category),
            ("district", &w.district),
            ("business", facts.business_name),
        ],
    )
}

pub fn new_case(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    lead: &DepartmentRow,
    base_url: &str,
) -> anyhow::Result<OutgoingEmail> {
    let w = words(facts, reference, DEPARTMENT_LOCALE);
    let due = facts.accept_due.to_string();
    let args = [
        ("kind", w.kind.as_str()),
        ("category", w.category.as_str()),
        ("district", w.district.as_str()),
        ("department", lead.name(DEPARTMENT_LOCALE)),
        ("accept_due", due.as_str()),
    ];
    EmailContent {
        locale: DEPARTMENT_LOCALE,
        subject: i18n::t_args(DEPARTMENT_LOCALE, "email.new_case.subject", &args),
        paragraphs: vec![
            i18n::t_args(DEPARTMENT_LOCALE, "email.new_case.body", &args),
            department_facts(facts, &w),
        ],
        links: vec![admin_link(base_url, facts.complaint_id)],
    }
    .render(
        "new_case",
        lead.inbox_email.clone(),
        RecipientKind::Department,
    )
}

pub fn co_handling_requested(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    lead: &str,
    co_handler: &DepartmentRow,
    opinion_due: chrono::NaiveDate,
    base_url: &str,
) -> anyhow::Result<OutgoingEmail> {
    let w = words(facts, reference, DEPARTMENT_LOCALE);
    let due = opinion_due.to_string();
    let lead_name = department_name(reference, lead, DEPARTMENT_LOCALE);
    let args = [
        ("kind", w.kind.as_str()),
        ("category", w.category.as_str()),
        ("district", w.district.as_str()),
        ("lead", lead_name.as_str()),
        ("department", co_handler.name(DEPARTMENT_LOCALE)),
        ("opinion_due", due.as_str()),
    ];
    EmailContent {
        locale: DEPARTMENT_LOCALE,
        subject: i18n::t_args(DEPARTMENT_LOCALE, "email.co_handling.subject", &args),
        paragraphs: vec![
            i18n::t_args(DEPARTMENT_LOCALE, "email.co_handling.body", &args),
            department_facts(facts, &w),
        ],
        links: vec![admin_link(base_url, facts.complaint_id)],
    }
    .render(
        "co_handling",
        co_handler.inbox_email.clone(),
        RecipientKind::Department,
    )
}

pub fn withdrawn_to_complainant(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    locale: Locale,
    recipient: String,
    base_url: &str,
) -> anyhow::Result<OutgoingEmail> {
    let w = words(facts, reference, locale);
    let args = [
        ("kind", w.kind.as_str()),
        ("code", facts.tracking_code),
        ("business", facts.business_name),
    ];
    EmailContent {
        locale,
        subject: i18n::t_args(locale, "email.withdrawn.subject", &args),
        paragraphs: vec![i18n::t_args(locale, "email.withdrawn.body", &args)],
        links: vec![track_link(base_url, locale, facts.tracking_code)],
    }
    .render("withdrawn", recipient, RecipientKind::Complainant)
}

pub fn withdrawn_to_department(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    lead: &DepartmentRow,
    base_url: &str,
) -> anyhow::Result<OutgoingEmail> {
    let w = words(facts, reference, DEPARTMENT_LOCALE);
    let args = [
        ("kind", w.kind.as_str()),
        ("category", w.category.as_str()),
        ("district", w.district.as_str()),
    ];
    EmailContent {
        locale: DEPARTMENT_LOCALE,
        subject: i18n::t_args(
            DEPARTMENT_LOCALE,
            "email.withdrawn_department.subject",
            &args,
        ),
        paragraphs: vec![
            i18n::t_args(DEPARTMENT_LOCALE, "email.withdrawn_department.body", &args),
            department_facts(facts, &w),
        ],
        links: vec![admin_link(base_url, facts.complaint_id)],
    }
    .render(
        "withdrawn_department",
        lead.inbox_email.clone(),
        RecipientKind::Department,
    )
}
