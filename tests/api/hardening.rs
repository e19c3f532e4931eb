//! Issue 14's hardening, as an attacker would try it: bodies that are not forms or not
//! UTF-8 text, and what a stranger can do with another's filing or a planted cookie.
//! Every refusal is a page and stores nothing.

use reqwest::multipart::{Form, Part};
use reqwest::Response;

use crate::helpers::{select_text, spawn_app, valid_complaint, TestApp, ADMIN_PASSWORD};
use crate::triage::complaint;

const URLENCODED: &str = "application/x-www-form-urlencoded";

/// The urlencoded body of a valid filing with this app's tokens, then `extra` as raw bytes.
async fn filing_body_with(app: &TestApp, extra: &[u8]) -> Vec<u8> {
    let tokens = app.open_form().await;
    let mut fields = valid_complaint();
    fields.push(("csrf_token", tokens.csrf_token));
    fields.push(("submission_id", tokens.submission_id));
    let mut body = serde_urlencoded::to_string(&fields).unwrap().into_bytes();
    body.extend_from_slice(extra);
    body
}

async fn assert_refused_as_not_a_form(app: &TestApp, case: &str, response: Response) {
    let status = response.status().as_u16();
    let html = response.text().await.unwrap();
    assert_eq!(status, 415, "{case}: {html}");
    assert_eq!(
        select_text(&html, "h1"),
        vec!["无法读取提交的内容".to_owned()],
        "{case}: a page"
    );
    assert_eq!(app.stored_rows().await, [0; 5], "{case}: nothing stored");
}

#[tokio::test]
async fn a_filing_that_is_not_a_form_is_refused_with_415_and_stores_nothing() {
    let app = spawn_app().await;
    let form_body = filing_body_with(&app, b"").await;
    for (case, content_type) in [
        ("text/plain", Some("text/plain")),
        (
            "text/plain with a charset",
            Some("text/plain; charset=utf-8"),
        ),
        ("JSON", Some("application/json")),
        ("no content type", None),
        ("an empty content type", Some("")),
        (
            "a form type as a prefix",
            Some("application/x-www-form-urlencodedx"),
        ),
        ("octet stream", Some("application/octet-stream")),
    ] {
        let mut request = app
            .client
            .post(app.url("/complaints"))
            .body(form_body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_refused_as_not_a_form(&app, case, response).await;
    }
    // The form's own types, in any case and with parameters, still file.
    let response = app
        .post_raw(
            "/complaints",
            "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
            filing_body_with(&app, b"").await,
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn a_staff_post_that_is_not_a_form_is_refused_with_415_and_changes_nothing() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let case = complaint(&app, &code).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let token = app.admin_csrf(&admin, "/admin/password").await;
    let events = app.count("events").await;
    let body = serde_urlencoded::to_string([
        ("csrf_token", token.as_str()),
        ("version", &case.version.to_string()),
        ("note", "一条备注"),
    ])
    .unwrap();
    for content_type in [Some("text/plain"), None] {
        let mut request = admin
            .post(app.url(&format!("/admin/complaints/{}/note", case.id)))
            .body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 415, "{content_type:?}");
    }
    assert_eq!(app.count("events").await, events, "no note added");
}

/// Bytes that are not UTF-8: 投诉 in GBK, raw and percent-encoded, and stray bytes.
fn not_utf8_values() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("raw GBK", b"\xcd\xb6\xcb\xdf".to_vec()),
        ("percent-encoded GBK", b"%CD%B6%CB%DF".to_vec()),
        ("a lone continuation byte", b"ok%80".to_vec()),
        ("an overlong slash", b"%C0%AF".to_vec()),
        ("a UTF-16 surrogate", b"%ED%A0%80".to_vec()),
    ]
}

