//! Email delivery against a real SMTP server (`smtp_server.rs`): languages and encodings,
//! what department inboxes may not see, outages, 4xx/5xx replies, giving up, the daily cap,
//! Message-IDs, header injection, tracking-code recovery, `/metrics`, and SIGKILL.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use diesel::prelude::*;
use green_channel::config::Config;
use green_channel::db::outbox::OutboxRow;
use green_channel::db::schema::outbox;
use green_channel::services::now_utc;

use crate::helpers::{
    select_attr, spawn_app, spawn_app_with, start_with_mail_worker, test_config, tracking_code_of,
    valid_complaint, with, TestApp,
};
use crate::smtp_server::{ReceivedMessage, SmtpServer};

const DEPARTMENT_INBOX: &str = "food-drug@green-channel.invalid";

async fn app_with_smtp(smtp: &SmtpServer, customise: impl FnOnce(&mut Config)) -> TestApp {
    let url = smtp.url();
    spawn_app_with(move |config| {
        config.smtp_url = Some(url);
        customise(config);
    })
    .await
}

async fn outbox_rows(app: &TestApp) -> Vec<OutboxRow> {
    app.db
        .read(|conn| {
            Ok(outbox::table
                .order(outbox::id)
                .select(OutboxRow::as_select())
                .load(conn)?)
        })
        .await
        .unwrap()
}

fn to<'a>(messages: &'a [ReceivedMessage], address: &str) -> Vec<&'a ReceivedMessage> {
    messages.iter().filter(|m| m.rcpt_to == [address]).collect()
}

fn seconds(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

#[tokio::test]
async fn the_receipt_reaches_the_complainant_in_their_language_intact_with_its_tracking_link() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp, |_| {}).await;
    let english = app
        .file_in(
            with(valid_complaint(), "email", "alice@example.com"),
            "en-GB,en;q=0.9",
        )
        .await;
    assert_eq!(english.status().as_u16(), 303);
    let english_code = tracking_code_of(&english);
    let traditional = app
        .file_in(
            with(valid_complaint(), "email", "chen@example.com.tw"),
            "zh-TW,zh;q=0.9,en;q=0.5",
        )
        .await;
    assert_eq!(traditional.status().as_u16(), 303);
    let traditional_code = tracking_code_of(&traditional);

    let report = app.dispatch_all_pending_emails().await;
    assert_eq!(report.sent, 4, "{report:?}");
    let messages = smtp.messages();

    let english = to(&messages, "alice@example.com");
    assert_eq!(english.len(), 1);
    let english = english[0];
    assert_eq!(
        english.subject(),
        format!("We received your complaint (tracking code {english_code})")
    );
    assert_eq!(english.mail_from, "no-reply@gc.test");
    let from = english.header("From").unwrap();
    assert!(
        from.contains("Green Channel") && from.ends_with("<no-reply@gc.test>"),
        "{from}"
    );
    assert_eq!(english.header("To").as_deref(), Some("alice@example.com"));
    assert_eq!(english.parsed().ctype.mimetype, "multipart/alternative");
    let link = format!("http://gc.test/track/{english_code}");
    assert!(english.text().contains(&link), "{}", english.text());
    assert!(
        english.text().contains("Food and Drug"),
        "{}",
        english.text()
    );
    assert!(
        english.html().contains(&format!("href=\"{link}\"")),
        "{}",
        english.html()
    );
    assert!(english.html().contains("lang=\"en\""));

    let chinese = to(&messages, "chen@example.com.tw");
    assert_eq!(chinese.len(), 1);
    let chinese = chinese[0];
    assert_eq!(
        chinese.subject(),
        format!("已收到您的投訴（查詢碼 {traditional_code}）")
    );
    // The case is named by its district and category, never by what the filer typed
    // (the address may be a stranger's: issue 14).
    let text = chinese.text();
    assert!(
        text.contains("我們已收到您關於信州區食品方面的投訴"),
        "{text}"
    );
    assert!(text.contains(&format!("http://gc.test/track/{traditional_code}")));
    assert!(
        chinese.html().contains("查看辦理進度"),
        "{}",
        chinese.html()
    );
    assert!(!chinese.html().contains("信州区好又多超市"));

    // The raw message is 7-bit: every non-ASCII character travels encoded.
    assert!(chinese.data.is_ascii(), "headers and parts are encoded");
    app.assert_no_unsent_emails().await;
}

