//! Staff sessions: the same answer for unknown users and wrong passwords, the per-username
//! wait and the per-client limit, idle and absolute expiry, logout and deactivation that
//! revoke at once, a new session id at sign-in, cookie flags.

use chrono::Duration;
use diesel::prelude::*;
use green_channel::db::schema::{sessions, users};
use green_channel::services::now_utc;

use crate::helpers::{
    client, cookie_value, select_attr, spawn_app, spawn_app_with, TestApp, STAFF_PASSWORD,
};

async fn try_login(
    app: &TestApp,
    browser: &reqwest::Client,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let page = browser
        .get(app.url("/admin/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = select_attr(&page, "input[name=csrf_token]", "value").unwrap();
    browser
        .post(app.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                ("username", username),
                ("password", password),
                ("csrf_token", &token),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap()
}

async fn is_signed_in(app: &TestApp, browser: &reqwest::Client) -> bool {
    browser
        .get(app.url("/admin/password"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
        == 200
}

fn error_text(html: &str) -> Vec<String> {
    crate::helpers::select_text(html, ".error-summary")
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_user("clerk1", "clerk", "food-drug").await;
    let wrong = try_login(&app, &client(), "clerk1", "not-the-password").await;
    let unknown = try_login(&app, &client(), "nobody", "not-the-password").await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(unknown.status().as_u16(), 401);
    assert!(wrong
        .headers()
        .get("set-cookie")
        .is_some_and(|c| !c.to_str().unwrap().contains("gc_session")));
    let (wrong, unknown) = (wrong.text().await.unwrap(), unknown.text().await.unwrap());
    assert_eq!(error_text(&wrong), error_text(&unknown));
    assert_eq!(
        wrong.replace("clerk1", "NAME").lines().count(),
        unknown.replace("nobody", "NAME").lines().count(),
        "the same page"
    );
}

#[tokio::test]
async fn after_five_failures_a_username_waits_whether_or_not_it_exists() {
    let app = spawn_app().await;
    app.create_user("clerk1", "clerk", "food-drug").await;
    for username in ["clerk1", "ghost"] {
        for attempt in 1..=5 {
            let response = try_login(&app, &client(), username, "wrong-password").await;
            assert_eq!(
                response.status().as_u16(),
                401,
                "{username} attempt {attempt}"
            );
        }
        let locked = try_login(&app, &client(), username, STAFF_PASSWORD).await;
        assert_eq!(
            locked.status().as_u16(),
            429,
            "{username} waits, even with the right password"
        );
        assert!(locked.headers().contains_key("retry-after"));
    }
    // When the wait is over, the right password works again.
    app.db
        .write(|conn| {
            // Per username, and per (username, address) since issue 14.
            for table in ["login_throttle", "login_address_throttle"] {
                diesel::sql_query(format!("UPDATE {table} SET locked_until = NULL"))
                    .execute(conn)
                    .map_err(green_channel::db::DbError::from)?;
            }
            Ok::<_, green_channel::db::DbError>(())
        })
        .await
        .unwrap();
    assert_eq!(
        try_login(&app, &client(), "clerk1", STAFF_PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
}

#[tokio::test]
async fn a_client_with_too_many_failures_gets_429() {
    let app = spawn_app_with(|c| c.login_limit_per_hour = 3).await;
    for n in 0..3 {
        let response = try_login(&app, &client(), &format!("user{n}"), "wrong-password").await;
        assert_eq!(response.status().as_u16(), 401);
    }
    let limited = try_login(&app, &client(), "admin", "admin-password-for-tests").await;
    assert_eq!(limited.status().as_u16(), 429);
}

#[tokio::test]
async fn sessions_expire_when_idle_and_after_twelve_hours() {
    let app = spawn_app().await;
    app.create_user("clerk1", "clerk", "food-drug").await;
    let browser = app.login("clerk1", STAFF_PASSWORD).await;
    assert!(is_signed_in(&app, &browser).await);
    let idle = now_utc() - Duration::minutes(31);
    app.db
        .write(move |conn| {
            Ok::<_, green_channel::db::DbError>(
                diesel::update(sessions::table)
                    .set(sessions::last_seen_at.eq(idle))
                    .execute(conn)?,
            )
        })
        .await
        .unwrap();
    assert!(
        !is_signed_in(&app, &browser).await,
        "idle for longer than SESSION_IDLE_MINUTES"
    );

    let browser = app.login("clerk1", STAFF_PASSWORD).await;
    let old = now_utc() - Duration::hours(12) - Duration::minutes(1);
    app.db
        .write(move |conn| {
            Ok::<_, green_channel::db::DbError>(
                diesel::update(sessions::table)
                    .set(sessions::created_at.eq(old))
                    .execute(conn)?,
            )
        })
        .await
        .unwrap();
    assert!(
        !is_signed_in(&app, &browser).await,
        "older than 12 hours, however active"
    );
}

#[tokio::test]
async fn logout_and_deactivation_revoke_at_once_and_a_replayed_cookie_is_worthless() {
    let app = spawn_app().await;
    app.create_user("clerk1", "clerk", "food-drug").await;
    let browser = app.login("clerk1", STAFF_PASSWORD).await;
    let page = browser
        .get(app.url("/admin/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let token = app.admin_csrf(&browser, "/admin/password").await;
    // Keep a copy of the cookie, as an attacker would.
    let stolen = {
        let id_hash: String = app
            .db
            .read(|conn| Ok(sessions::table.select(sessions::id_hash).first(conn)?))
            .await
            .unwrap();
        id_hash
    };
    let logout = browser
        .post(app.url("/admin/logout"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status().as_u16(), 303);
    assert!(!is_signed_in(&app, &browser).await);
    let left: i64 = app
        .db
        .read(move |conn| {
            Ok(sessions::table
                .filter(sessions::id_hash.eq(stolen))
                .count()
                .get_result(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(left, 0, "the server forgot the session");

    let browser = app.login("clerk1", STAFF_PASSWORD).await;
    app.db
        .write(|conn| {
            Ok::<_, green_channel::db::DbError>(
                diesel::update(users::table.filter(users::username.eq("clerk1")))
                    .set(users::active.eq(false))
                    .execute(conn)?,
            )
        })
        .await
        .unwrap();
    assert!(
        !is_signed_in(&app, &browser).await,
        "deactivated: refused on the next request"
    );
    assert_eq!(
        try_login(&app, &client(), "clerk1", STAFF_PASSWORD)
            .await
            .status()
            .as_u16(),
        401
    );
}

#[tokio::test]
async fn sign_in_issues_a_new_session_id_and_the_cookie_is_httponly_and_lax() {
    let app = spawn_app().await;
    app.create_user("clerk1", "clerk", "food-drug").await;
    let browser = client();
    let first = try_login(&app, &browser, "clerk1", STAFF_PASSWORD).await;
    let header = first
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("gc_session="))
        .expect("a session cookie");
    assert!(
        header.contains("HttpOnly") && header.contains("SameSite=Lax"),
        "{header}"
    );
    assert!(!header.contains("Secure"), "plain http in tests");
    let first_id = cookie_value(&first, "gc_session").unwrap();
    // Signing in again in the same browser (the form's token is reusable) replaces the
    // session: a planted or old id never survives a sign-in.
    let page = client().get(app.url("/admin/login")).send().await.unwrap();
    let csrf_cookie = cookie_value(&page, "gc_csrf").unwrap();
    let token = select_attr(
        &page.text().await.unwrap(),
        "input[name=csrf_token]",
        "value",
    )
    .unwrap();
    let second = client()
        .post(app.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "cookie",
            format!("gc_csrf={csrf_cookie}; gc_session={first_id}"),
        )
        .body(
            serde_urlencoded::to_string([
                ("username", "clerk1"),
                ("password", STAFF_PASSWORD),
                ("csrf_token", &token),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let second_id = cookie_value(&second, "gc_session").unwrap();
    assert_ne!(first_id, second_id);
    assert_eq!(app.count("sessions").await, 1);
    // Stored only hashed.
    let stored: String = app
        .db
        .read(|conn| Ok(sessions::table.select(sessions::id_hash).first(conn)?))
        .await
        .unwrap();
    assert_ne!(stored, second_id);

    let secure_app = spawn_app_with(|c| c.base_url = "https://gc.example".into()).await;
    let response = try_login(&secure_app, &client(), "admin", "admin-password-for-tests").await;
    let header = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("gc_session="))
        .unwrap();
    assert!(header.contains("Secure"), "{header}");
}

#[tokio::test]
async fn a_login_without_its_csrf_token_is_403_and_malformed_logins_are_never_5xx() {
    let app = spawn_app().await;
    let browser = client();
    let _ = browser.get(app.url("/admin/login")).send().await.unwrap();
    let response = browser
        .post(app.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=admin&password=admin-password-for-tests")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    for (username, password) in [
        ("", ""),
        ("admin\u{0}", "x"),
        (&"a".repeat(10_000) as &str, "x"),
        ("管理员", "密码"),
        ("admin' OR '1'='1", "' OR '1'='1"),
    ] {
        let response = try_login(&app, &client(), username, password).await;
        assert_eq!(response.status().as_u16(), 401, "{username:?}");
    }
    let page = browser
        .get(app.url("/admin/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = select_attr(&page, "input[name=csrf_token]", "value").unwrap();
    let garbage = browser
        .post(app.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={token}&username=%FF%FE&password&&&=="))
        .send()
        .await
        .unwrap();
    assert!(garbage.status().is_client_error(), "{}", garbage.status());
}