async fn assert_refused_naming(app: &TestApp, case: &str, field: &str, response: Response) {
    let status = response.status().as_u16();
    let html = response.text().await.unwrap();
    assert_eq!(status, 422, "{case}: {html}");
    assert_eq!(
        select_text(&html, "h1"),
        vec!["文字编码无法识别".to_owned()],
        "{case}"
    );
    assert!(
        select_text(&html, "main p")
            .iter()
            .any(|p| p.contains(&format!("“{field}”"))),
        "{case}: the field is named: {html}"
    );
    assert_eq!(app.stored_rows().await, [0; 5], "{case}: nothing stored");
}

#[tokio::test]
async fn a_urlencoded_field_that_is_not_utf8_is_refused_by_name_and_stores_nothing() {
    let app = spawn_app().await;
    for field in [
        "business_name",
        "description",
        "complainant_name",
        "email",
        "consent",
    ] {
        for (case, value) in not_utf8_values() {
            // The field replaced by the bad bytes (a second value would be a repeat).
            let tokens = app.open_form().await;
            let mut fields: Vec<(&str, String)> = valid_complaint()
                .into_iter()
                .filter(|(name, _)| *name != field)
                .collect();
            fields.push(("csrf_token", tokens.csrf_token));
            fields.push(("submission_id", tokens.submission_id));
            let mut body = serde_urlencoded::to_string(&fields).unwrap().into_bytes();
            body.extend_from_slice(format!("&{field}=").as_bytes());
            body.extend_from_slice(&value);
            let response = app.post_raw("/complaints", URLENCODED, body).await;
            assert_refused_naming(&app, &format!("{field}, {case}"), field, response).await;
        }
    }
    // A field name that is not UTF-8 is refused too, named as well as it can be.
    let body = filing_body_with(&app, b"&note%FF=x").await;
    let response = app.post_raw("/complaints", URLENCODED, body).await;
    assert_refused_naming(&app, "a bad name", "note\u{fffd}", response).await;
}

#[tokio::test]
async fn a_multipart_field_that_is_not_utf8_is_refused_by_name_and_stores_nothing() {
    let app = spawn_app().await;
    for (case, value) in [
        ("raw GBK", b"\xcd\xb6\xcb\xdf".to_vec()),
        ("a lone byte", b"\xff".to_vec()),
    ] {
        let tokens = app.open_form().await;
        let mut form = Form::new()
            .text("csrf_token", tokens.csrf_token)
            .text("submission_id", tokens.submission_id);
        for (name, text) in valid_complaint() {
            if name != "description" {
                form = form.text(name, text);
            }
        }
        form = form.part("description", Part::bytes(value));
        let response = app
            .client
            .post(app.url("/complaints"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_refused_naming(&app, case, "description", response).await;
    }
}

#[tokio::test]
async fn a_staff_field_that_is_not_utf8_is_refused_by_name_and_changes_nothing() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let case = complaint(&app, &code).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let token = app.admin_csrf(&admin, "/admin/password").await;
    let events = app.count("events").await;
    let mut body = serde_urlencoded::to_string([
        ("csrf_token", token.as_str()),
        ("version", &case.version.to_string()),
    ])
    .unwrap()
    .into_bytes();
    body.extend_from_slice(b"&note=%CD%B6%CB%DF");
    let response = admin
        .post(app.url(&format!("/admin/complaints/{}/note", case.id)))
        .header("content-type", URLENCODED)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("“note”"), "{html}");
    assert_eq!(app.count("events").await, events, "no note added");
}

/// A business name written as a phishing lure, filed with a stranger's address.
const LURE: &str = "URGENT refund: log in at http://evil.example/login";
const STRANGER: &str = "stranger@example.org";