#[tokio::test]
async fn department_emails_carry_the_case_but_never_the_complainants_contact_details() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp, |_| {}).await;
    app.file_valid(valid_complaint()).await;
    app.dispatch_all_pending_emails().await;
    let messages = smtp.messages();
    let department = to(&messages, DEPARTMENT_INBOX);
    assert_eq!(department.len(), 1);
    let department = department[0];
    let readable = [
        department.subject(),
        department.text(),
        department.html(),
        department.header_names().join(","),
        String::from_utf8_lossy(&department.data).into_owned(),
    ];
    for text in &readable {
        for personal in [
            "张三",
            "13800138000",
            "138 0013 8000",
            "zhang.san",
            "example.com",
        ] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
    }
    let text = department.text();
    for fact in [
        "食品",
        "信州区",
        "信州区好又多超市",
        "http://gc.test/admin/complaints/",
    ] {
        assert!(text.contains(fact), "{fact} missing from {text}");
    }
    assert_eq!(department.subject(), "新案件：食品，信州区");
    app.assert_no_unsent_emails().await;
}

#[tokio::test]
async fn a_business_name_written_like_an_argument_reaches_the_department_as_typed() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp, |_| {}).await;
    let business = "好又多{department}超市{code}";
    let code = app
        .file_valid(with(valid_complaint(), "business_name", business))
        .await;
    app.dispatch_all_pending_emails().await;
    let messages = smtp.messages();
    let receipt = to(&messages, "zhang.san@example.com");
    let department = to(&messages, DEPARTMENT_INBOX);
    assert_eq!((receipt.len(), department.len()), (1, 1));
    let receipt = receipt[0].text();
    assert!(
        receipt.contains("我们已收到您关于信州区食品方面的投诉") && !receipt.contains(business),
        "the complainant's receipt quotes no text the filer typed: {receipt}"
    );
    assert_eq!(receipt.matches(code.as_str()).count(), 2, "{receipt}");
    let department = department[0].text();
    assert!(
        department.contains(&format!("经营者：{business}。")),
        "{department}"
    );
    app.assert_no_unsent_emails().await;
}

#[tokio::test]
async fn while_the_server_is_down_messages_wait_and_retry_and_arrive_once_it_is_back() {
    let smtp = SmtpServer::start_down().await;
    let app = app_with_smtp(&smtp, |_| {}).await;
    app.file_valid(with(valid_complaint(), "email", "a@example.com"))
        .await;
    app.file_valid(with(valid_complaint(), "email", "b@example.com"))
        .await;
    let t0 = now_utc();

    let report = app.dispatch_emails_at(t0).await;
    assert_eq!((report.sent, report.retried), (0, 4), "{report:?}");
    let first = outbox_rows(&app).await;
    for row in &first {
        assert_eq!((row.state.as_str(), row.attempts), ("pending", 1));
        assert!(row.due_at > t0, "the next attempt waits");
        assert!(row.lease_until.is_none());
        assert!(
            row.last_error
                .as_deref()
                .is_some_and(|e| e.contains("connection")),
            "{:?}",
            row.last_error
        );
    }
    assert!(
        app.dispatch_emails_at(t0).await.is_empty(),
        "nothing is due before its retry time"
    );

    let report = app.dispatch_emails_at(t0 + seconds(5)).await;
    assert_eq!(report.retried, 4);
    for (before, after) in first.iter().zip(outbox_rows(&app).await) {
        assert_eq!(after.attempts, 2);
        assert!(
            after.due_at - (t0 + seconds(5)) > before.due_at - t0,
            "the wait doubles"
        );
    }

    smtp.resume().await;
    let report = app.dispatch_emails_at(t0 + seconds(60)).await;
    assert_eq!(report.sent, 4, "{report:?}");
    assert!(app.dispatch_emails_at(t0 + seconds(7200)).await.is_empty());
    let messages = smtp.messages();
    assert_eq!(messages.len(), 4, "each exactly once");
    let ids: BTreeSet<String> = messages.iter().map(|m| m.message_id()).collect();
    assert_eq!(ids.len(), 4);
    for row in outbox_rows(&app).await {
        assert_eq!((row.state.as_str(), row.attempts), ("sent", 3));
        assert_eq!(row.sent_at, Some(t0 + seconds(60)));
    }
    app.assert_no_unsent_emails().await;
}

