//! Every message the service mails, one constructor each, rendered at the moment of the
//! change. Complainants get their own language; department inboxes get Simplified Chinese and
//! never the complainant's name, phone or email. No sending and no database access here.

use chrono::NaiveDate;

use super::{EmailContent, EmailLink, OutgoingEmail, RecipientKind};
use crate::db::reference::{DepartmentRow, Named, ReferenceData};
use crate::domain::complaint::Outcome;
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

// Status updates to the complainant. Each says what happened to the case, in the
// complainant's language, with the tracking code in the subject and a link to the case.

/// What a status message says beyond its body line.
struct StatusUpdate {
    template: &'static str,
    /// `email.{key}.subject` and `email.{key}.body`.
    key: &'static str,
    /// Arguments besides `kind`, `code` and `business`.
    args: Vec<(&'static str, String)>,
    /// Paragraphs after the body: a reason, a reply, what to do next.
    more: Vec<String>,
    /// Links before the tracking link.
    links: Vec<EmailLink>,
}

fn status_update(
    update: StatusUpdate,
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    locale: Locale,
    recipient: String,
    base_url: &str,
) -> anyhow::Result<OutgoingEmail> {
    let w = words(facts, reference, locale);
    let mut args = vec![
        ("kind", w.kind.as_str()),
        ("code", facts.tracking_code),
        ("business", facts.business_name),
    ];
    args.extend(
        update
            .args
            .iter()
            .map(|(name, value)| (*name, value.as_str())),
    );
    let mut paragraphs = vec![i18n::t_args(
        locale,
        &format!("email.{}.body", update.key),
        &args,
    )];
    paragraphs.extend(update.more);
    let mut links = update.links;
    links.push(track_link(base_url, locale, facts.tracking_code));
    EmailContent {
        locale,
        subject: i18n::t_args(locale, &format!("email.{}.subject", update.key), &args),
        paragraphs,
        links,
    }
    .render(update.template, recipient, RecipientKind::Complainant)
}

fn finish_due_line(locale: Locale, finish_due: Option<NaiveDate>) -> Option<String> {
    finish_due.map(|due| {
        i18n::t_args(
            locale,
            "email.finish_due",
            &[("finish_due", &due.to_string())],
        )
    })
}

/// The department accepted the case (for a report: opened a case); `message` is the
/// clerk's optional note to the complainant.
pub fn accepted(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    locale: Locale,
    recipient: String,
    base_url: &str,
    message: Option<&str>,
    finish_due: Option<NaiveDate>,
) -> anyhow::Result<OutgoingEmail> {
    let more = finish_due_line(locale, finish_due)
        .into_iter()
        .chain(message.map(|m| i18n::t_args(locale, "email.department_message", &[("message", m)])))
        .collect();
    let update = StatusUpdate {
        template: "accepted",
        key: "accepted",
        args: vec![],
        more,
        links: vec![],
    };
    status_update(update, facts, reference, locale, recipient, base_url)
}

pub fn rejected(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    locale: Locale,
    recipient: String,
    base_url: &str,
    reason: &str,
) -> anyhow::Result<OutgoingEmail> {
    let update = StatusUpdate {
        template: "rejected",
        key: "rejected",
        args: vec![],
        more: vec![reason.to_owned()],
        links: vec![],
    };
    status_update(update, facts, reference, locale, recipient, base_url)
}

/// The lead department returned the case to the coordination office, which will designate
/// another department. The department's reason is for the office, not for this message.
pub fn returned_to_office_for_complainant(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    locale: Locale,
    recipient: String,
    base_url: &str,
) -> anyhow::Result<OutgoingEmail> {
    let office = reference
        .office()
        .map(|d| d.name(locale).to_owned())
        .ok_or_else(|| anyhow::anyhow!("no coordination office is configured"))?;
    let update = StatusUpdate {
        template: "returned",
        key: "returned",
        args: vec![("office", office)],
        more: vec![],
        links: vec![],
    };
    status_update(update, facts, reference, locale, recipient, base_url)
}

/// The office designated the case to `department` (a code); `facts.accept_due` is the
/// designated department's fresh acceptance deadline.
pub fn designated_for_complainant(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    department: &str,
    locale: Locale,
    recipient: String,
    base_url: &str,
) -> anyhow::Result<OutgoingEmail> {
    let update = StatusUpdate {
        template: "designated",
        key: "designated",
        args: vec![
            ("department", department_name(reference, department, locale)),
            ("accept_due", facts.accept_due.to_string()),
        ],
        more: vec![],
        links: vec![],
    };
    status_update(update, facts, reference, locale, recipient, base_url)
}

/// The department needs information: `request` says what; the message says how to supply
/// it (the form on the tracking page, which posts to `/track/{code}/info`).
pub fn info_requested(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    locale: Locale,
    recipient: String,
    base_url: &str,
    request: &str,
) -> anyhow::Result<OutgoingEmail> {
    let update = StatusUpdate {
        template: "info_requested",
        key: "info_requested",
        args: vec![],
        more: vec![
            request.to_owned(),
            i18n::t(locale, "email.info_requested.how").to_owned(),
        ],
        links: vec![EmailLink {
            label: i18n::t(locale, "email.info_requested.link").to_owned(),
            url: format!("{base_url}/track/{}#info", facts.tracking_code),
        }],
    };
    status_update(update, facts, reference, locale, recipient, base_url)
}

/// The clock stopped for testing, inspection or appraisal, for `reason`.
pub fn paused(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    locale: Locale,
    recipient: String,
    base_url: &str,
    reason: &str,
) -> anyhow::Result<OutgoingEmail> {
    let update = StatusUpdate {
        template: "paused",
        key: "paused",
        args: vec![],
        more: vec![reason.to_owned()],
        links: vec![],
    };
    status_update(update, facts, reference, locale, recipient, base_url)
}

/// The clock runs again; `finish_due` is the deadline moved by the paused time.
pub fn resumed(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    locale: Locale,
    recipient: String,
    base_url: &str,
    finish_due: Option<NaiveDate>,
) -> anyhow::Result<OutgoingEmail> {
    let update = StatusUpdate {
        template: "resumed",
        key: "resumed",
        args: vec![],
        more: finish_due_line(locale, finish_due).into_iter().collect(),
        links: vec![],
    };
    status_update(update, facts, reference, locale, recipient, base_url)
}

/// The department replied and the case is resolved: the reply, its outcome, and the
/// link to rate the answer (`BASE_URL/track/{code}#rating`).
pub fn resolved(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    locale: Locale,
    recipient: String,
    base_url: &str,
    reply: &str,
    outcome: Outcome,
) -> anyhow::Result<OutgoingEmail> {
    let update = StatusUpdate {
        template: "resolved",
        key: "resolved",
        args: vec![(
            "outcome",
            i18n::t(locale, &format!("email.outcome.{}", outcome.as_str())).to_owned(),
        )],
        more: vec![
            reply.to_owned(),
            i18n::t(locale, "email.resolved.rating").to_owned(),
        ],
        links: vec![EmailLink {
            label: i18n::t(locale, "email.rating_link").to_owned(),
            url: format!("{base_url}/track/{}#rating", facts.tracking_code),
        }],
    };
    status_update(update, facts, reference, locale, recipient, base_url)
}

/// The case is handled again (by the office, or after a dissatisfied rating).
pub fn reopened(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    locale: Locale,
    recipient: String,
    base_url: &str,
    finish_due: Option<NaiveDate>,
) -> anyhow::Result<OutgoingEmail> {
    let update = StatusUpdate {
        template: "reopened",
        key: "reopened",
        args: vec![],
        more: finish_due_line(locale, finish_due).into_iter().collect(),
        links: vec![],
    };
    status_update(update, facts, reference, locale, recipient, base_url)
}

pub fn closed(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    locale: Locale,
    recipient: String,
    base_url: &str,
) -> anyhow::Result<OutgoingEmail> {
    let update = StatusUpdate {
        template: "closed",
        key: "closed",
        args: vec![],
        more: vec![],
        links: vec![],
    };
    status_update(update, facts, reference, locale, recipient, base_url)
}

// Department inboxes.

/// The office designated the case to `department`; `facts.accept_due` is its fresh
/// acceptance deadline. `reason` is the office's note to the department.
pub fn designated_to_department(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    department: &DepartmentRow,
    base_url: &str,
    reason: Option<&str>,
) -> anyhow::Result<OutgoingEmail> {
    let w = words(facts, reference, DEPARTMENT_LOCALE);
    let due = facts.accept_due.to_string();
    let office = reference
        .office()
        .map_or("", |d| d.name(DEPARTMENT_LOCALE))
        .to_owned();
    let args = [
        ("kind", w.kind.as_str()),
        ("category", w.category.as_str()),
        ("district", w.district.as_str()),
        ("department", department.name(DEPARTMENT_LOCALE)),
        ("office", office.as_str()),
        ("accept_due", due.as_str()),
    ];
    let mut paragraphs = vec![
        i18n::t_args(DEPARTMENT_LOCALE, "email.designated_department.body", &args),
        department_facts(facts, &w),
    ];
    if let Some(reason) = reason {
        paragraphs.push(i18n::t_args(
            DEPARTMENT_LOCALE,
            "email.office_note",
            &[("note", reason)],
        ));
    }
    EmailContent {
        locale: DEPARTMENT_LOCALE,
        subject: i18n::t_args(
            DEPARTMENT_LOCALE,
            "email.designated_department.subject",
            &args,
        ),
        paragraphs,
        links: vec![admin_link(base_url, facts.complaint_id)],
    }
    .render(
        "designated_department",
        department.inbox_email.clone(),
        RecipientKind::Department,
    )
}

/// `returned_by` (a department code) returned the case to the office with `reason`.
pub fn returned_to_office(
    facts: &CaseFacts<'_>,
    reference: &ReferenceData,
    office: &DepartmentRow,
    returned_by: &str,
    reason: &str,
    base_url: &str,
) -> anyhow::Result<OutgoingEmail> {
    let w = words(facts, reference, DEPARTMENT_LOCALE);
    let due = facts.accept_due.to_string();
    let department = department_name(reference, returned_by, DEPARTMENT_LOCALE);
    let args = [
        ("kind", w.kind.as_str()),
        ("category", w.category.as_str()),
        ("district", w.district.as_str()),
        ("department", department.as_str()),
        ("accept_due", due.as_str()),
    ];
    EmailContent {
        locale: DEPARTMENT_LOCALE,
        subject: i18n::t_args(DEPARTMENT_LOCALE, "email.returned_office.subject", &args),
        paragraphs: vec![
            i18n::t_args(DEPARTMENT_LOCALE, "email.returned_office.body", &args),
            i18n::t_args(
                DEPARTMENT_LOCALE,
                "email.return_reason",
                &[("reason", reason)],
            ),
            department_facts(facts, &w),
        ],
        links: vec![admin_link(base_url, facts.complaint_id)],
    }
    .render(
        "returned_office",
        office.inbox_email.clone(),
        RecipientKind::Department,
    )
}

// "I lost my tracking code".

/// A case filed with the address that asked for its codes.
pub struct RecoveredCase {
    pub tracking_code: String,
    pub business_name: String,
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
                    ("business", &case.business_name),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> ReferenceData {
        let db = tempfile::tempdir().unwrap();
        let location = crate::db::DatabaseLocation::SqliteFile(db.path().join("reference.db"));
        let database = crate::db::Database::open(&location, 1).unwrap();
        database
            .write_blocking(crate::db::seed::seed_if_empty)
            .unwrap();
        database.read_blocking(ReferenceData::load).unwrap()
    }