/// Every email in the outbox: recipient, subject, text and HTML.
async fn outbox_emails(app: &TestApp) -> Vec<(String, String, String, String)> {
    use diesel::prelude::*;
    use green_channel::db::schema::outbox;
    app.db
        .read(|conn| {
            Ok(outbox::table
                .order(outbox::id)
                .select((
                    outbox::recipient,
                    outbox::subject,
                    outbox::text_body,
                    outbox::html_body,
                ))
                .load(conn)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_service_relays_no_filer_text_to_the_address_given_and_no_filer_link_anywhere() {
    let app = spawn_app().await;
    let mut fields = crate::helpers::with(valid_complaint(), "business_name", LURE);
    fields = crate::helpers::with(fields, "email", STRANGER);
    fields = crate::helpers::with(
        fields,
        "description",
        "Your account is locked, visit www.evil.example now",
    );
    app.file_valid(fields).await;
    // The stranger asks for "their" codes too.
    let page = app.get_html("/track/recover").await;
    let token = crate::helpers::select_attr(&page, "input[name=csrf_token]", "value").unwrap();
    let response = app
        .post_form(
            "/track/recover",
            &[("email", STRANGER.to_owned()), ("csrf_token", token)],
        )
        .await;
    assert!(response.status().is_success() || response.status().is_redirection());

    let emails = outbox_emails(&app).await;
    let to_stranger: Vec<_> = emails.iter().filter(|e| e.0 == STRANGER).collect();
    assert_eq!(
        to_stranger.len(),
        2,
        "the receipt and the recovery: {emails:?}"
    );
    for (to, subject, text, html) in &emails {
        for part in [subject, text, html] {
            assert!(
                !part.contains("evil.example"),
                "a filer's link to {to}: {part}"
            );
            if to == STRANGER {
                assert!(
                    !part.contains("URGENT"),
                    "the filer's words to {to}: {part}"
                );
                assert!(!part.contains("account is locked"), "{to}: {part}");
            }
        }
    }
    // The department still reads what was filed, with the link broken up.
    let department = emails
        .iter()
        .find(|e| e.0 != STRANGER)
        .expect("the department's notice");
    assert!(
        department
            .2
            .contains("URGENT refund: log in at http[://]evil[.]example/login"),
        "{}",
        department.2
    );
    app.dispatch_all_pending_emails().await;
}

/// Posts a filing from `browser` with its own form's token and the given submission id.
async fn file_as_visitor(
    app: &TestApp,
    browser: &reqwest::Client,
    submission_id: &str,
) -> Response {
    let page = browser
        .get(app.url("/complaints/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = crate::helpers::select_attr(&page, "input[name=csrf_token]", "value").unwrap();
    let mut fields = valid_complaint();
    fields.push(("csrf_token", token));
    fields.push(("submission_id", submission_id.to_owned()));
    browser
        .post(app.url("/complaints"))
        .header("content-type", URLENCODED)
        .body(serde_urlencoded::to_string(&fields).unwrap())
        .send()
        .await
        .unwrap()
}

fn location(response: &Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn another_visitors_submission_id_files_anew_and_never_leads_to_their_case() {
    let app = spawn_app().await;
    let resident = crate::helpers::client();
    let submission = uuid::Uuid::new_v4().to_string();
    let first = file_as_visitor(&app, &resident, &submission).await;
    assert_eq!(first.status().as_u16(), 303);
    let residents_page = location(&first);

    // The resident's own resend: the first answer, nothing new.
    let again = file_as_visitor(&app, &resident, &submission).await;
    assert_eq!(location(&again), residents_page);
    assert_eq!(app.count("complaints").await, 1);

    // A stranger with a valid pair of their own and the resident's id: a filing of theirs.
    let stranger = crate::helpers::client();
    let theirs = file_as_visitor(&app, &stranger, &submission).await;
    assert_eq!(theirs.status().as_u16(), 303);
    assert_ne!(
        location(&theirs),
        residents_page,
        "never the resident's case"
    );
    assert_eq!(app.count("complaints").await, 2);
    // And their own resend is theirs.
    let theirs_again = file_as_visitor(&app, &stranger, &submission).await;
    assert_eq!(location(&theirs_again), location(&theirs));
    assert_eq!(app.count("complaints").await, 2);

    // An invalid filing with the resident's id, from a third visitor: the form again.
    let prober = crate::helpers::client();
    let page = prober
        .get(app.url("/complaints/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = crate::helpers::select_attr(&page, "input[name=csrf_token]", "value").unwrap();
    let body = serde_urlencoded::to_string([
        ("csrf_token", token.as_str()),
        ("submission_id", submission.as_str()),
    ])
    .unwrap();
    let probe = prober
        .post(app.url("/complaints"))
        .header("content-type", URLENCODED)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        probe.status().as_u16(),
        422,
        "no way to the resident's case"
    );
}

async fn staff_file(
    app: &TestApp,
    browser: &reqwest::Client,
    submission_id: &str,
) -> (u16, Vec<String>) {
    let token = app.admin_csrf(browser, "/admin/complaints/new").await;
    let mut fields = crate::helpers::with(valid_complaint(), "channel", "phone");
    fields.push(("csrf_token", token));
    fields.push(("submission_id", submission_id.to_owned()));
    let response = browser
        .post(app.url("/admin/complaints/new"))
        .header("content-type", URLENCODED)
        .body(serde_urlencoded::to_string(&fields).unwrap())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let html = response.text().await.unwrap();
    (status, select_text(&html, "#tracking-code"))
}

#[tokio::test]
async fn a_staff_filing_is_replayed_only_to_the_member_who_filed_it() {
    let app = spawn_app().await;
    app.create_user("hotline", "clerk", "quality-office").await;
    app.create_user("other-clerk", "clerk", "agriculture").await;
    let hotline = app.login("hotline", crate::helpers::STAFF_PASSWORD).await;
    let other = app
        .login("other-clerk", crate::helpers::STAFF_PASSWORD)
        .await;
    let submission = uuid::Uuid::new_v4().to_string();

    let (status, first) = staff_file(&app, &hotline, &submission).await;
    assert_eq!((status, first.len()), (200, 1));
    let (_, again) = staff_file(&app, &hotline, &submission).await;
    assert_eq!(again, first, "the same member's resend shows the same code");
    assert_eq!(app.count("complaints").await, 1);

    let (status, theirs) = staff_file(&app, &other, &submission).await;
    assert_eq!(status, 200);
    assert_eq!(theirs.len(), 1);
    assert_ne!(theirs, first, "never another member's case code");
    assert_eq!(app.count("complaints").await, 2);
}

#[tokio::test]
async fn a_planted_csrf_cookie_is_never_signed_into_a_working_pair() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    // Well-formed as the old cookies were: a nonce and an issue time, no server MAC.
    let planted = format!("{}.{now}", "P".repeat(43));
    let response = crate::helpers::cookieless_client()
        .get(app.url("/complaints/new"))
        .header("cookie", format!("gc_csrf={planted}"))
        .send()
        .await
        .unwrap();
    let issued = crate::helpers::cookie_value(&response, "gc_csrf").expect("a cookie of ours");
    assert_ne!(
        issued, planted,
        "the planted value is replaced, not adopted"
    );
    let html = response.text().await.unwrap();
    let token = crate::helpers::select_attr(&html, "input[name=csrf_token]", "value").unwrap();
    // The page's token works with the server's cookie only.
    let mut fields = valid_complaint();
    fields.push(("csrf_token", token));
    fields.push(("submission_id", uuid::Uuid::new_v4().to_string()));
    for (cookie, status) in [(planted.as_str(), 403), (issued.as_str(), 303)] {
        let response = crate::helpers::post_filing_with_cookie_header(
            &app,
            Some(&format!("gc_csrf={cookie}")),
            &fields,
        )
        .await;
        assert_eq!(response.status().as_u16(), status, "{cookie}");
    }
}

#[tokio::test]
async fn over_https_the_csrf_cookie_is_host_prefixed_and_an_unprefixed_one_is_refused() {
    let app = crate::helpers::spawn_app_with(|c| c.base_url = "https://gc.test".into()).await;
    let form = app.get("/complaints/new").await;
    let set_cookie = crate::helpers::set_cookies(&form)
        .into_iter()
        .find(|c| c.starts_with("__Host-gc_csrf="))
        .expect("a __Host- cookie");
    let attributes: Vec<String> = set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.contains(&"secure".to_owned()), "{set_cookie}");
    assert!(attributes.contains(&"path=/".to_owned()), "{set_cookie}");
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain")),
        "{set_cookie}"
    );
    let cookie = crate::helpers::cookie_value(&form, "__Host-gc_csrf").unwrap();
    let html = form.text().await.unwrap();
    let token = crate::helpers::select_attr(&html, "input[name=csrf_token]", "value").unwrap();
    let mut fields = valid_complaint();
    fields.push(("csrf_token", token));
    fields.push(("submission_id", uuid::Uuid::new_v4().to_string()));
    // The same value under the name a sibling subdomain could set: refused.
    let response = crate::helpers::post_filing_with_cookie_header(
        &app,
        Some(&format!("gc_csrf={cookie}")),
        &fields,
    )
    .await;
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(app.stored_rows().await, [0; 5]);
}

const BOUNDARY: &str = "hardening-boundary";

/// A multipart request begun over a raw connection: the head with a `Content-Length` of
/// `declared`, then `sent` of the body, and no more (the connection stays open).
fn begin_multipart(
    app: &TestApp,
    cookie: Option<&str>,
    declared: usize,
    sent: &[u8],
) -> std::net::TcpStream {
    use std::io::Write as _;
    let host = app.address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    // A server that waited for the whole body would never answer: fail instead of hanging.
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let cookie = cookie
        .map(|c| format!("Cookie: gc_csrf={c}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST /complaints HTTP/1.1\r\nHost: {host}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {declared}\r\n{cookie}\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(sent).unwrap();
    stream
}

/// The status line's code of the answer on `stream`.
fn answer_status(stream: &mut std::net::TcpStream) -> u16 {
    use std::io::Read as _;
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n") {
        let n = stream
            .read(&mut byte)
            .expect("an answer before the body was sent");
        assert_eq!(n, 1, "the connection closed without an answer");
        seen.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&seen).into_owned();
    line.split(' ').nth(1).unwrap().parse().unwrap()
}

fn text_part(name: &str, value: &str) -> String {
    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
}

/// A CSRF cookie and its token, as a visitor's browser holds them.
async fn visitor_pair(app: &TestApp) -> (String, String) {
    let response = crate::helpers::cookieless_client()
        .get(app.url("/complaints/new"))
        .send()
        .await
        .unwrap();
    let cookie = crate::helpers::cookie_value(&response, "gc_csrf").unwrap();
    let html = response.text().await.unwrap();
    let token = crate::helpers::select_attr(&html, "input[name=csrf_token]", "value").unwrap();
    (cookie, token)
}

#[tokio::test]
async fn a_multipart_body_is_not_read_without_a_cookie_that_can_make_a_pair() {
    let app = spawn_app().await;
    let planted = format!("{}.{}", "P".repeat(43), chrono::Utc::now().timestamp());
    for cookie in [None, Some(planted.as_str())] {
        let start = text_part("csrf_token", "whatever");
        let mut stream = begin_multipart(&app, cookie, 20 * 1024 * 1024, start.as_bytes());
        let status = tokio::task::spawn_blocking(move || answer_status(&mut stream))
            .await
            .unwrap();
        assert_eq!(
            status, 403,
            "{cookie:?}: answered before the 20 MiB arrived"
        );
    }
    assert_eq!(app.stored_rows().await, [0; 5]);
}

#[tokio::test]
async fn files_before_the_token_or_much_text_before_it_are_refused_unread() {
    let app = spawn_app().await;
    let (cookie, token) = visitor_pair(&app).await;
    let file = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"a.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    );
    let long_text = text_part("description", &"x".repeat(8 * 1024));
    let token_part = text_part("csrf_token", &token);
    for (case, start) in [
        ("a file first", file.clone()),
        ("8 KiB of text first", long_text),
        (
            "a wrong token, then a file",
            text_part("csrf_token", "forged") + &file,
        ),
    ] {
        let mut stream = begin_multipart(&app, Some(&cookie), 20 * 1024 * 1024, start.as_bytes());
        let status = tokio::task::spawn_blocking(move || answer_status(&mut stream))
            .await
            .unwrap();
        assert_eq!(status, 403, "{case}");
    }
    assert_eq!(app.stored_rows().await, [0; 5]);
    // The token first, as the form sends it: the file is read (and the filing goes on).
    let mut fields = valid_complaint();
    fields.push(("submission_id", uuid::Uuid::new_v4().to_string()));
    let mut body = token_part;
    for (name, value) in &fields {
        body += &text_part(name, value);
    }
    body += &file;
    body += &format!("\r\n--{BOUNDARY}--\r\n");
    let mut stream = begin_multipart(&app, Some(&cookie), body.len(), body.as_bytes());
    let status = tokio::task::spawn_blocking(move || answer_status(&mut stream))
        .await
        .unwrap();
    assert_eq!(status, 303);
}

async fn uploads_in_flight(app: &TestApp) -> usize {
    let text = app.metrics().await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("green_channel_uploads_in_flight "))
        .expect("the gauge")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn concurrent_uploads_are_bounded_and_one_more_gets_503() {
    let app = spawn_app().await;
    let (cookie, token) = visitor_pair(&app).await;
    // Four uploads under way, each stalled inside its file.
    let start = text_part("csrf_token", &token)
        + &format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachments\"; \
             filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n"
        );
    let held: Vec<_> = (0..4)
        .map(|_| begin_multipart(&app, Some(&cookie), 5 * 1024 * 1024, start.as_bytes()))
        .collect();
    while uploads_in_flight(&app).await < 4 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (cookie2, token2) = visitor_pair(&app).await;
    let form = Form::new()
        .text("csrf_token", token2.clone())
        .text("submission_id", uuid::Uuid::new_v4().to_string())
        .part(
            "attachments",
            Part::bytes(b"%PDF-1.4\n".to_vec()).file_name("b.pdf"),
        );
    let response = crate::helpers::cookieless_client()
        .post(app.url("/complaints"))
        .header("cookie", format!("gc_csrf={cookie2}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(app.stored_rows().await, [0; 5]);

    // The stalled ones go away: their slots are free again.
    drop(held);
    while uploads_in_flight(&app).await > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut form = Form::new()
        .text("csrf_token", token2)
        .text("submission_id", uuid::Uuid::new_v4().to_string());
    for (name, value) in valid_complaint() {
        form = form.text(name, value);
    }
    let response = crate::helpers::cookieless_client()
        .post(app.url("/complaints"))
        .header("cookie", format!("gc_csrf={cookie2}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn a_mail_servers_reason_shows_no_address_on_the_outbox_page() {
    use diesel::prelude::*;
    use green_channel::db::schema::outbox;
    let mut app = spawn_app().await;
    app.file_valid(valid_complaint()).await;
    // The server refused the receipt and echoed the address (and a second one) back.
    app.db
        .write(|conn| {
            Ok::<_, green_channel::db::DbError>(
                diesel::update(outbox::table.filter(outbox::recipient_kind.eq("complainant")))
                    .set((
                        outbox::state.eq("failed"),
                        outbox::attempts.eq(1),
                        outbox::last_error.eq(Some(
                            "550 5.1.1 <zhang.san@example.com>: unknown; see postmaster@mx.example.net",
                        )),
                    ))
                    .execute(conn)?,
            )
        })
        .await
        .unwrap();
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let html = app.html_as(&admin, "/admin/outbox").await;
    assert!(html.contains("550 5.1.1"), "the reason is shown: {html}");
    assert!(!html.contains("zhang.san@"), "{html}");
    assert!(!html.contains("postmaster@"), "{html}");
    assert!(html.contains("z***@example.com"), "{html}");
    app.check_emails_on_drop = false;
}

#[tokio::test]
async fn expired_sessions_and_stale_sign_in_counts_are_cleaned_up() {
    use green_channel::services::housekeeping::{clean, Cleaned, SessionLifetime};
    let app = spawn_app().await;
    let _admin = app.login("admin", ADMIN_PASSWORD).await;
    // Wrong passwords for names no one has: rows nothing else would ever delete.
    for name in ["ghost-1", "ghost-2"] {
        let (_, status) = crate::helpers::try_login_at(&app.address, name, "wrong-password").await;
        assert_eq!(status, 401);
    }
    let counts = || async {
        [
            app.count("sessions").await,
            app.count("login_throttle").await,
            app.count("login_address_throttle").await,
        ]
    };
    assert_eq!(counts().await, [1, 2, 2]);
    let lifetime = SessionLifetime {
        idle_minutes: app.config.session_idle_minutes,
        absolute_hours: 12,
    };
    let now = green_channel::services::now_utc();
    // Now: everything is still in use.
    let cleaned = clean(&app.db, lifetime, now).await.unwrap();
    assert_eq!(cleaned, Cleaned::default());
    assert_eq!(counts().await, [1, 2, 2]);
    // A day and an hour later: the idle session and the forgotten counts are gone.
    let later = now + chrono::Duration::hours(25);
    let cleaned = clean(&app.db, lifetime, later).await.unwrap();
    // (On PostgreSQL the failed sign-ins' shared limit hits go too: `limit_hits`.)
    assert_eq!((cleaned.sessions, cleaned.throttles), (1, 4));
    assert_eq!(counts().await, [0, 0, 0]);
}

fn settings(args: &[&str]) -> green_channel::config::Settings {
    use clap::Parser as _;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        settings: green_channel::config::Settings,
    }
    let mut all = vec!["gc"];
    all.extend_from_slice(args);
    Cli::parse_from(all).settings
}

#[test]
fn a_short_admin_password_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    for (password, accepted) in [
        ("short", false),
        ("123456789", false),
        ("密码密码密码密码密", false),
        ("1234567890", true),
        ("密码密码密码密码密码", true),
    ] {
        let config = settings(&["--data-dir", data, "--admin-password", password]).into_config();
        match (config, accepted) {
            (Ok(config), true) => assert_eq!(config.admin_password.as_deref(), Some(password)),
            (Err(error), false) => assert!(
                error
                    .to_string()
                    .contains("ADMIN_PASSWORD must be at least 10"),
                "{error}"
            ),
            (outcome, _) => panic!("{password:?}: {:?}", outcome.map(|_| ())),
        }
    }
    // Set but empty: as if unset (a random one is made and printed once).
    let config = settings(&["--data-dir", data, "--admin-password", ""])
        .into_config()
        .unwrap();
    assert_eq!(config.admin_password, None);
}

#[test]
fn serving_on_a_public_address_needs_a_base_url() {
    for (listen, base_url, fine) in [
        ("127.0.0.1:8080", None, true),
        ("[::1]:8080", None, true),
        ("localhost:8080", None, true),
        ("0.0.0.0:8080", None, false),
        ("[::]:8080", None, false),
        ("192.0.2.7:8080", None, false),
        ("gc.example:8080", None, false),
        ("0.0.0.0:8080", Some(""), false),
        ("0.0.0.0:8080", Some("https://gc.example"), true),
    ] {
        let mut args = vec!["--listen-addr", listen];
        if let Some(base_url) = base_url {
            args.extend(["--base-url", base_url]);
        }
        let checked = settings(&args).check_for_serving();
        assert_eq!(checked.is_ok(), fine, "{listen} {base_url:?}: {checked:?}");
    }
}

#[tokio::test]
async fn the_binary_refuses_to_serve_on_a_public_address_without_a_base_url() {
    let app = spawn_app().await;
    let output = crate::sweeper::command(&app, &["serve"])
        .env_remove("BASE_URL")
        .env("LISTEN_ADDR", "0.0.0.0:0")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("BASE_URL must be set"), "{stderr}");
}

#[tokio::test]
async fn hsts_is_sent_when_the_service_is_reached_over_https_only() {
    let https = crate::helpers::spawn_app_with(|c| c.base_url = "https://gc.test".into()).await;
    let plain = spawn_app().await;
    for path in ["/", "/complaints/new", "/no-such-page"] {
        let response = https.get(path).await;
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
        let response = plain.get(path).await;
        assert!(
            !response.headers().contains_key("strict-transport-security"),
            "{path}"
        );
    }
}