#[tokio::test]
async fn a_4xx_reply_is_retried_and_a_5xx_reply_fails_at_once_with_its_reason() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp, |_| {}).await;
    app.file_valid(valid_complaint()).await;
    let t0 = now_utc();

    smtp.reply_to_rcpt(Some("451 4.3.0 mailbox busy, try later"));
    let report = app.dispatch_emails_at(t0).await;
    assert_eq!(report.retried, 2, "{report:?}");
    for row in outbox_rows(&app).await {
        assert_eq!((row.state.as_str(), row.attempts), ("pending", 1));
        assert!(row.last_error.as_deref().unwrap().contains("451"));
    }

    smtp.reply_to_rcpt(None);
    smtp.reply_to_data(Some("452 4.3.1 insufficient system storage"));
    let report = app.dispatch_emails_at(t0 + seconds(60)).await;
    assert_eq!(report.retried, 2, "{report:?}");

    smtp.reply_to_data(Some("554 5.7.1 message refused"));
    let report = app.dispatch_emails_at(t0 + seconds(600)).await;
    assert_eq!(report.failed, 2, "{report:?}");
    for row in outbox_rows(&app).await {
        assert_eq!((row.state.as_str(), row.attempts), ("failed", 3));
        let error = row.last_error.unwrap();
        assert!(
            error.contains("554") && error.contains("message refused"),
            "{error}"
        );
    }

    // A 5xx at RCPT is as final as one after DATA.
    smtp.reply_to_data(None);
    smtp.reply_to_rcpt(Some("550 5.1.1 no such user"));
    app.file_valid(with(valid_complaint(), "email", "gone@example.com"))
        .await;
    let report = app.dispatch_emails_at(t0 + seconds(600)).await;
    assert_eq!(report.failed, 2, "{report:?}");
    assert!(app
        .dispatch_emails_at(t0 + seconds(5 * 3600))
        .await
        .is_empty());
    assert!(smtp.messages().is_empty());
    let rows = outbox_rows(&app).await;
    assert!(rows[2..]
        .iter()
        .all(|r| r.state == "failed" && r.attempts == 1));
}

#[tokio::test]
async fn temporary_failures_give_up_after_the_window_and_an_operator_retry_sends_again() {
    let smtp = SmtpServer::start_down().await;
    let app = app_with_smtp(&smtp, |c| c.outbox_give_up_hours = 1).await;
    app.file_valid(valid_complaint()).await;
    let t0 = now_utc();
    assert_eq!(app.dispatch_emails_at(t0).await.retried, 2);
    assert_eq!(app.dispatch_emails_at(t0 + seconds(1800)).await.retried, 2);
    let report = app.dispatch_emails_at(t0 + seconds(3660)).await;
    assert_eq!(report.given_up, 2, "{report:?}");
    for row in outbox_rows(&app).await {
        assert_eq!((row.state.as_str(), row.attempts), ("given_up", 3));
        assert!(row.last_error.unwrap().starts_with("gave up after 1 hours"));
    }
    smtp.resume().await;
    assert!(app.dispatch_emails_at(t0 + seconds(7200)).await.is_empty());
    assert!(smtp.messages().is_empty(), "given up means not sent");

    // The `/admin/outbox` retry button: pending again, with a fresh window.
    let ids: Vec<i64> = outbox_rows(&app).await.iter().map(|r| r.id).collect();
    let retried = app
        .db
        .write(move |conn| {
            let mut n = 0;
            for id in ids {
                n += usize::from(green_channel::db::outbox::retry(conn, id, now_utc())?);
            }
            Ok::<_, green_channel::db::DbError>(n)
        })
        .await
        .unwrap();
    assert_eq!(retried, 2);
    assert_eq!(app.dispatch_all_pending_emails().await.sent, 2);
    assert_eq!(smtp.messages().len(), 2);
    app.assert_no_unsent_emails().await;
}

