//! Two-step sign-in for staff (issue 14): enrolment at `/admin/security` (a server-drawn QR
//! code, the key as text, a first code, ten recovery codes shown once), the second step at
//! `/admin/login/totp` throttled like sign-in, codes taken once, `REQUIRE_TOTP_ROLES`, and
//! `green-channel reset-totp`. Codes are computed here with totp-rs from the key the page
//! shows, as an authenticator app would.

use diesel::prelude::*;
use green_channel::db::schema::{sessions, totp_enrolments, totp_recovery_codes, users};
use green_channel::domain::access::Role;
use reqwest::Response;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::{
    cookie_value, select_attr, select_text, spawn_app, spawn_app_with, TestApp, ADMIN_PASSWORD,
    STAFF_PASSWORD,
};

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn post(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> Response {
    client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap())
        .send()
        .await
        .unwrap()
}

/// Posts a form of the page at `path`, with the page's CSRF token.
async fn post_on_page(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> Response {
    let (_, page) = get(client, app, path).await;
    // The page's own form (a signed-in page also has the sign-out form's token).
    let selector = format!("form[action='{path}'] input[name=csrf_token]");
    let token = select_attr(&page, &selector, "value").expect("a form");
    let mut all = fields.to_vec();
    all.push(("csrf_token", &token));
    post(client, app, path, &all).await
}

fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The password step in a new browser: the browser and the answer.
async fn password_step(
    app: &TestApp,
    username: &str,
    password: &str,
) -> (reqwest::Client, Response) {
    let client = browser();
    let response = post_on_page(
        &client,
        app,
        "/admin/login",
        &[("username", username), ("password", password)],
    )
    .await;
    (client, response)
}

fn totp(secret: &[u8]) -> TOTP {
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret.to_vec()).unwrap()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The code of the next time step: one the service has not taken yet after enrolment
/// (it accepts one step either side of now).
fn next_code(secret: &[u8]) -> String {
    totp(secret).generate(unix_now() + 30)
}

/// Six digits that are none of the codes the service would accept now.
fn wrong_code(secret: &[u8]) -> String {
    let now = unix_now();
    let valid: Vec<String> = (0..4)
        .map(|k| totp(secret).generate((now + k * 30).saturating_sub(30)))
        .collect();
    (0..10)
        .map(|d| format!("{d}{d}{d}{d}{d}{d}"))
        .find(|c| !valid.contains(c))
        .unwrap()
}

/// Enrols the member signed in (or pending) in `client`: the secret and the recovery codes.
/// The third value: the session cookie the confirmation set, if any.
async fn enrol(app: &TestApp, client: &reqwest::Client) -> (Vec<u8>, Vec<String>, Option<String>) {
    let (status, page) = get(client, app, "/admin/security").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<figure class=\"qr\" data-totp-qr><svg"),
        "an inline SVG QR code"
    );
    assert!(!page.contains("style=\""), "no inline styles (CSP)");
    let shown = select_text(&page, "[data-totp-secret]").join("");
    let secret = Secret::Encoded(shown.trim().to_owned()).to_bytes().unwrap();
    let code = totp(&secret).generate(unix_now());
    let response = post_on_page(client, app, "/admin/security", &[("code", &code)]).await;
    assert_eq!(response.status().as_u16(), 200);
    let session = cookie_value(&response, "gc_session");
    let page = response.text().await.unwrap();
    let codes = select_text(&page, "[data-recovery-codes] code");
    assert_eq!(codes.len(), 10, "{page}");
    let mut distinct = codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    (secret, codes, session)
}

async fn sessions_of(app: &TestApp, username: &str) -> i64 {
    let username = username.to_owned();
    app.db
        .read(move |conn| {
            Ok(sessions::table
                .inner_join(users::table)
                .filter(users::username.eq(username))
                .count()
                .get_result(conn)?)
        })
        .await
        .unwrap()
}

async fn enrolment_state(app: &TestApp, username: &str) -> (i64, i64, i64) {
    let username = username.to_owned();
    app.db
        .read(move |conn| {
            let id: String = users::table
                .filter(users::username.eq(&username))
                .select(users::id)
                .first(conn)?;
            let confirmed = totp_enrolments::table
                .filter(totp_enrolments::user_id.eq(&id))
                .filter(totp_enrolments::confirmed_at.is_not_null())
                .count()
                .get_result(conn)?;
            let codes = totp_recovery_codes::table
                .filter(totp_recovery_codes::user_id.eq(&id))
                .count()
                .get_result(conn)?;
            let unused = totp_recovery_codes::table
                .filter(totp_recovery_codes::user_id.eq(&id))
                .filter(totp_recovery_codes::used_at.is_null())
                .count()
                .get_result(conn)?;
            Ok((confirmed, codes, unused))
        })
        .await
        .unwrap()
}

