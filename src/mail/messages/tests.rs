//! Every message for one fixed case, in every language, against the files in
//! `src/mail/snapshots/` (`UPDATE_SNAPSHOTS=1 cargo test --lib mail::` rewrites them), and
//! the rules no snapshot shows at a glance.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::*;
use crate::db::reference::ReferenceData;
use crate::domain::complaint::Outcome;
use crate::domain::deadlines::DeadlineKind;
use crate::mail::RecipientKind;

fn reference() -> ReferenceData {
    let db = tempfile::tempdir().unwrap();
    let location = crate::db::DatabaseLocation::SqliteFile(db.path().join("reference.db"));
    let database = crate::db::Database::open(&location, 1).unwrap();
    database
        .write_blocking(crate::db::seed::seed_if_empty)
        .unwrap();
    database.read_blocking(ReferenceData::load).unwrap()
}

const BASE: &str = "https://gc.example";
const CODE: &str = "ABCDE-FGHJK-MNPQR";

fn facts(locale: Locale) -> CaseFacts<'static> {
    CaseFacts {
        complaint_id: "0190f0a0-0000-7000-8000-000000000001",
        tracking_code: CODE,
        kind: ComplaintKind::Complaint,
        category: "food",
        district: "361102",
        business_name: "信州区好又多超市",
        lead: "food-drug",
        accept_due: date(2026, 12, 8),
        complainant: Some(Complainant {
            address: "zhang.san@example.com",
            locale,
        }),
    }
}