#[tokio::test]
async fn past_the_daily_cap_complainant_mail_is_suppressed_but_department_mail_is_not() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp, |c| c.mail_per_recipient_per_day = 2).await;
    for _ in 0..3 {
        app.file_valid(valid_complaint()).await;
    }
    let report = app.dispatch_all_pending_emails().await;
    assert_eq!((report.sent, report.suppressed), (5, 1), "{report:?}");
    let messages = smtp.messages();
    assert_eq!(to(&messages, "zhang.san@example.com").len(), 2);
    assert_eq!(to(&messages, DEPARTMENT_INBOX).len(), 3);
    let suppressed: Vec<OutboxRow> = outbox_rows(&app)
        .await
        .into_iter()
        .filter(|r| r.state == "suppressed")
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0].recipient, "zhang.san@example.com");
    assert_eq!(suppressed[0].attempts, 0, "no attempt was made");
    assert!(suppressed[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("MAIL_PER_RECIPIENT_PER_DAY"));
    app.assert_no_unsent_emails().await;
}

#[tokio::test]
async fn each_row_has_its_own_stable_message_id() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp, |_| {}).await;
    app.file_valid(with(valid_complaint(), "email", "a@example.com"))
        .await;
    app.file_valid(with(valid_complaint(), "email", "b@example.com"))
        .await;
    app.dispatch_all_pending_emails().await;
    let messages = smtp.messages();
    let rows = outbox_rows(&app).await;
    assert_eq!(messages.len(), rows.len());
    let by_id: HashMap<String, &ReceivedMessage> =
        messages.iter().map(|m| (m.message_id(), m)).collect();
    assert_eq!(by_id.len(), rows.len(), "unique per row");
    for row in &rows {
        let message = by_id
            .get(&format!("<outbox-{}@gc.test>", row.id))
            .expect("a Message-ID made from the outbox id and MAIL_FROM's domain");
        assert_eq!(message.rcpt_to, std::slice::from_ref(&row.recipient));
        assert_eq!(message.subject(), row.subject);
    }
}

/// What a message's top-level headers may be; anything else was injected.
const HEADERS: [&str; 9] = [
    "from",
    "to",
    "subject",
    "message-id",
    "auto-submitted",
    "date",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

#[tokio::test]
async fn no_header_or_recipient_can_be_injected_through_any_form_field() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp, |_| {}).await;
    let payloads = [
        "\r\nBcc: attacker@evil.example",
        "\nX-Injected: yes\n\nbody",
        "\r\n.\r\nMAIL FROM:<x@evil.example>\r\nRCPT TO:<attacker@evil.example>\r\nDATA\r\n",
        " =?utf-8?q?=0D=0ABcc:_attacker@evil.example?=",
        " Bcc: attacker@evil.example",
    ];
    let fields = [
        ("business_name", "好又多超市"),
        ("business_address", "信州区中山路 88 号"),
        ("product", "婴儿奶粉"),
        ("description", "买到的奶粉已经过期三个月，商家拒绝退货。"),
        ("demand", "退货退款"),
        ("complainant_name", "张三"),
        ("phone", "13800138000"),
        ("email", "zhang.san@example.com"),
    ];
    let mut filed = 0;
    let mut refused = 0;
    for (field, base) in fields {
        for payload in payloads {
            let before = app.count("outbox").await;
            let response = app
                .file_complaint(with(valid_complaint(), field, &format!("{base}{payload}")))
                .await;
            match response.status().as_u16() {
                303 => filed += 1,
                422 => {
                    refused += 1;
                    assert_eq!(app.count("outbox").await, before, "nothing stored");
                }
                other => panic!("{field}: {other}"),
            }
        }
        // An address list or a display name in the email field is not an address.
        for address in [
            "zhang.san@example.com, attacker@evil.example",
            "张三 <zhang.san@example.com>",
            "zhang.san@example.com>\r\nRCPT TO:<attacker@evil.example",
        ] {
            let response = app
                .file_complaint(with(valid_complaint(), "email", address))
                .await;
            assert_eq!(response.status().as_u16(), 422, "{address:?}");
        }
    }
    assert!(filed > 0 && refused > 0, "filed {filed}, refused {refused}");
    let report = app.dispatch_all_pending_emails().await;
    assert_eq!(report.sent, filed * 2, "{report:?}");
    let messages = smtp.messages();
    assert_eq!(messages.len(), filed * 2, "no smuggled message");
    for message in &messages {
        assert!(
            message.rcpt_to == ["zhang.san@example.com"] || message.rcpt_to == [DEPARTMENT_INBOX],
            "{:?}",
            message.rcpt_to
        );
        for name in message.header_names() {
            assert!(HEADERS.contains(&name.as_str()), "injected header {name}");
        }
        assert!(!message.subject().contains("evil"), "{}", message.subject());
    }
    app.assert_no_unsent_emails().await;
}