    fn facts() -> CaseFacts<'static> {
        CaseFacts {
            complaint_id: "0190f0a0-0000-7000-8000-000000000001",
            tracking_code: "ABCDE-FGHJK-MNPQR",
            kind: "complaint",
            category: "food",
            district: "361102",
            business_name: "信州区好又多超市",
            accept_due: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
        }
    }

    /// Every constructor, in every language: no missing key, no unfilled argument, and the
    /// tracking code in each complainant subject.
    #[test]
    fn every_message_renders_in_every_language_with_its_words() {
        let reference = reference();
        let facts = facts();
        let due = Some(NaiveDate::from_ymd_opt(2027, 2, 1).unwrap());
        let base = "https://gc.example";
        let to = || "zhang.san@example.com".to_owned();
        for locale in Locale::ALL {
            let mut complainant = vec![
                accepted(
                    &facts,
                    &reference,
                    locale,
                    to(),
                    base,
                    Some("请保留购物小票"),
                    due,
                ),
                accepted(&facts, &reference, locale, to(), base, None, None),
                rejected(&facts, &reference, locale, to(), base, "不属于质量问题"),
                returned_to_office_for_complainant(&facts, &reference, locale, to(), base),
                designated_for_complainant(
                    &facts,
                    &reference,
                    "market-regulation",
                    locale,
                    to(),
                    base,
                ),
                info_requested(&facts, &reference, locale, to(), base, "请提供购物凭证照片"),
                paused(&facts, &reference, locale, to(), base, "送检：奶粉样品"),
                resumed(&facts, &reference, locale, to(), base, due),
                reopened(&facts, &reference, locale, to(), base, due),
                closed(&facts, &reference, locale, to(), base),
            ];
            for outcome in Outcome::ALL {
                complainant.push(resolved(
                    &facts,
                    &reference,
                    locale,
                    to(),
                    base,
                    "已退款。",
                    *outcome,
                ));
            }
            for email in complainant {
                let email = email.unwrap();
                assert!(
                    email.subject.contains(facts.tracking_code),
                    "{}",
                    email.subject
                );
                for text in [&email.subject, &email.text_body, &email.html_body] {
                    assert!(
                        !text.contains("email."),
                        "{}: a missing key in {text}",
                        email.template
                    );
                    assert!(
                        !text.contains('{'),
                        "{}: an unfilled argument in {text}",
                        email.template
                    );
                }
                assert!(email
                    .text_body
                    .contains(&format!("{base}/track/{}", facts.tracking_code)));
                assert_eq!(email.locale, locale);
            }
        }
        let resolved_en = resolved(
            &facts,
            &reference,
            Locale::En,
            to(),
            base,
            "Refunded.",
            Outcome::Refund,
        )
        .unwrap();
        assert!(resolved_en
            .text_body
            .contains("https://gc.example/track/ABCDE-FGHJK-MNPQR#rating"));
        assert!(
            resolved_en.text_body.contains("refund"),
            "{}",
            resolved_en.text_body
        );
        let info =
            info_requested(&facts, &reference, Locale::ZhHant, to(), base, "請提供照片").unwrap();
        assert!(info.text_body.contains("請提供照片"));
        assert!(info.text_body.contains("/track/ABCDE-FGHJK-MNPQR#info"));
    }

