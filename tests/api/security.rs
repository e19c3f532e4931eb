//! The public form's defences (DESIGN §4, §5): CSRF, honeypot, idempotent filing, body size,
//! rate limits, security headers, cookie attributes, escaping and the language switch's
//! redirect. Every refusal is a page and stores nothing.

use diesel::prelude::*;
use green_channel::db::schema::outbox;
use reqwest::Response;

use crate::helpers::{
    cookie_value, cookieless_client, mint_csrf_cookie, select_attr, select_text, set_cookies,
    sign_csrf, spawn_app, spawn_app_with, stored_complaint, tracking_code_of, valid_complaint,
    with, FormTokens, TestApp,
};

type Fields = Vec<(&'static str, String)>;

/// The secret key `test_config` gives every test app.
const TEST_KEY: [u8; 64] = [42; 64];

fn new_submission_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `valid_complaint()` with a token and a fresh submission id, as a form would post it.
fn filing_with_token(token: &str) -> Fields {
    let mut fields = valid_complaint();
    fields.push(("csrf_token", token.to_owned()));
    fields.push(("submission_id", new_submission_id()));
    fields
}

/// Posts a filing from a client that sends exactly `cookie` (or no cookie at all).
async fn post_filing_with_cookie(
    app: &TestApp,
    cookie: Option<&str>,
    fields: &[(&'static str, String)],
) -> Response {
    let cookie = cookie.map(|value| format!("gc_csrf={value}"));
    crate::helpers::post_filing_with_cookie_header(app, cookie.as_deref(), fields).await
}

/// The form's tokens and the CSRF cookie value they were issued with.
async fn open_form_with_cookie(app: &TestApp) -> (FormTokens, String) {
    let response = app.get("/complaints/new").await;
    let cookie = cookie_value(&response, "gc_csrf").expect("a CSRF cookie");
    let html = response.text().await.unwrap();
    let tokens = FormTokens {
        csrf_token: select_attr(&html, "input[name=csrf_token]", "value").unwrap(),
        submission_id: select_attr(&html, "input[name=submission_id]", "value").unwrap(),
    };
    (tokens, cookie)
}

/// The token another browser got with its own cookie.
async fn another_visitors_token(app: &TestApp) -> String {
    let html = cookieless_client()
        .get(app.url("/complaints/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    select_attr(&html, "input[name=csrf_token]", "value").unwrap()
}

/// A `403` page that sends the visitor back to the form, and nothing stored.
async fn assert_csrf_refused(app: &TestApp, case: &str, response: Response) {
    let status = response.status().as_u16();
    let html = response.text().await.unwrap();
    assert_eq!(status, 403, "{case}: {html}");
    assert_eq!(
        select_text(&html, "h1"),
        vec!["页面已过期".to_owned()],
        "{case}"
    );
    assert_eq!(
        select_attr(&html, "main a.button", "href").as_deref(),
        Some("/complaints/new"),
        "{case}: a link back to the form"
    );
    assert_eq!(app.stored_rows().await, [0; 5], "{case}: nothing stored");
}

#[tokio::test]
async fn a_filing_without_a_valid_csrf_pair_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let (tokens, cookie) = open_form_with_cookie(&app).await;
    let others_token = another_visitors_token(&app).await;
    let now = chrono::Utc::now().timestamp();
    let nonce = "A".repeat(43);

    let mut no_token = valid_complaint();
    no_token.push(("submission_id", new_submission_id()));
    let mut empty_token = no_token.clone();
    empty_token.push(("csrf_token", String::new()));
    let fresh = mint_csrf_cookie(&TEST_KEY, &nonce, now);
    let expired = mint_csrf_cookie(&TEST_KEY, &nonce, now - 2 * 60 * 60 - 60);
    // Well-formed, but not issued by the service (planted from a sibling subdomain, say).
    let planted = format!("{nonce}.{now}");
    let minted_elsewhere = mint_csrf_cookie(&[7; 64], &nonce, now);
    // (case, the gc_csrf cookie sent, the fields posted)
    let cases: Vec<(&str, Option<String>, Fields)> = vec![
        ("no token", Some(cookie.clone()), no_token),
        ("an empty token", Some(cookie.clone()), empty_token),
        (
            "a made-up token",
            Some(cookie.clone()),
            filing_with_token("not-a-token"),
        ),
        (
            "the token of another visitor's cookie",
            Some(cookie.clone()),
            filing_with_token(&others_token),
        ),
        (
            "the token without its cookie",
            None,
            filing_with_token(&tokens.csrf_token),
        ),
        (
            "a token signed with another secret key",
            Some(cookie.clone()),
            filing_with_token(&sign_csrf(&[7; 64], &cookie)),
        ),
        (
            "a pair issued more than two hours ago",
            Some(expired.clone()),
            filing_with_token(&sign_csrf(&TEST_KEY, &expired)),
        ),
        (
            "a well-formed cookie the service never issued",
            Some(planted.clone()),
            filing_with_token(&sign_csrf(&TEST_KEY, &planted)),
        ),
        (
            "a cookie issued with another secret key",
            Some(minted_elsewhere.clone()),
            filing_with_token(&sign_csrf(&TEST_KEY, &minted_elsewhere)),
        ),
        (
            "a cookie without its issue time",
            Some(nonce.clone()),
            filing_with_token(&sign_csrf(&TEST_KEY, &nonce)),
        ),
    ];
    for (case, cookie, fields) in cases {
        let response = post_filing_with_cookie(&app, cookie.as_deref(), &fields).await;
        assert_csrf_refused(&app, case, response).await;
    }

    // The same forging, done right, is accepted: the refusals above are about the pair.
    let response = post_filing_with_cookie(
        &app,
        Some(&fresh),
        &filing_with_token(&sign_csrf(&TEST_KEY, &fresh)),
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    let response =
        post_filing_with_cookie(&app, Some(&cookie), &filing_with_token(&tokens.csrf_token)).await;
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn one_token_pair_files_several_complaints() {
    let app = spawn_app().await;
    let tokens = app.open_form().await;
    let mut codes = Vec::new();
    for _ in 0..2 {
        let next = FormTokens {
            csrf_token: tokens.csrf_token.clone(),
            submission_id: new_submission_id(),
        };
        let response = app.file_with_tokens(valid_complaint(), &next).await;
        assert_eq!(response.status().as_u16(), 303);
        codes.push(tracking_code_of(&response));
    }
    assert_ne!(codes[0], codes[1]);
    assert_eq!(app.count("complaints").await, 2);
}

#[tokio::test]
async fn a_filled_honeypot_is_refused_with_a_page_and_stores_nothing() {
    let app = spawn_app().await;
    let response = app
        .file_complaint(with(
            valid_complaint(),
            "website",
            "https://cheap-pills.example",
        ))
        .await;
    assert_eq!(response.status().as_u16(), 400);
    let html = response.text().await.unwrap();
    assert_eq!(select_text(&html, "h1"), vec!["无法提交".to_owned()]);
    assert_eq!(
        select_attr(&html, "main a.button", "href").as_deref(),
        Some("/complaints/new")
    );
    assert_eq!(app.stored_rows().await, [0; 5]);

    // CSRF is checked first: a robot without the pair learns nothing about the honeypot.
    let mut fields = with(valid_complaint(), "website", "https://cheap-pills.example");
    fields.push(("submission_id", new_submission_id()));
    let response = cookieless_client()
        .post(app.url("/complaints"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&fields).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(app.stored_rows().await, [0; 5]);
}

#[tokio::test]
async fn posting_the_same_submission_twice_files_one_complaint() {
    let app = spawn_app().await;
    let tokens = app.open_form().await;
    let first = app.file_with_tokens(valid_complaint(), &tokens).await;
    assert_eq!(first.status().as_u16(), 303);
    let after_first = app.stored_rows().await;
    // Resent, even with different text (the back button, a second click): the first answer.
    let again = app
        .file_with_tokens(with(valid_complaint(), "product", "另一件商品"), &tokens)
        .await;
    assert_eq!(again.status().as_u16(), 303);
    assert_eq!(
        again.headers()["location"],
        first.headers()["location"],
        "the same tracking page"
    );
    assert_eq!(app.stored_rows().await, after_first, "nothing new stored");
    assert_eq!(app.count("complaints").await, 1);
}

#[tokio::test]
async fn a_double_click_files_one_complaint() {
    let app = spawn_app().await;
    let tokens = app.open_form().await;
    let (a, b) = tokio::join!(
        app.file_with_tokens(valid_complaint(), &tokens),
        app.file_with_tokens(valid_complaint(), &tokens),
    );
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (303, 303));
    assert_eq!(a.headers()["location"], b.headers()["location"]);
    assert_eq!(app.count("complaints").await, 1);
    assert_eq!(app.count("events").await, 2, "submitted and routed, once");
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused_with_413_and_a_page() {
    let app = spawn_app().await;
    let tokens = app.open_form().await;
    // 8,000 Chinese characters are 72 KB urlencoded.
    let fields = with(valid_complaint(), "description", &"质".repeat(8000));
    let response = app.file_with_tokens(fields.clone(), &tokens).await;
    assert_eq!(response.status().as_u16(), 413);
    let html = response.text().await.unwrap();
    assert_eq!(select_text(&html, "h1"), vec!["内容太长".to_owned()]);
    assert_eq!(
        select_attr(&html, "main a.button", "href").as_deref(),
        Some("/complaints/new")
    );
    assert_eq!(app.stored_rows().await, [0; 5]);

    // Size is checked before anything else, CSRF included.
    let response = cookieless_client()
        .post(app.url("/complaints"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&fields).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(app.stored_rows().await, [0; 5]);
}

/// A friendly `429` page that says when to come back.
async fn assert_rate_limited(case: &str, response: Response) {
    assert_eq!(response.status().as_u16(), 429, "{case}");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=3600).contains(&retry_after), "{case}: {retry_after}");
    let html = response.text().await.unwrap();
    assert_eq!(
        select_text(&html, "h1"),
        vec!["请稍后再试".to_owned()],
        "{case}"
    );
    assert!(html.contains("12315"), "{case}: where to turn meanwhile");
}

#[tokio::test]
async fn filings_past_the_hourly_limit_get_429_and_refused_ones_do_not_count() {
    let app = spawn_app_with(|c| c.submit_limit_per_hour = 3).await;
    for _ in 0..5 {
        let response = app
            .file_complaint(with(valid_complaint(), "phone", "12800138000"))
            .await;
        assert_eq!(response.status().as_u16(), 422);
    }
    let mut first = None;
    for n in 1..=3 {
        let tokens = app.open_form().await;
        let response = app.file_with_tokens(valid_complaint(), &tokens).await;
        assert_eq!(response.status().as_u16(), 303, "filing {n}");
        first.get_or_insert((tokens, tracking_code_of(&response)));
    }
    let response = app.file_complaint(valid_complaint()).await;
    assert_rate_limited("the fourth filing", response).await;
    assert_eq!(app.count("complaints").await, 3);

    // Sending an acknowledged filing again still answers with its tracking page.
    let (tokens, code) = first.unwrap();
    let again = app.file_with_tokens(valid_complaint(), &tokens).await;
    assert_eq!(again.status().as_u16(), 303);
    assert_eq!(tracking_code_of(&again), code);
}

#[tokio::test]
async fn look_ups_past_the_hourly_limit_get_429() {
    let app = spawn_app_with(|c| c.track_limit_per_hour = 3).await;
    let code = app.file_valid(valid_complaint()).await;
    for n in 1..=3 {
        let response = app.get(&format!("/track/{code}")).await;
        assert_eq!(response.status().as_u16(), 200, "look-up {n}");
    }
    assert_rate_limited(
        "the fourth look-up",
        app.get(&format!("/track/{code}")).await,
    )
    .await;
    // Guessing codes counts too: it is what the limit is for.
    assert_rate_limited("a guessed code", app.get("/track/K7QX3-MNAPR-2D9WT").await).await;
}

#[tokio::test]
async fn every_request_keyed_by_a_tracking_code_counts_against_the_limit() {
    let app = spawn_app_with(|c| c.track_limit_per_hour = 3).await;
    let code = app.file_valid(valid_complaint()).await;
    let token = app.open_form().await.csrf_token;
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let mut fields = fields;
        fields.push(("csrf_token", token.clone()));
        let app = &app;
        async move { app.post_form(&path, &fields).await }
    };
    // A rating and information the state does not allow, a withdrawal with a guessed code:
    // each is refused, and each counts.
    let rating = post(format!("/track/{code}/rating"), vec![("score", "5".into())]).await;
    assert_eq!(rating.status().as_u16(), 409);
    let info = post(
        format!("/track/{code}/info"),
        vec![("message", "补充".into())],
    )
    .await;
    assert_eq!(info.status().as_u16(), 409);
    let guessed = post("/track/K7QX3-MNAPR-2D9WT/withdraw".into(), vec![]).await;
    assert_eq!(guessed.status().as_u16(), 404);
    for (case, path, fields) in [
        ("withdraw", format!("/track/{code}/withdraw"), vec![]),
        (
            "rating",
            format!("/track/{code}/rating"),
            vec![("score", "1".into())],
        ),
        (
            "info",
            format!("/track/{code}/info"),
            vec![("message", "x".into())],
        ),
        (
            "a guessed code",
            "/track/K7QX3-MNAPR-2D9WT/rating".into(),
            vec![("score", "1".into())],
        ),
    ] {
        assert_rate_limited(case, post(path, fields).await).await;
    }
    assert_rate_limited("the look-up", app.get(&format!("/track/{code}")).await).await;
    let state = stored_complaint(&app, &code).await.state;
    assert_eq!(state, "assigned", "the refused withdrawal changed nothing");
}

fn assert_security_headers(case: &str, response: &Response) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("{case}: no {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let csp = header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{case}: {csp}");
    assert!(csp.contains("default-src 'none'"), "{case}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{case}: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{case}: {csp}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{case}");
    // Tracking codes are in paths: they must never travel to another site.
    let referrer = header("referrer-policy");
    assert!(
        ["no-referrer", "same-origin"].contains(&referrer.as_str()),
        "{case}: {referrer}"
    );
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = spawn_app_with(|c| c.submit_limit_per_hour = 1).await;
    // Refused filings first: they do not count toward the limit of one.
    let mut responses = vec![
        (
            "422 invalid filing",
            app.file_complaint(with(valid_complaint(), "phone", "12800138000"))
                .await,
        ),
        (
            "400 honeypot",
            app.file_complaint(with(valid_complaint(), "website", "x"))
                .await,
        ),
        (
            "403 CSRF",
            app.post_form("/complaints", &filing_with_token("forged"))
                .await,
        ),
        (
            "413 too large",
            app.file_complaint(with(valid_complaint(), "description", &"质".repeat(8000)))
                .await,
        ),
    ];
    let filed = app.file_complaint(valid_complaint()).await;
    let code = tracking_code_of(&filed);
    responses.extend([
        ("303 filed", filed),
        ("429 limited", app.file_complaint(valid_complaint()).await),
        ("200 home", app.get("/").await),
        ("200 form", app.get("/complaints/new").await),
        (
            "200 tracking page",
            app.get(&format!("/track/{code}")).await,
        ),
        ("200 stylesheet", app.get("/static/app.css").await),
        ("200 health", app.get("/healthz").await),
        ("303 language switch", app.get("/lang/en?next=/track").await),
        ("303 look-up", app.get(&format!("/track?code={code}")).await),
        ("404 unknown path", app.get("/no/such/page").await),
        (
            "404 unknown code",
            app.get("/track/K7QX3-MNAPR-2D9WT").await,
        ),
        ("405 wrong method", app.get("/complaints").await),
    ]);
    for (case, response) in &responses {
        let expected: u16 = case[..3].parse().unwrap();
        assert_eq!(response.status().as_u16(), expected, "{case}");
        assert_security_headers(case, response);
    }
}

/// Whether a `Set-Cookie` header carries an attribute (case-insensitive, as browsers read it).
fn has_attribute(set_cookie: &str, attribute: &str) -> bool {
    set_cookie
        .split(';')
        .skip(1)
        .any(|a| a.trim().eq_ignore_ascii_case(attribute))
}

fn cookie_named<'a>(cookies: &'a [String], name: &str) -> &'a str {
    cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
}

#[tokio::test]
async fn cookies_are_http_only_and_same_site() {
    let app = spawn_app().await;
    let form = set_cookies(&app.get("/complaints/new").await);
    let csrf = cookie_named(&form, "gc_csrf");
    assert!(has_attribute(csrf, "HttpOnly"), "{csrf}");
    assert!(has_attribute(csrf, "SameSite=Strict"), "{csrf}");
    assert!(!has_attribute(csrf, "Secure"), "plain HTTP: {csrf}");

    let filed = set_cookies(&app.file_complaint(valid_complaint()).await);
    let receipt = cookie_named(&filed, "gc_receipt");
    assert!(has_attribute(receipt, "HttpOnly"), "{receipt}");
    assert!(has_attribute(receipt, "SameSite=Strict"), "{receipt}");

    let switched = set_cookies(&app.get("/lang/en?next=/").await);
    let lang = cookie_named(&switched, "gc_lang");
    assert!(has_attribute(lang, "HttpOnly"), "{lang}");
    assert!(
        has_attribute(lang, "SameSite=Lax") || has_attribute(lang, "SameSite=Strict"),
        "{lang}"
    );
}

#[tokio::test]
async fn behind_tls_every_cookie_is_secure() {
    let app = spawn_app_with(|c| c.base_url = "https://gc.test".into()).await;
    let form = app.get("/complaints/new").await;
    let cookies = set_cookies(&form);
    let csrf = cookie_named(&cookies, "__Host-gc_csrf");
    assert!(has_attribute(csrf, "Secure"), "{csrf}");
    let switched = set_cookies(&app.get("/lang/en?next=/").await);
    let lang = cookie_named(&switched, "gc_lang");
    assert!(has_attribute(lang, "Secure"), "{lang}");

    // A browser sends a Secure cookie back only over TLS; here it is sent by hand.
    let cookie = cookie_value(&form, "__Host-gc_csrf").unwrap();
    let html = form.text().await.unwrap();
    let token = select_attr(&html, "input[name=csrf_token]", "value").unwrap();
    let filed = cookieless_client()
        .post(app.url("/complaints"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("__Host-gc_csrf={cookie}"))
        .body(serde_urlencoded::to_string(filing_with_token(&token)).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(filed.status().as_u16(), 303);
    let receipt = set_cookies(&filed);
    let receipt = cookie_named(&receipt, "gc_receipt");
    assert!(has_attribute(receipt, "Secure"), "{receipt}");
}

/// No page or email has a script of its own: any `<script` is typed text gone unescaped.
const SCRIPT: &str = "<script";
const HOSTILE_NAME: &str = "<script>alert(1)</script>&\"'";

#[tokio::test]
async fn user_text_is_escaped_on_the_tracking_page() {
    let app = spawn_app().await;
    let code = app
        .file_valid(with(valid_complaint(), "business_name", HOSTILE_NAME))
        .await;
    assert_eq!(
        stored_complaint(&app, &code).await.business_name,
        HOSTILE_NAME
    );
    let html = app.get_html(&format!("/track/{code}")).await;
    assert!(!html.contains(SCRIPT), "raw script on the page");
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;&#38;&#34;&#39;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"),
        "the escaped form: {html}"
    );
    assert!(
        select_text(&html, "dl.facts dd").contains(&HOSTILE_NAME.to_owned()),
        "shown as text, exactly as typed"
    );
}

#[tokio::test]
async fn user_text_is_escaped_when_the_form_is_shown_again() {
    let app = spawn_app().await;
    let fields = with(
        with(
            with(valid_complaint(), "business_name", HOSTILE_NAME),
            "description",
            "</textarea><script>alert(1)</script>奶粉过期三个月",
        ),
        "phone",
        "\"><script>alert(1)</script>",
    );
    let response = app.file_complaint(fields).await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(!html.contains(SCRIPT), "raw script on the page");
    assert!(!html.contains("</textarea><script>"));
    assert_eq!(
        select_attr(&html, "input[name=business_name]", "value").as_deref(),
        Some(HOSTILE_NAME)
    );
    assert_eq!(
        select_attr(&html, "input[name=phone]", "value").as_deref(),
        Some("\"><script>alert(1)</script>")
    );
    assert_eq!(
        select_text(&html, "textarea[name=description]"),
        vec!["</textarea><script>alert(1)</script>奶粉过期三个月".to_owned()]
    );
}

#[tokio::test]
async fn a_typed_tracking_code_is_escaped_when_refused() {
    let app = spawn_app().await;
    let typed = "\"><script>alert(1)</script>";
    let response = app
        .client
        .get(app.url("/track"))
        .query(&[("code", typed)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.unwrap();
    assert!(!html.contains(SCRIPT));
    assert_eq!(
        select_attr(&html, "input[name=code]", "value").as_deref(),
        Some(typed)
    );
}

#[tokio::test]
async fn user_text_is_escaped_in_the_html_email_and_plain_in_the_text_email() {
    let app = spawn_app().await;
    let code = app
        .file_valid(with(valid_complaint(), "business_name", HOSTILE_NAME))
        .await;
    let id = stored_complaint(&app, &code).await.id;
    let mails: Vec<(String, String, String)> = app
        .db
        .read(move |conn| {
            Ok(outbox::table
                .filter(outbox::complaint_id.eq(id))
                .select((outbox::subject, outbox::text_body, outbox::html_body))
                .load(conn)?)
        })
        .await
        .unwrap();
    assert!(!mails.is_empty());
    for (subject, text, html) in mails {
        assert!(
            !html.contains(SCRIPT),
            "raw script in an HTML email: {html}"
        );
        if text.contains("alert(1)") {
            assert!(
                text.contains(HOSTILE_NAME),
                "the text email shows it as typed: {text}"
            );
            assert!(!html.contains(HOSTILE_NAME), "{html}");
        }
        assert!(
            !subject.contains('\n') && !subject.contains('\r'),
            "{subject}"
        );
    }
}

#[tokio::test]
async fn the_language_switch_only_leads_back_to_this_site() {
    let app = spawn_app().await;
    for (next, expected) in [
        ("/track", "/track"),
        ("/complaints/new", "/complaints/new"),
        ("//evil.example", "/"),
        ("///evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("evil.example", "/"),
    ] {
        let response = app
            .client
            .get(app.url("/lang/en"))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "{next:?}");
        assert_eq!(response.headers()["location"], expected, "{next:?}");
    }
}

/// Where a browser goes for a `Location`: it drops tabs and line breaks from a URL and reads
/// `\` as `/`, so "/\t/evil.example" is "//evil.example", another site.
fn leaves_the_site(location: &str) -> bool {
    let browser_reads: String = location
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    !browser_reads.starts_with('/') || browser_reads.starts_with("//")
}

#[tokio::test]

async fn the_language_switch_is_not_an_open_redirect_through_invisible_characters() {
    let app = spawn_app().await;
    for next in ["/\t/evil.example", "/\t\t/evil.example", "\t//evil.example"] {
        let response = app
            .client
            .get(app.url("/lang/en"))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "{next:?}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(!leaves_the_site(&location), "{next:?} led to {location:?}");
    }
}

#[tokio::test]

async fn the_language_switch_answers_a_line_break_in_next_without_an_error() {
    let app = spawn_app().await;
    for next in ["/\r\nSet-Cookie: x=1", "/\n/evil.example", "/\u{7f}"] {
        let response = app
            .client
            .get(app.url("/lang/en"))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "{next:?}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(!leaves_the_site(&location), "{next:?} led to {location:?}");
        assert!(set_cookies(&response).iter().all(|c| !c.starts_with("x=")));
    }
}

#[tokio::test]

async fn a_csrf_cookie_with_an_absurd_issue_time_gets_a_fresh_pair() {
    let app = spawn_app().await;
    let absurd = format!("{}.{}", "A".repeat(43), i64::MIN);
    let response = cookieless_client()
        .get(app.url("/complaints/new"))
        .header("cookie", format!("gc_csrf={absurd}"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 200);
    let fresh = cookie_value(&response, "gc_csrf").unwrap();
    assert_ne!(fresh, absurd, "a new pair replaces the absurd one");

    let response = post_filing_with_cookie(
        &app,
        Some(&absurd),
        &filing_with_token(&sign_csrf(&TEST_KEY, &absurd)),
    )
    .await;
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(app.stored_rows().await, [0; 5]);
}

#[tokio::test]
async fn a_method_a_path_does_not_serve_is_405_with_a_page() {
    let app = crate::helpers::spawn_app().await;
    for (method, path) in [
        ("GET", "/complaints"),
        ("POST", "/complaints/new"),
        ("DELETE", "/track"),
        ("PUT", "/"),
    ] {
        let response = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405, "{method} {path}");
        assert!(
            response.text().await.unwrap().contains("不支持"),
            "a page in the visitor's language"
        );
    }
}