async fn recover_page_token(app: &TestApp) -> String {
    let page = app.get_html("/track/recover").await;
    select_attr(&page, "input[name=csrf_token]", "value").expect("a CSRF token")
}

async fn post_recover(app: &TestApp, email: &str, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/track/recover"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept-language", "en")
        .body(serde_urlencoded::to_string([("email", email), ("csrf_token", token)]).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn recovery_answers_alike_for_known_and_unknown_addresses_and_mails_the_known_one() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp, |_| {}).await;
    let first = app.file_valid(valid_complaint()).await;
    let second = app.file_valid(valid_complaint()).await;
    let other = app
        .file_valid(with(valid_complaint(), "email", "li.si@example.com"))
        .await;
    app.dispatch_all_pending_emails().await;
    let filed = smtp.messages().len();

    let lookup = app.get_html("/track").await;
    assert_eq!(
        select_attr(&lookup, "a[href=\"/track/recover\"]", "href").as_deref(),
        Some("/track/recover"),
        "linked from the look-up page"
    );
    let token = recover_page_token(&app).await;
    let known = post_recover(&app, "zhang.san@example.com", &token).await;
    let unknown = post_recover(&app, "nobody@example.com", &token).await;
    assert_eq!(known.status().as_u16(), 200);
    assert_eq!(unknown.status().as_u16(), 200);
    let known = known.text().await.unwrap();
    assert_eq!(
        known,
        unknown.text().await.unwrap(),
        "the same page either way"
    );
    assert!(known.contains("id=\"recover-sent\""));
    assert!(!known.contains(&first), "no code on the page");

    let report = app.dispatch_all_pending_emails().await;
    assert_eq!(report.sent, 1, "only the known address gets mail");
    let messages = smtp.messages();
    let recovery = &messages[filed..];
    assert_eq!(recovery.len(), 1);
    let mail = &recovery[0];
    assert_eq!(mail.rcpt_to, ["zhang.san@example.com"]);
    assert_eq!(
        mail.subject(),
        "Your tracking codes at the Quality Complaint Green Channel"
    );
    for code in [&first, &second] {
        assert!(mail
            .text()
            .contains(&format!("http://gc.test/track/{code}")));
        assert!(mail
            .html()
            .contains(&format!("href=\"http://gc.test/track/{code}\"")));
    }
    assert!(!mail.text().contains(&other));
    app.assert_no_unsent_emails().await;
}

#[tokio::test]
async fn recovery_checks_the_address_and_the_csrf_token() {
    let app = spawn_app().await;
    let token = recover_page_token(&app).await;
    for (typed, message) in [
        ("not-an-address", "valid email address"),
        ("", "fill this in"),
    ] {
        let response = post_recover(&app, typed, &token).await;
        assert_eq!(response.status().as_u16(), 422, "{typed:?}");
        let page = response.text().await.unwrap();
        let error = crate::helpers::select_text(&page, "#email-error");
        assert_eq!(error.len(), 1, "{page}");
        assert!(error[0].to_lowercase().contains(message), "{error:?}");
        assert_eq!(
            select_attr(&page, "input[name=email]", "value").as_deref(),
            Some(typed),
            "what was typed is kept"
        );
    }
    let forged = post_recover(&app, "zhang.san@example.com", "forged").await;
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(app.count("outbox").await, 0);
}

#[tokio::test]
async fn recovery_is_rate_limited_per_address_and_per_client() {
    let app = spawn_app().await;
    let token = recover_page_token(&app).await;
    for _ in 0..3 {
        let response = post_recover(&app, "zhang.san@example.com", &token).await;
        assert_eq!(response.status().as_u16(), 200);
    }
    let over = post_recover(&app, "Zhang.San@example.com", &token).await;
    assert_eq!(
        over.status().as_u16(),
        429,
        "per address, whatever its case"
    );
    assert!(over.headers().contains_key("retry-after"));
    // Four requests so far; six more addresses reach the client's ten.
    for n in 0..6 {
        let response = post_recover(&app, &format!("someone{n}@example.com"), &token).await;
        assert_eq!(response.status().as_u16(), 200, "{n}");
    }
    let over = post_recover(&app, "someone.else@example.com", &token).await;
    assert_eq!(over.status().as_u16(), 429, "per client");
}