    #[test]
    fn department_messages_name_the_case_but_not_the_complainant() {
        let reference = reference();
        let facts = facts();
        let department = reference.department("market-regulation").unwrap();
        let office = reference.office().unwrap();
        let emails = [
            designated_to_department(
                &facts,
                &reference,
                department,
                "https://gc.example",
                Some("属于市场监管职责"),
            )
            .unwrap(),
            returned_to_office(
                &facts,
                &reference,
                office,
                "food-drug",
                "不属于本部门职责",
                "https://gc.example",
            )
            .unwrap(),
        ];
        assert_eq!(emails[0].recipient, department.inbox_email);
        assert_eq!(emails[1].recipient, office.inbox_email);
        for email in emails {
            assert_eq!(email.recipient_kind, RecipientKind::Department);
            assert!(email.text_body.contains("信州区好又多超市"));
            assert!(
                email.text_body.contains("2026-12-08"),
                "deadline: {}",
                email.text_body
            );
            assert!(email.text_body.contains("/admin/complaints/0190f0a0"));
            assert!(
                !email.text_body.contains("ABCDE-FGHJK-MNPQR"),
                "no tracking code for staff"
            );
            assert!(!email.text_body.contains("email."), "{}", email.text_body);
        }
    }

    #[test]
    fn the_recovery_message_lists_every_case_with_its_link() {
        let cases = [
            RecoveredCase {
                tracking_code: "ABCDE-FGHJK-MNPQR".into(),
                business_name: "<b>超市</b>".into(),
                filed_on: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            },
            RecoveredCase {
                tracking_code: "QRSTU-VWXYZ-ABCDE".into(),
                business_name: "电梯公司".into(),
                filed_on: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            },
        ];
        let email = tracking_codes(
            &cases,
            Locale::En,
            "a@example.com".into(),
            "https://gc.example",
        )
        .unwrap();
        assert_eq!(email.recipient_kind, RecipientKind::Complainant);
        for case in &cases {
            assert!(email
                .text_body
                .contains(&format!("https://gc.example/track/{}", case.tracking_code)));
        }
        assert!(
            !email.html_body.contains("<b>超市</b>"),
            "escaped: {}",
            email.html_body
        );
        assert!(!email.subject.contains('{'));
    }
}
