//! Staff passwords outside sign-in (issue 14): every Argon2 run of the admin pages goes
//! through the instance's hashing bound, and a forgotten password is reset by an emailed,
//! single-use, 30-minute link that answers the same whether or not the account exists.

use diesel::prelude::*;
use futures_util::future::join_all;
use green_channel::config::Config;
use green_channel::db::schema::{password_resets, sessions, users};
use reqwest::Response;

use crate::helpers::{
    select_attr, select_text, spawn_app, spawn_app_with, TestApp, ADMIN_PASSWORD, METRICS_TOKEN,
    STAFF_PASSWORD,
};
use crate::smtp_server::{ReceivedMessage, SmtpServer};

/// A signed-in browser that never reuses an idle connection, and its session's token.
struct Staff {
    client: reqwest::Client,
    csrf: String,
}

fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

impl Staff {
    async fn sign_in(app: &TestApp, username: &str, password: &str) -> Staff {
        let client = fresh_client();
        let page = client
            .get(app.url("/admin/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = select_attr(&page, "input[name=csrf_token]", "value").unwrap();
        let response = post(
            &client,
            app,
            "/admin/login",
            &[
                ("username", username),
                ("password", password),
                ("csrf_token", &token),
            ],
        )
        .await;
        assert_eq!(response.status().as_u16(), 303, "signing in as {username}");
        let csrf = app.admin_csrf(&client, "/admin/password").await;
        Staff { client, csrf }
    }

    async fn post(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all = fields.to_vec();
        all.push(("csrf_token", &self.csrf));
        post(&self.client, app, path, &all).await
    }
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

async fn metric(app: &TestApp, name: &str) -> i64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} in /metrics"))
        .trim()
        .parse()
        .unwrap()
}

async fn hashing_runs(app: &TestApp) -> i64 {
    metric(app, "green_channel_password_checks_total").await
}

#[tokio::test]
async fn the_admin_pages_hash_passwords_under_the_bound() {
    let app = spawn_app().await;
    let admin = Staff::sign_in(&app, "admin", ADMIN_PASSWORD).await;

    // Creating a user: one hashing, counted by the gate.
    let before = hashing_runs(&app).await;
    let created = admin
        .post(
            &app,
            "/admin/users",
            &[
                ("username", "wang.wu"),
                ("role", "clerk"),
                ("department", "food-drug"),
                ("email", "wang.wu@example.org"),
                ("password", "wang-wu-first-password"),
            ],
        )
        .await;
    assert_eq!(created.status().as_u16(), 303);
    assert_eq!(hashing_runs(&app).await, before + 1, "creating a user");

    // An administrator resetting a password.
    let reset = admin
        .post(
            &app,
            "/admin/users/wang.wu/password",
            &[("password", "wang-wu-second-password")],
        )
        .await;
    assert_eq!(reset.status().as_u16(), 303);
    assert_eq!(hashing_runs(&app).await, before + 2, "an admin's reset");

    // The password change page: the check and the new hash in one run.
    let changed = admin
        .post(
            &app,
            "/admin/password",
            &[
                ("current", ADMIN_PASSWORD),
                ("new", "admin-new-password-1"),
                ("confirm", "admin-new-password-1"),
            ],
        )
        .await;
    assert_eq!(changed.status().as_u16(), 303);
    assert_eq!(hashing_runs(&app).await, before + 3, "a password change");

    // A burst of resets: each is hashed under the bound or answered 503 with Retry-After.
    let limit = metric(&app, "green_channel_password_checks_limit").await;
    let before = hashing_runs(&app).await;
    let responses = join_all((0..24).map(|n| {
        let password = format!("burst-password-{n:02}");
        let admin = &admin;
        let app = &app;
        async move {
            admin
                .post(
                    app,
                    "/admin/users/wang.wu/password",
                    &[("password", &password)],
                )
                .await
        }
    }))
    .await;
    let mut hashed = 0;
    for response in &responses {
        match response.status().as_u16() {
            303 => hashed += 1,
            503 => assert!(response.headers().contains_key("retry-after")),
            other => panic!("a reset answered {other}"),
        }
    }
    assert!(hashed >= 1);
    assert_eq!(hashing_runs(&app).await, before + hashed);
    let peak = metric(&app, "green_channel_password_checks_peak").await;
    assert!(peak <= limit, "at most {limit} at once, saw {peak}");
    assert_eq!(
        metric(&app, "green_channel_password_checks_in_flight").await,
        0
    );
}

// Password reset by email.

async fn app_with_smtp(smtp: &SmtpServer, customise: impl FnOnce(&mut Config)) -> TestApp {
    let url = smtp.url();
    spawn_app_with(move |config| {
        config.smtp_url = Some(url);
        customise(config);
    })
    .await
}

/// An app sending to `smtp`, with the clerk `food-clerk` at clerk@example.org.
async fn app_with_clerk(smtp: &SmtpServer) -> TestApp {
    let app = app_with_smtp(smtp, |_| {}).await;
    add_mailed_clerk(&app).await;
    app
}

/// The clerk `food-clerk`, whose reset links go to clerk@example.org.
async fn add_mailed_clerk(app: &TestApp) {
    app.create_user_with_email(
        "food-clerk",
        "clerk",
        "food-drug",
        Some("clerk@example.org"),
    )
    .await;
}

/// Asks for a link for `username` and reads it from the first email delivered.
async fn emailed_link(app: &TestApp, smtp: &SmtpServer, username: &str) -> String {
    ask_for_link(app, username).await;
    app.dispatch_all_pending_emails().await;
    link_in(&smtp.messages()[0])
}

/// A browser on the public reset form: the answer's status and page.
async fn open_form(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let page = response.text().await.unwrap();
    (status, page)
}

fn token_of(page: &str) -> String {
    select_attr(page, "input[name=csrf_token]", "value").expect("a form with a CSRF token")
}

/// Asks for a link for `username` as a browser would: the answer's status and page.
async fn ask_for_link(app: &TestApp, username: &str) -> (u16, String) {
    let client = fresh_client();
    let (_, page) = open_form(&client, app, "/admin/password-reset").await;
    let response = post(
        &client,
        app,
        "/admin/password-reset",
        &[("username", username), ("csrf_token", &token_of(&page))],
    )
    .await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Sets a new password through the link: the response.
async fn set_through_link(app: &TestApp, link_path: &str, new: &str, confirm: &str) -> Response {
    let client = fresh_client();
    let (_, page) = open_form(&client, app, link_path).await;
    // A dead link's page has no form: the CSRF pair comes from the request form then, as
    // an attacker replaying the link would get one.
    let csrf = match select_attr(&page, "input[name=csrf_token]", "value") {
        Some(token) => token,
        None => token_of(&open_form(&client, app, "/admin/password-reset").await.1),
    };
    post(
        &client,
        app,
        link_path,
        &[("new", new), ("confirm", confirm), ("csrf_token", &csrf)],
    )
    .await
}

/// The path of the reset link in a mailed message.
fn link_in(message: &ReceivedMessage) -> String {
    let text = message.text();
    let start = text
        .find("http://gc.test/admin/password-reset/")
        .expect("a reset link in the text");
    let url: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    url.trim_start_matches("http://gc.test").to_owned()
}

async fn password_hash(app: &TestApp, username: &str) -> String {
    let username = username.to_owned();
    app.db
        .read(move |conn| {
            Ok(users::table
                .filter(users::username.eq(username))
                .select(users::password_hash)
                .first::<String>(conn)?)
        })
        .await
        .unwrap()
}

async fn reset_rows(app: &TestApp) -> Vec<(String, Option<chrono::NaiveDateTime>)> {
    app.db
        .read(|conn| {
            Ok(password_resets::table
                .select((password_resets::token_hash, password_resets::used_at))
                .load(conn)?)
        })
        .await
        .unwrap()
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

/// What the page says, without the per-request CSRF token.
fn main_text(page: &str) -> Vec<String> {
    select_text(page, "main")
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_a_single_use_emailed_link() {
    let smtp = SmtpServer::start().await;
    let app = app_with_clerk(&smtp).await;
    let signed_in = app.login("food-clerk", STAFF_PASSWORD).await;
    assert_eq!(sessions_of(&app, "food-clerk").await, 1);

    // The sign-in page links to the form.
    let login = app.get_html("/admin/login").await;
    assert_eq!(
        select_attr(&login, "a[data-forgot-password]", "href").as_deref(),
        Some("/admin/password-reset")
    );
    assert!(login.contains("忘记密码"));

    let (status, page) = ask_for_link(&app, "food-clerk").await;
    assert_eq!(status, 200);
    assert!(page.contains("data-reset-sent"));
    app.dispatch_all_pending_emails().await;
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.rcpt_to, vec!["clerk@example.org".to_owned()]);
    assert!(message.subject().contains("重设"), "{}", message.subject());
    let link = link_in(message);
    let token = link.rsplit('/').next().unwrap().to_owned();

    // Only the hash of the token is stored.
    let rows = reset_rows(&app).await;
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].0, token);
    assert!(!rows[0].0.contains(&token));
    assert_eq!(rows[0].1, None);

    let (status, form) = open_form(&fresh_client(), &app, &link).await;
    assert_eq!(status, 200);
    assert!(form.contains("data-reset-form"));
    let done = set_through_link(&app, &link, "a-brand-new-password", "a-brand-new-password").await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(
        done.headers()["location"].to_str().unwrap(),
        "/admin/login?reset=done"
    );
    let after = app.get_html("/admin/login?reset=done").await;
    assert!(after.contains("密码已重设"), "{after}");

    // Every session of the account ended; the old password is gone, the new one works.
    assert_eq!(sessions_of(&app, "food-clerk").await, 0);
    let refused = signed_in.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 303);
    let (_, old) = crate::helpers::try_login_at(&app.address, "food-clerk", STAFF_PASSWORD).await;
    assert_eq!(old, 401);
    app.login("food-clerk", "a-brand-new-password").await;