#[tokio::test]
async fn without_smtp_each_email_is_an_eml_file_named_by_its_outbox_id() {
    let app = spawn_app().await;
    app.file_valid(valid_complaint()).await;
    let report = app.dispatch_all_pending_emails().await;
    assert_eq!(report.sent, 2);
    for row in outbox_rows(&app).await {
        let path = app
            .data_dir
            .join("mail")
            .join(format!("outbox-{}.eml", row.id));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let message = ReceivedMessage {
            mail_from: String::new(),
            rcpt_to: vec![],
            data: bytes,
        };
        assert_eq!(message.subject(), row.subject);
        assert_eq!(message.message_id(), format!("<outbox-{}@gc.test>", row.id));
        assert_eq!(message.header("To"), Some(row.recipient.clone()));
    }
    app.assert_no_unsent_emails().await;
}

fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_show_the_outbox_and_requests_by_route_pattern_without_codes() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    assert_eq!(
        app.get(&format!("/track/{code}")).await.status().as_u16(),
        200
    );
    assert_eq!(
        app.get(&format!("/nothing/{code}")).await.status().as_u16(),
        404
    );
    assert_eq!(app.get("/track/recover").await.status().as_u16(), 200);

    let response = app.metrics().await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.unwrap();
    assert_eq!(
        metric(&text, "green_channel_outbox_messages{state=\"pending\"}"),
        Some(2.0)
    );
    assert_eq!(
        metric(&text, "green_channel_outbox_messages{state=\"sent\"}"),
        Some(0.0)
    );
    for state in ["failed", "given_up", "suppressed"] {
        let series = format!("green_channel_outbox_messages{{state=\"{state}\"}}");
        assert_eq!(metric(&text, &series), Some(0.0), "{state}");
    }
    let age = metric(&text, "green_channel_outbox_oldest_pending_age_seconds").unwrap();
    assert!((0.0..60.0).contains(&age), "{age}");
    assert_eq!(
        metric(
            &text,
            "green_channel_http_requests_total{route=\"/track/{code}\",method=\"GET\",status=\"200\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &text,
            "green_channel_http_requests_total{route=\"/complaints\",method=\"POST\",status=\"303\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &text,
            "green_channel_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}"
        ),
        Some(1.0)
    );
    assert!(text.contains(
        "green_channel_http_request_duration_seconds_bucket{route=\"/track/{code}\",method=\"GET\",le=\"+Inf\"} 1"
    ));
    assert_eq!(
        metric(
            &text,
            "green_channel_http_requests_total{route=\"/track/recover\",method=\"GET\",status=\"200\"}"
        ),
        Some(1.0),
        "a fixed path before a pattern keeps its own label"
    );
    assert!(!text.contains(&code), "no tracking code in any label");

    app.dispatch_all_pending_emails().await;
    let text = app.metrics().await.text().await.unwrap();
    assert_eq!(
        metric(&text, "green_channel_outbox_messages{state=\"sent\"}"),
        Some(2.0)
    );
    assert_eq!(
        metric(&text, "green_channel_outbox_messages{state=\"pending\"}"),
        Some(0.0)
    );
    assert_eq!(
        metric(&text, "green_channel_outbox_oldest_pending_age_seconds"),
        Some(0.0)
    );
}