/// A clerk who enrolled from a signed-in session: the secret and recovery codes.
async fn enrolled_clerk(app: &TestApp) -> (Vec<u8>, Vec<String>) {
    app.create_user("food-clerk", "clerk", "food-drug").await;
    let client = app.login("food-clerk", STAFF_PASSWORD).await;
    let (secret, codes, _) = enrol(app, &client).await;
    (secret, codes)
}

#[tokio::test]
async fn an_enrolled_member_signs_in_with_a_code_taken_once_or_a_recovery_code_used_once() {
    let app = spawn_app().await;
    app.create_user("food-clerk", "clerk", "food-drug").await;
    let signed_in = app.login("food-clerk", STAFF_PASSWORD).await;
    // A wrong first code does not enrol.
    let wrong = post_on_page(&signed_in, &app, "/admin/security", &[("code", "12345")]).await;
    assert_eq!(wrong.status().as_u16(), 422);
    assert_eq!(enrolment_state(&app, "food-clerk").await, (0, 0, 0));
    let (secret, codes, _) = enrol(&app, &signed_in).await;
    assert_eq!(enrolment_state(&app, "food-clerk").await, (1, 10, 10));
    // Only keyed hashes are stored.
    let stored: Vec<String> = app
        .db
        .read(|conn| {
            Ok(totp_recovery_codes::table
                .select(totp_recovery_codes::code_hash)
                .load(conn)?)
        })
        .await
        .unwrap();
    assert!(stored
        .iter()
        .all(|h| codes.iter().all(|c| !h.contains(&c.replace('-', "")))));
    let (_, status) = get(&signed_in, &app, "/admin/security").await;
    assert!(status.contains("data-totp-enrolled"), "{status}");
    assert!(status.contains("10"));

    // The password alone no longer makes a session.
    let (client, response) = password_step(&app, "food-clerk", STAFF_PASSWORD).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/admin/login/totp");
    assert_eq!(cookie_value(&response, "gc_session"), None);
    assert_eq!(
        get(&client, &app, "/admin").await.0,
        303,
        "not signed in yet"
    );
    let code = next_code(&secret);
    let response = post_on_page(&client, &app, "/admin/login/totp", &[("code", &code)]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/admin");
    assert_eq!(get(&client, &app, "/admin").await.0, 200, "signed in");

    // The same code again, in the same step: refused.
    let (client, _) = password_step(&app, "food-clerk", STAFF_PASSWORD).await;
    let replay = post_on_page(&client, &app, "/admin/login/totp", &[("code", &code)]).await;
    assert_eq!(replay.status().as_u16(), 401);
    assert_eq!(get(&client, &app, "/admin").await.0, 303);
    // A recovery code instead, typed loosely.
    let loose = codes[0].to_uppercase().replace('-', " ");
    let response = post_on_page(&client, &app, "/admin/login/totp", &[("code", &loose)]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(get(&client, &app, "/admin").await.0, 200);
    assert_eq!(enrolment_state(&app, "food-clerk").await, (1, 10, 9));

    // Once only.
    let (client, _) = password_step(&app, "food-clerk", STAFF_PASSWORD).await;
    let again = post_on_page(&client, &app, "/admin/login/totp", &[("code", &codes[0])]).await;
    assert_eq!(again.status().as_u16(), 401);
    assert_eq!(get(&client, &app, "/admin").await.0, 303);
    // Without a pending sign-in there is no second step.
    let stranger = browser();
    assert_eq!(get(&stranger, &app, "/admin/login/totp").await.0, 303);
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_sign_in() {
    let app = spawn_app().await;
    let (secret, _) = enrolled_clerk(&app).await;
    let (client, _) = password_step(&app, "food-clerk", STAFF_PASSWORD).await;
    let wrong = wrong_code(&secret);
    for n in 0..5 {
        let response = post_on_page(&client, &app, "/admin/login/totp", &[("code", &wrong)]).await;
        assert_eq!(response.status().as_u16(), 401, "wrong code {n}");
    }
    let locked = post_on_page(&client, &app, "/admin/login/totp", &[("code", &wrong)]).await;
    assert_eq!(locked.status().as_u16(), 429);
    assert!(locked.headers().contains_key("retry-after"));
    // Even the right code waits now.
    let right = next_code(&secret);
    let response = post_on_page(&client, &app, "/admin/login/totp", &[("code", &right)]).await;
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(get(&client, &app, "/admin").await.0, 303);
}

#[tokio::test]
async fn a_role_that_requires_a_second_factor_enrols_at_the_next_sign_in() {
    let app = spawn_app_with(|config| {
        config.require_totp_roles = vec![Role::Admin, Role::Coordinator];
    })
    .await;
    app.create_user("food-clerk", "clerk", "food-drug").await;
    // A clerk is not forced.
    let (_, response) = password_step(&app, "food-clerk", STAFF_PASSWORD).await;
    assert_eq!(location(&response), "/admin");

    let (client, response) = password_step(&app, "admin", ADMIN_PASSWORD).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/admin/security");
    assert_eq!(cookie_value(&response, "gc_session"), None);
    for path in ["/admin", "/admin/users", "/admin/outbox", "/admin/password"] {
        let (status, _) = get(&client, &app, path).await;
        assert_eq!(status, 303, "{path} before enrolment");
    }
    assert_eq!(sessions_of(&app, "admin").await, 0);
    let (_, page) = get(&client, &app, "/admin/security").await;
    assert!(page.contains("data-totp-required"));
    let (secret, _, confirmed) = enrol(&app, &client).await;
    assert!(confirmed.is_some(), "signed in");
    assert_eq!(get(&client, &app, "/admin").await.0, 200);
    assert_eq!(get(&client, &app, "/admin/users").await.0, 200);

    // From now on the admin signs in with a code.
    let (client, response) = password_step(&app, "admin", ADMIN_PASSWORD).await;
    assert_eq!(location(&response), "/admin/login/totp");
    let response = post_on_page(
        &client,
        &app,
        "/admin/login/totp",
        &[("code", &next_code(&secret))],
    )
    .await;
    assert_eq!(location(&response), "/admin");
}

#[tokio::test]
async fn reset_totp_removes_an_enrolment_and_prints_one_line() {
    let app = spawn_app().await;
    enrolled_clerk(&app).await;
    let run = |args: &[&str]| crate::sweeper::command(&app, args).output().unwrap();
    let output = run(&["reset-totp", "--username", "food-clerk"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "reset-totp food-clerk: removed"
    );
    assert_eq!(enrolment_state(&app, "food-clerk").await, (0, 0, 0));
    let (_, response) = password_step(&app, "food-clerk", STAFF_PASSWORD).await;
    assert_eq!(location(&response), "/admin", "the password alone again");

    let output = run(&["reset-totp", "--username", "food-clerk"]);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "reset-totp food-clerk: not enrolled"
    );
    let output = run(&["reset-totp", "--username", "nobody"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no user named nobody"));
}

/// Malformed second steps and enrolments: never a 5xx, never a session or an enrolment.
#[tokio::test]
async fn malformed_codes_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.create_user("food-clerk", "clerk", "food-drug").await;
    let signed_in = app.login("food-clerk", STAFF_PASSWORD).await;
    let long = "9".repeat(40);
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("nothing", vec![]),
        ("empty", vec![("code", "")]),
        ("letters", vec![("code", "abcdef")]),
        ("five digits", vec![("code", "12345")]),
        ("seven digits", vec![("code", "1234567")]),
        ("too long", vec![("code", &long)]),
        ("twice", vec![("code", "123456"), ("code", "654321")]),
        ("a NUL", vec![("code", "12\u{0}456")]),
    ];
    for (case, fields) in &cases {
        let response = post_on_page(&signed_in, &app, "/admin/security", fields).await;
        assert_eq!(response.status().as_u16(), 422, "enrolment: {case}");
    }
    let no_token = post(&signed_in, &app, "/admin/security", &[("code", "123456")]).await;
    assert_eq!(no_token.status().as_u16(), 403);
    assert_eq!(enrolment_state(&app, "food-clerk").await, (0, 0, 0));

    let (secret, _, _) = enrol(&app, &signed_in).await;
    let (client, _) = password_step(&app, "food-clerk", STAFF_PASSWORD).await;
    for (case, fields) in &cases {
        let response = post_on_page(&client, &app, "/admin/login/totp", fields).await;
        let status = response.status().as_u16();
        // Wrong codes count as failed sign-ins: the fifth locks the username (429).
        assert!(
            [401, 422, 429].contains(&status),
            "second step: {case}: {status}"
        );
    }
    let (_, page) = get(&client, &app, "/admin/login/totp").await;
    let token = select_attr(&page, "input[name=csrf_token]", "value").unwrap();
    let response = client
        .post(app.url("/admin/login/totp"))
        .header("content-type", "text/plain")
        .body(format!("code=123456&csrf_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
    assert_eq!(
        post(&client, &app, "/admin/login/totp", &[("code", "123456")])
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(sessions_of(&app, "food-clerk").await, 1, "only the first");
    let _ = secret;
}