    // The link works once.
    let (status, again) = open_form(&fresh_client(), &app, &link).await;
    assert_eq!(status, 404);
    assert!(again.contains("data-reset-invalid"));
    let hash = password_hash(&app, "food-clerk").await;
    let replay = set_through_link(
        &app,
        &link,
        "an-attackers-password",
        "an-attackers-password",
    )
    .await;
    assert_eq!(replay.status().as_u16(), 404);
    assert_eq!(password_hash(&app, "food-clerk").await, hash);
}

#[tokio::test]
async fn an_unknown_user_gets_the_same_answer_and_no_email() {
    let smtp = SmtpServer::start().await;
    let app = app_with_clerk(&smtp).await;
    app.create_user("no-mail-clerk", "clerk", "food-drug").await;
    let (known_status, known) = ask_for_link(&app, "food-clerk").await;
    for other in ["nobody", "no-mail-clerk", "FOOD-CLERK", "admin"] {
        let (status, page) = ask_for_link(&app, other).await;
        assert_eq!(status, known_status, "{other}");
        assert_eq!(main_text(&page), main_text(&known), "{other}");
    }
    app.dispatch_all_pending_emails().await;
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "only the known account with an address");
    assert_eq!(messages[0].rcpt_to, vec!["clerk@example.org".to_owned()]);
    assert_eq!(reset_rows(&app).await.len(), 1);
}