fn case(reference: &ReferenceData, locale: Locale) -> CaseContext<'_> {
    CaseContext {
        facts: facts(locale),
        reference,
        base_url: BASE,
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Each update once (with the variants whose paragraphs differ), by snapshot name.
fn updates() -> Vec<(&'static str, CaseUpdate)> {
    let finish_due = Some(date(2027, 2, 1));
    vec![
        ("received", CaseUpdate::Received),
        (
            "accepted",
            CaseUpdate::Accepted {
                message: Some("请保留购物小票".into()),
                finish_due,
            },
        ),
        (
            "accepted-bare",
            CaseUpdate::Accepted {
                message: None,
                finish_due: None,
            },
        ),
        (
            "rejected",
            CaseUpdate::Rejected {
                reason: "不属于质量问题".into(),
            },
        ),
        ("returned", CaseUpdate::Returned),
        (
            "designated",
            CaseUpdate::Designated {
                department: "market-regulation".into(),
                accept_due: date(2026, 12, 15),
            },
        ),
        (
            "info_requested",
            CaseUpdate::InfoRequested {
                request: "请提供购物凭证照片".into(),
            },
        ),
        (
            "paused",
            CaseUpdate::Paused {
                reason: "送检：奶粉样品".into(),
            },
        ),
        ("resumed", CaseUpdate::Resumed { finish_due }),
        (
            "resolved",
            CaseUpdate::Resolved {
                reply: "已退款。\n欢迎再次监督。".into(),
                outcome: Outcome::Refund,
            },
        ),
        ("reopened", CaseUpdate::Reopened { finish_due }),
        ("closed", CaseUpdate::Closed),
        ("withdrawn", CaseUpdate::Withdrawn),
        (
            "merged",
            CaseUpdate::Merged {
                into_code: "7K3M-9QRT-WX4P".into(),
            },
        ),
    ]
}

fn notices() -> Vec<(&'static str, DepartmentNotice)> {
    let designated = |note: Option<&str>| DepartmentNotice::Designated {
        department: "market-regulation".into(),
        accept_due: date(2026, 12, 15),
        note: note.map(str::to_owned),
    };
    vec![
        ("new_case", DepartmentNotice::NewCase),
        (
            "co_handling",
            DepartmentNotice::CoHandlingRequested {
                department: "market-regulation".into(),
                opinion_due: date(2026, 12, 4),
            },
        ),
        ("withdrawn_department", DepartmentNotice::Withdrawn),
        (
            "designated_department",
            designated(Some("属于市场监管职责")),
        ),
        ("designated_department-bare", designated(None)),
        (
            "returned_office",
            DepartmentNotice::ReturnedToOffice {
                returned_by: "food-drug".into(),
                reason: "不属于本部门职责".into(),
            },
        ),
        (
            "deadline_reminder",
            DepartmentNotice::DeadlineReminder {
                department: "market-regulation".into(),
                deadline: DeadlineKind::Accept,
                due_on: date(2026, 12, 4),
            },
        ),
        (
            "deadline_overdue",
            DepartmentNotice::DeadlineOverdue {
                department: "market-regulation".into(),
                deadline: DeadlineKind::Finish,
                due_on: date(2026, 12, 4),
            },
        ),
        (
            "escalated",
            DepartmentNotice::Escalated {
                department: "market-regulation".into(),
                deadline: DeadlineKind::Opinion,
                due_on: date(2026, 12, 4),
            },
        ),
    ]
}

fn recovered_cases() -> Vec<RecoveredCase> {
    vec![
        RecoveredCase {
            tracking_code: CODE.into(),
            filed_on: date(2026, 11, 2),
        },
        RecoveredCase {
            tracking_code: "QRSTU-VWXYZ-ABCDE".into(),
            filed_on: date(2026, 11, 20),
        },
    ]
}

fn snapshot(email: &OutgoingEmail) -> String {
    format!(
        "template: {}\nto: {} ({})\nlocale: {}\nsubject: {}\n\n--- text\n{}\n--- html\n{}\n",
        email.template,
        email.recipient,
        email.recipient_kind.as_str(),
        email.locale.tag(),
        email.subject,
        email.text_body,
        email.html_body
    )
}

/// A `{name}` left in `text`: an argument the message did not fill.
fn unfilled_argument(text: &str) -> Option<&str> {
    text.match_indices('{').find_map(|(open, _)| {
        let rest = &text[open + 1..];
        let name = &rest[..rest.find('}')?];
        (!name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .then_some(name)
    })
}

struct Snapshots {
    dir: PathBuf,
    update: bool,
    seen: BTreeSet<String>,
    failures: Vec<String>,
}

impl Snapshots {
    fn new() -> Self {
        Snapshots {
            dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("src/mail/snapshots"),
            update: std::env::var_os("UPDATE_SNAPSHOTS").is_some(),
            seen: BTreeSet::new(),
            failures: Vec::new(),
        }
    }

    fn check(&mut self, name: &str, locale: Locale, actual: &str) {
        let file = format!("{name}.{}.txt", locale.tag());
        let path = self.dir.join(&file);
        assert!(self.seen.insert(file.clone()), "{file} checked twice");
        if self.update {
            std::fs::write(&path, actual).unwrap();
            return;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => {
                let (line, (want, got)) = expected
                    .lines()
                    .chain(std::iter::repeat(""))
                    .zip(actual.lines().chain(std::iter::repeat("")))
                    .enumerate()
                    .find(|(_, (want, got))| want != got)
                    .unwrap_or((0, ("", "")));
                self.failures.push(format!(
                    "{file}, line {}:\n  expected: {want}\n  rendered: {got}",
                    line + 1
                ));
            }
            Err(_) => self.failures.push(format!("{file}: no snapshot")),
        }
    }

    fn email(&mut self, name: &str, email: &OutgoingEmail) {
        for text in [&email.subject, &email.text_body, &email.html_body] {
            if let Some(argument) = unfilled_argument(text) {
                self.failures
                    .push(format!("{name}: {{{argument}}} left unfilled in {text}"));
            }
        }
        self.check(name, email.locale, &snapshot(email));
    }

    /// Fails on any difference, and on a snapshot file no message wrote.
    fn finish(self) {
        let stale: Vec<String> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|file| !self.seen.contains(file))
            .collect();
        let mut failures = self.failures;
        if !stale.is_empty() {
            failures.push(format!("snapshots no message wrote: {stale:?}"));
        }
        assert!(
            failures.is_empty(),
            "{}\n(UPDATE_SNAPSHOTS=1 rewrites the snapshots after an intended change)",
            failures.join("\n")
        );
    }
}

#[test]
fn every_message_in_every_language_matches_its_snapshot() {
    let reference = reference();
    let mut snapshots = Snapshots::new();
    for locale in Locale::ALL {
        let case = case(&reference, locale);
        for (name, update) in updates() {
            let email = case.to_complainant(&update).unwrap().unwrap();
            assert_eq!(email.template, update.name());
            snapshots.email(name, &email);
        }
        let report = CaseContext {
            facts: CaseFacts {
                kind: ComplaintKind::Report,
                ..facts(locale)
            },
            ..case
        };
        let email = report.to_complainant(&CaseUpdate::Received).unwrap();
        snapshots.email("received-report", &email.unwrap());
        // The outcome words of every reply, one line each.
        let outcomes: String = Outcome::ALL
            .iter()
            .filter(|o| o.chosen_in_reply())
            .map(|&outcome| {
                let update = CaseUpdate::Resolved {
                    reply: "-".into(),
                    outcome,
                };
                let email = case.to_complainant(&update).unwrap().unwrap();
                let first_paragraph = email.text_body.lines().nth(2).unwrap().to_owned();
                format!("{outcome}: {first_paragraph}\n")
            })
            .collect();
        snapshots.check("resolved-outcomes", locale, &outcomes);
        let recover = tracking_codes(
            &recovered_cases(),
            locale,
            "zhang.san@example.com".into(),
            BASE,
        )
        .unwrap();
        snapshots.email("recover", &recover);
        let reset = super::password_reset(
            "food-clerk",
            format!("{BASE}/admin/password-reset/TOKEN-AS-MAILED"),
            locale,
            "clerk@example.org".into(),
        )
        .unwrap();
        snapshots.email("password_reset", &reset);
    }
    // Department inboxes read Simplified Chinese whatever the complainant's language.
    let case = case(&reference, Locale::En);
    for (name, notice) in notices() {
        let email = case.to_department(&notice).unwrap().unwrap();
        assert_eq!(email.template, notice.name());
        assert_eq!(email.locale, Locale::ZhHans);
        snapshots.email(name, &email);
    }
    snapshots.email("digest", &weekly_digest());
    // Joint actions (issue 13): the members' inboxes, and the residents of linked cases.
    let action = joint_action::ActionFacts {
        id: 7,
        title: "打击销售过期奶粉联合执法",
        lead: "market-regulation",
        reference: &reference,
        base_url: BASE,
    };
    for (name, notice) in joint_notices() {
        let email = joint_action::to_department(&action, "food-drug", &notice)
            .unwrap()
            .unwrap();
        assert_eq!(email.template, notice.name());
        assert_eq!(email.locale, Locale::ZhHans);
        snapshots.email(name, &email);
    }
    for locale in Locale::ALL {
        let email = joint_action::concluded_to_complainant(
            &self::case(&reference, locale),
            crate::domain::joint_action::JointOutcome::Rectified,
            "责令整改，过期奶粉已全部下架。",
        )
        .unwrap()
        .unwrap();
        snapshots.email("joint_concluded_case", &email);
    }
    snapshots.finish();
}

fn joint_notices() -> Vec<(&'static str, joint_action::ActionNotice)> {
    use joint_action::ActionNotice;
    let due_on = date(2026, 12, 10);
    vec![
        (
            "joint_opened",
            ActionNotice::Opened {
                task: "对涉事超市的奶粉进行抽检".into(),
                due_on,
            },
        ),
        (
            "joint_concluded",
            ActionNotice::Concluded {
                outcome: crate::domain::joint_action::JointOutcome::ViolationsFound,
                summary: "查实销售过期奶粉，已立案查处。".into(),
            },
        ),
        (
            "joint_cancelled",
            ActionNotice::Cancelled {
                reason: "已并入省局专项行动".into(),
            },
        ),
        ("joint_task_reminder", ActionNotice::TaskReminder { due_on }),
        ("joint_task_overdue", ActionNotice::TaskOverdue { due_on }),
        (
            "joint_task_escalated",
            ActionNotice::TaskEscalated {
                department: "food-drug".into(),
                due_on,
            },
        ),
    ]
}

/// The office's weekly digest: a row of figures, the lowest score and two overdue cases.
fn weekly_digest() -> OutgoingEmail {
    use super::digest::{digest, Digest, DigestFigures, OverdueCase};
    let figures = |name: &str, score: &str| DigestFigures {
        name: name.to_owned(),
        received: "42".into(),
        accepted_on_time: "95.2%".into(),
        finished_on_time: "—".into(),
        overdue_now: "2".into(),
        escalations: "1".into(),
        score: score.into(),
    };
    let overdue = |id: &str, escalated| OverdueCase {
        complaint_id: id.into(),
        department: "食品药品监督管理局".into(),
        deadline: DeadlineKind::Finish,
        due_on: NaiveDate::from_ymd_opt(2026, 10, 13).unwrap(),
        escalated,
    };
    let message = Digest {
        week: "2026-W45".into(),
        from: NaiveDate::from_ymd_opt(2026, 10, 26).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        department: None,
        addressee: "质量兴市领导小组办公室".into(),
        figures: vec![figures("全市合计", "88.5")],
        lowest: vec![figures("食品药品监督管理局", "61.0")],
        overdue: vec![
            overdue("0193a2b4-7c1d-7e2f-8a3b-4c5d6e7f8a9b", true),
            overdue("0193a2b4-7c1d-7e2f-8a3b-4c5d6e7f8a9c", false),
        ],
    };
    digest(
        &message,
        "quality-office@green-channel.invalid".into(),
        BASE,
    )
    .unwrap()
}

#[test]
fn complainant_messages_carry_the_code_and_the_links_in_their_language() {
    let reference = reference();
    for locale in Locale::ALL {
        let case = case(&reference, locale);
        for (name, update) in updates() {
            let email = case.to_complainant(&update).unwrap().unwrap();
            assert_eq!(email.locale, locale, "{name}");
            assert_eq!(email.recipient, "zhang.san@example.com");
            assert_eq!(email.recipient_kind, RecipientKind::Complainant);
            assert!(email.subject.contains(CODE), "{}", email.subject);
            let (subject, body) = update.keys();
            assert!(i18n::has_key(subject) && i18n::has_key(body), "{name}");
            assert!(email.text_body.contains(&format!("{BASE}/track/{CODE}\n")));
        }
    }
    let case = case(&reference, Locale::En);
    let resolved = case
        .to_complainant(&CaseUpdate::Resolved {
            reply: "Refunded.".into(),
            outcome: Outcome::Refund,
        })
        .unwrap()
        .unwrap();
    assert!(resolved
        .text_body
        .contains(&format!("{BASE}/track/{CODE}#rating")));
    let info = case
        .to_complainant(&CaseUpdate::InfoRequested {
            request: "請提供照片".into(),
        })
        .unwrap()
        .unwrap();
    assert!(info.text_body.contains("請提供照片"));
    assert!(info.text_body.contains(&format!("/track/{CODE}#info")));
}

#[test]
fn department_messages_name_the_case_but_not_the_complainant() {
    let reference = reference();
    let case = case(&reference, Locale::ZhHans);
    for (name, notice) in notices() {
        let email = case.to_department(&notice).unwrap().unwrap();
        assert_eq!(email.recipient_kind, RecipientKind::Department);
        assert!(email.recipient.ends_with(".invalid"), "{}", email.recipient);
        assert!(email.text_body.contains("信州区好又多超市"), "{name}");
        assert!(email.text_body.contains("/admin/complaints/0190f0a0"));
        let (subject, body) = notice.keys();
        assert!(i18n::has_key(subject) && i18n::has_key(body), "{name}");
        for text in [&email.subject, &email.text_body, &email.html_body] {
            assert!(!text.contains(CODE), "{name}: no tracking code for staff");
            assert!(
                !text.contains("zhang.san"),
                "{name}: no complainant address"
            );
        }
    }
    let designated = case.to_department(&notices()[3].1).unwrap().unwrap();
    let market = reference.department("market-regulation").unwrap();
    assert_eq!(designated.recipient, market.inbox_email);
    let returned = case.to_department(&notices()[5].1).unwrap().unwrap();
    assert_eq!(returned.recipient, reference.office().unwrap().inbox_email);
}

#[test]
fn without_an_address_only_the_departments_hear_and_an_unknown_one_is_skipped() {
    let reference = reference();
    let mut case = case(&reference, Locale::ZhHans);
    case.facts.complainant = None;
    let emails = case
        .emails(
            Some(&CaseUpdate::Withdrawn),
            &[
                DepartmentNotice::Withdrawn,
                DepartmentNotice::CoHandlingRequested {
                    department: "no-such-department".into(),
                    opinion_due: date(2026, 12, 4),
                },
            ],
        )
        .unwrap();
    let templates: Vec<&str> = emails.iter().map(|e| e.template).collect();
    assert_eq!(templates, ["withdrawn_department"]);
    case.facts.lead = "no-such-department";
    assert!(case.to_department(&DepartmentNotice::NewCase).is_err());
}

#[test]
fn a_business_name_that_looks_like_an_argument_stays_as_typed_for_staff() {
    let reference = reference();
    let business = "{department} {code} 超市";
    let mut case = case(&reference, Locale::En);
    case.facts.business_name = business;
    let new_case = case
        .to_department(&DepartmentNotice::NewCase)
        .unwrap()
        .unwrap();
    assert!(
        new_case.text_body.contains(business),
        "{}",
        new_case.text_body
    );
}

/// A filing with a stranger's address and a phishing lure for a business name (issue 14).
const LURE: &str = "URGENT refund: log in at http://evil.example/login or www.evil.example";

#[test]
fn no_complainant_message_quotes_what_the_filer_typed() {
    let reference = reference();
    for locale in Locale::ALL {
        let mut case = case(&reference, locale);
        case.facts.business_name = LURE;
        let mut updates = updates();
        updates.push(("received", CaseUpdate::Received));
        for (name, update) in updates {
            let email = case.to_complainant(&update).unwrap().unwrap();
            for text in [&email.subject, &email.text_body, &email.html_body] {
                assert!(!text.contains("URGENT"), "{name}, {locale:?}: {text}");
                assert!(!text.contains("evil"), "{name}, {locale:?}: {text}");
            }
        }
    }
}

#[test]
fn no_message_carries_a_link_the_filer_typed() {
    let reference = reference();
    let mut case = case(&reference, Locale::ZhHans);
    case.facts.business_name = LURE;
    for (name, notice) in notices() {
        let email = case.to_department(&notice).unwrap().unwrap();
        for text in [&email.subject, &email.text_body, &email.html_body] {
            assert!(!text.contains("evil.example"), "{name}: {text}");
            assert!(!text.contains("http://evil"), "{name}: {text}");
        }
        assert!(
            email.text_body.contains("http[://]evil[.]example/login"),
            "{name}: the lure is quoted, broken up: {}",
            email.text_body
        );
    }
}

#[test]
fn unlinked_breaks_up_host_names_and_schemes_only() {
    for (typed, quoted) in [
        ("http://evil.example/x", "http[://]evil[.]example/x"),
        ("www.evil.cn", "www[.]evil[.]cn"),
        ("evil。com", "evil[.]com"),
        ("a@b-c.org", "a@b-c[.]org"),
        ("javascript://x", "javascript[://]x"),
        ("3.5 kg, 2.0版", "3.5 kg, 2.0版"),
        ("Mr. Li. End.", "Mr. Li. End."),
        ("信州区好又多超市", "信州区好又多超市"),
        ("", ""),
        (":", ":"),
    ] {
        assert_eq!(unlinked(typed), quoted, "{typed}");
    }
}

#[test]
fn the_recovery_message_lists_every_case_with_its_link() {
    let cases = recovered_cases();
    let email = tracking_codes(&cases, Locale::En, "a@example.com".into(), BASE).unwrap();
    assert_eq!(email.recipient_kind, RecipientKind::Complainant);
    for case in &cases {
        assert!(email
            .text_body
            .contains(&format!("{BASE}/track/{}", case.tracking_code)));
    }
    assert!(
        !email.html_body.contains("<b>电梯</b>"),
        "escaped: {}",
        email.html_body
    );
}