#[tokio::test]
async fn the_running_worker_delivers_after_a_filing_without_being_asked() {
    let smtp = SmtpServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.smtp_url = Some(smtp.url());
    let app = start_with_mail_worker(config).await;
    app.file_valid(valid_complaint()).await;
    let messages = smtp
        .wait_until(Duration::from_secs(10), |m, _| m.len() >= 2)
        .await;
    assert_eq!(messages.len(), 2);
    // Sent means marked: the worker records each message right after the server took it.
    for _ in 0..50 {
        if outbox_rows(&app).await.iter().all(|r| r.state == "sent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.assert_no_unsent_emails().await;
    tokio::time::timeout(Duration::from_secs(20), app.stop())
        .await
        .expect("the server and its worker stop");
}

/// The real binary, on a data folder and an SMTP server.
struct Service {
    child: std::process::Child,
    address: String,
}

impl Service {
    /// SIGKILL: no shutdown code runs.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_service(data_dir: &std::path::Path, smtp: &SmtpServer) -> Service {
    let port = free_port();
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data_dir.join("service.log"))
        .unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_green-channel"));
    command.env_clear();
    let child = crate::test_database::binary_env(&mut command, data_dir)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("BASE_URL", "http://gc.test")
        .env("SMTP_URL", smtp.url())
        .env("MAIL_FROM", "Green Channel <no-reply@gc.test>")
        .env("ADMIN_PASSWORD", "admin-password-for-tests")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    // Owned by `Service` at once, so that a failed start is killed and reaped too.
    let service = Service {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(response) = client
            .get(format!("{}/healthz", service.address))
            .send()
            .await
        {
            if response.status().is_success() {
                return service;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the service did not start; see {}",
        data_dir.join("service.log").display()
    );
}

/// Files a valid complaint over HTTP as a browser would (form, token, post).
async fn file_over_http(address: &str, email: &str) {
    let client = crate::helpers::client();
    let form = client
        .get(format!("{address}/complaints/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut fields = with(valid_complaint(), "email", email);
    fields.push((
        "csrf_token",
        select_attr(&form, "input[name=csrf_token]", "value").unwrap(),
    ));
    fields.push((
        "submission_id",
        select_attr(&form, "input[name=submission_id]", "value").unwrap(),
    ));
    let response = client
        .post(format!("{address}/complaints"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&fields).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
}

fn read_outbox(data_dir: &std::path::Path) -> Vec<OutboxRow> {
    let location = crate::test_database::database_for(data_dir);
    let db = green_channel::db::Database::open(&location, 1).unwrap();
    db.read_blocking(|conn| {
        Ok(outbox::table
            .order(outbox::id)
            .select(OutboxRow::as_select())
            .load(conn)?)
    })
    .unwrap()
}

/// Ends every lease now, as if the lease time had passed.
fn expire_leases(data_dir: &std::path::Path) {
    let location = crate::test_database::database_for(data_dir);
    let db = green_channel::db::Database::open(&location, 1).unwrap();
    let past = now_utc() - seconds(1);
    db.write_blocking(move |conn| {
        diesel::update(outbox::table.filter(outbox::lease_until.is_not_null()))
            .set(outbox::lease_until.eq(Some(past)))
            .execute(conn)
            .map_err(green_channel::db::DbError::from)
    })
    .unwrap();
}

#[tokio::test]
async fn killed_between_claiming_and_marking_every_message_is_delivered_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start().await;
    smtp.hold_data(true);
    let mut service = start_service(dir.path(), &smtp).await;
    for n in 0..3 {
        file_over_http(&service.address, &format!("resident{n}@example.com")).await;
    }
    // The worker has claimed rows and is waiting for the server's answer to DATA.
    smtp.wait_until(Duration::from_secs(20), |_, data_seen| data_seen >= 1)
        .await;
    service.kill();
    // The worker sends a batch at once: every message the server took (and holds) is one
    // the dead process never recorded as sent.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let held = smtp.data_seen();

    let claimed = read_outbox(dir.path());
    assert_eq!(claimed.len(), 6, "2 emails per filing");
    assert!(
        claimed
            .iter()
            .any(|r| r.state == "pending" && r.lease_until.is_some()),
        "killed while rows were claimed and unmarked: {claimed:?}"
    );
    let expected: BTreeSet<String> = claimed
        .iter()
        .map(|r| format!("<outbox-{}@gc.test>", r.id))
        .collect();
    if crate::test_database::on_postgres() {
        // Other instances may be running on PostgreSQL, so a start does not take leases back
        // as SQLite's single process does: the dead process's claims come free when their
        // lease runs out. That time passes here.
        expire_leases(dir.path());
    }

    smtp.hold_data(false);
    let mut service = start_service(dir.path(), &smtp).await;
    // Every message, and the second copies of the held ones: the ids alone can be complete
    // (the held first copies count) before those copies arrive.
    smtp.wait_until(Duration::from_secs(30), |messages, _| {
        let ids: BTreeSet<String> = messages.iter().map(|m| m.message_id()).collect();
        ids.is_superset(&expected) && messages.len() >= expected.len() + held
    })
    .await;
    // Let the worker record the last deliveries before stopping it.
    let mut delivered = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        delivered = read_outbox(dir.path());
        if delivered.iter().all(|r| r.state == "sent") {
            break;
        }
    }
    service.kill();
    // Read after the worker stopped, so that a copy too many would be seen.
    let messages = smtp.messages();

    assert!(delivered.iter().all(|r| r.state == "sent"), "{delivered:?}");
    let mut copies: HashMap<String, Vec<&ReceivedMessage>> = HashMap::new();
    for message in &messages {
        assert!(
            expected.contains(&message.message_id()),
            "{}",
            message.message_id()
        );
        copies
            .entry(message.message_id())
            .or_default()
            .push(message);
    }
    for (id, same) in copies {
        // A second copy only for what the killed process had handed over, and identical.
        assert!(same.len() <= 2, "{id}: {} copies", same.len());
        for copy in &same[1..] {
            assert_eq!(copy.rcpt_to, same[0].rcpt_to);
            assert_eq!(copy.subject(), same[0].subject());
            assert_eq!(copy.text(), same[0].text());
        }
    }
    // The server had taken the messages in flight but not answered them: those, and only
    // those, arrive twice, recognisable by their Message-ID.
    assert!(held >= 1);
    assert_eq!(messages.len(), expected.len() + held);
}

/// Several workers claiming at once never take the same row: a lease under `BEGIN
/// IMMEDIATE` on SQLite; `FOR UPDATE SKIP LOCKED` on PostgreSQL (the suite's run there).
#[tokio::test]
async fn concurrent_claims_never_take_the_same_row() {
    use green_channel::db::outbox as rows;
    use green_channel::db::{Database, DbError};
    let dir = tempfile::tempdir().unwrap();
    let location = crate::test_database::database_for(dir.path());
    let _database = crate::test_database::DatabaseGuard::of(dir.path());
    let db = tokio::task::spawn_blocking(move || Database::open(&location, 8).unwrap())
        .await
        .unwrap();
    let now = now_utc();
    let template = format!("claim-test-{}", uuid::Uuid::new_v4());
    let mine = template.clone();
    let ids: Vec<i64> = db
        .write(move |conn| {
            for n in 0..40 {
                rows::insert(
                    conn,
                    &rows::NewOutboxRow {
                        complaint_id: None,
                        recipient: format!("r{n}@example.com"),
                        recipient_kind: "department".into(),
                        template: mine.clone(),
                        locale: "zh-Hans".into(),
                        subject: "s".into(),
                        text_body: "t".into(),
                        html_body: "h".into(),
                        state: "pending".into(),
                        attempts: 0,
                        due_at: now - seconds(1),
                        created_at: now,
                    },
                )?;
            }
            Ok::<_, DbError>(
                outbox::table
                    .filter(outbox::template.eq(&mine))
                    .select(outbox::id)
                    .load(conn)?,
            )
        })
        .await
        .unwrap();
    let claimers: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut claimed = Vec::new();
                loop {
                    let batch = db
                        .write(move |conn| rows::claim_due(conn, now, now + seconds(600), 3))
                        .await
                        .unwrap();
                    if batch.is_empty() {
                        return claimed;
                    }
                    claimed.extend(batch.into_iter().map(|r| (r.id, r.template)));
                }
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for claimer in claimers {
        claimed.extend(
            claimer
                .await
                .unwrap()
                .into_iter()
                .filter(|(_, t)| *t == template)
                .map(|(id, _)| id),
        );
    }
    claimed.sort_unstable();
    let mut expected = ids.clone();
    expected.sort_unstable();
    assert_eq!(claimed, expected, "every row once, none twice");
    // Nothing left pending: the end-of-test check would try to deliver it.
    db.write(move |conn| {
        for id in ids {
            rows::mark_sent(conn, id, now)?;
        }
        Ok::<_, DbError>(())
    })
    .await
    .unwrap();
}