#[tokio::test]
async fn an_expired_link_is_refused_and_changes_nothing() {
    let smtp = SmtpServer::start().await;
    let app = app_with_clerk(&smtp).await;
    let link = emailed_link(&app, &smtp, "food-clerk").await;
    // The link was asked for 31 minutes ago: the clock of the rows moves back.
    app.db
        .write(|conn| -> Result<(), green_channel::db::DbError> {
            let now = green_channel::services::now_utc();
            diesel::update(password_resets::table)
                .set((
                    password_resets::created_at.eq(now - chrono::Duration::minutes(31)),
                    password_resets::expires_at.eq(now - chrono::Duration::minutes(1)),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let hash = password_hash(&app, "food-clerk").await;
    let (status, page) = open_form(&fresh_client(), &app, &link).await;
    assert_eq!(status, 404);
    assert!(page.contains("data-reset-invalid"));
    let late = set_through_link(&app, &link, "a-brand-new-password", "a-brand-new-password").await;
    assert_eq!(late.status().as_u16(), 404);
    assert_eq!(password_hash(&app, "food-clerk").await, hash);
    app.login("food-clerk", STAFF_PASSWORD).await;
}

#[tokio::test]
async fn requests_for_links_are_throttled_per_address_and_per_username() {
    let app = spawn_app_with(|config| config.login_limit_per_hour = 6).await;
    add_mailed_clerk(&app).await;
    // Per username: three an hour, the same for a name that does not exist.
    for name in ["food-clerk", "nobody"] {
        for _ in 0..3 {
            assert_eq!(ask_for_link(&app, name).await.0, 200, "{name}");
        }
    }
    // Six from this address so far: the seventh is over the address's six.
    let client = fresh_client();
    let (_, page) = open_form(&client, &app, "/admin/password-reset").await;
    let over = post(
        &client,
        &app,
        "/admin/password-reset",
        &[
            ("username", "someone-else"),
            ("csrf_token", &token_of(&page)),
        ],
    )
    .await;
    assert_eq!(over.status().as_u16(), 429);
    assert!(over.headers().contains_key("retry-after"));

    let app = spawn_app_with(|config| config.login_limit_per_hour = 50).await;
    for name in ["food-clerk", "nobody"] {
        for _ in 0..3 {
            assert_eq!(ask_for_link(&app, name).await.0, 200, "{name}");
        }
        let (status, _) = ask_for_link(&app, name).await;
        assert_eq!(status, 429, "the fourth link for {name} in an hour");
    }
}

/// Each malformed request: 422 (or 404 for a link that cannot exist, 403 without the CSRF
/// pair, 415 for a body that is not a form), never a 5xx, and nothing written.
#[tokio::test]
async fn malformed_reset_requests_are_refused_and_write_nothing() {
    let app = spawn_app().await;
    add_mailed_clerk(&app).await;
    let long = "x".repeat(65);
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("no username", vec![]),
        ("empty username", vec![("username", "")]),
        ("blank username", vec![("username", "   ")]),
        ("too long", vec![("username", &long)]),
        (
            "username twice",
            vec![("username", "food-clerk"), ("username", "admin")],
        ),
    ];
    for (case, fields) in cases {
        let client = fresh_client();
        let (_, page) = open_form(&client, &app, "/admin/password-reset").await;
        let mut all = fields.clone();
        let csrf = token_of(&page);
        all.push(("csrf_token", &csrf));
        let response = post(&client, &app, "/admin/password-reset", &all).await;
        assert_eq!(response.status().as_u16(), 422, "{case}");
    }
    // Without the CSRF pair, and not a form.
    let client = fresh_client();
    let response = post(
        &client,
        &app,
        "/admin/password-reset",
        &[("username", "food-clerk")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 403, "no CSRF token");
    let (_, page) = open_form(&client, &app, "/admin/password-reset").await;
    let response = client
        .post(app.url("/admin/password-reset"))
        .header("content-type", "text/plain")
        .body(format!(
            "username=food-clerk&csrf_token={}",
            token_of(&page)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415, "text/plain");
    assert!(reset_rows(&app).await.is_empty(), "no link was made");
    assert_eq!(app.count("outbox").await, 0);

    // The new password's form, on a good link.
    let smtp = SmtpServer::start().await;
    let app = app_with_clerk(&smtp).await;
    let link = emailed_link(&app, &smtp, "food-clerk").await;
    let hash = password_hash(&app, "food-clerk").await;
    let too_long = "p".repeat(201);
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("nothing", vec![]),
        ("too short", vec![("new", "short"), ("confirm", "short")]),
        ("too long", vec![("new", &too_long), ("confirm", &too_long)]),
        (
            "mismatch",
            vec![
                ("new", "a-long-password-1"),
                ("confirm", "a-long-password-2"),
            ],
        ),
        ("no confirmation", vec![("new", "a-long-password-1")]),
        (
            "new twice",
            vec![
                ("new", "a-long-password-1"),
                ("new", "a-long-password-2"),
                ("confirm", "a-long-password-1"),
            ],
        ),
    ];
    for (case, fields) in cases {
        let client = fresh_client();
        let (_, page) = open_form(&client, &app, &link).await;
        let mut all = fields.clone();
        let csrf = token_of(&page);
        all.push(("csrf_token", &csrf));
        let response = post(&client, &app, &link, &all).await;
        assert_eq!(response.status().as_u16(), 422, "{case}");
        let page = response.text().await.unwrap();
        assert!(page.contains("data-reset-form"), "{case}: the form again");
    }
    for bad in [
        "/admin/password-reset/short",
        "/admin/password-reset/%00",
        "/admin/password-reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &format!("/admin/password-reset/{}", "A".repeat(2000)),
    ] {
        let (status, page) = open_form(&fresh_client(), &app, bad).await;
        assert_eq!(status, 404, "{bad}");
        assert!(page.contains("data-reset-invalid"), "{bad}");
        let response = set_through_link(&app, bad, "a-long-password-1", "a-long-password-1").await;
        assert_eq!(response.status().as_u16(), 404, "{bad}");
    }
    assert_eq!(
        password_hash(&app, "food-clerk").await,
        hash,
        "nothing changed"
    );
    assert_eq!(reset_rows(&app).await[0].1, None, "the link is still good");
    let done = set_through_link(&app, &link, "a-long-password-1", "a-long-password-1").await;
    assert_eq!(done.status().as_u16(), 303);
}
