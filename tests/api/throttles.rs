//! Sign-in under attack (issue 14, items 1–3 and 10): parallel wrong passwords are all
//! counted and the username waits; Argon2 work is bounded (never more at once than the
//! bound, and 200 parallel sign-ins keep the process small); failures from one address do
//! not lock the right password out from another, and the office sees the lock-outs; a
//! wrong current password on `/admin/password` is throttled like a sign-in.

use std::process::{Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use futures_util::future::join_all;
use green_channel::db::schema::{login_address_throttle, login_throttle};
use green_channel::db::DbError;

use crate::helpers::{
    client, select_attr, select_text, spawn_app_with, TestApp, ADMIN_PASSWORD, METRICS_TOKEN,
    STAFF_PASSWORD,
};
use crate::test_database::{binary_env, DatabaseGuard};

/// A browser at `from` (an `X-Forwarded-For` address the app believes from 127.0.0.1)
/// with the sign-in form open: its client and the form's token.
async fn open_login(address: &str) -> (reqwest::Client, String) {
    // A connection per request: the forms are opened one by one, and an idle connection
    // kept from that may be closed by the server (keep-alive) just as the POST reuses it.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let page = browser
        .get(format!("{address}/admin/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = select_attr(&page, "input[name=csrf_token]", "value").expect("a sign-in form");
    (browser, token)
}

async fn post_login(
    address: &str,
    (browser, token): &(reqwest::Client, String),
    username: &str,
    password: &str,
    from: &str,
) -> reqwest::Response {
    browser
        .post(format!("{address}/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-for", from)
        .body(
            serde_urlencoded::to_string([
                ("username", username),
                ("password", password),
                ("csrf_token", token),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap()
}

/// One sign-in from `from`: the response.
async fn sign_in_from(
    app: &TestApp,
    username: &str,
    password: &str,
    from: &str,
) -> reqwest::Response {
    let form = open_login(&app.address).await;
    post_login(&app.address, &form, username, password, from).await
}

async fn behind_proxy() -> TestApp {
    spawn_app_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await
}

/// The stored failure counts of `username`: per username, and per address.
async fn stored_failures(app: &TestApp, username: &str) -> (Option<i32>, Vec<(String, i32)>) {
    let username = username.to_owned();
    app.db
        .read(move |conn| {
            let by_user = login_throttle::table
                .filter(login_throttle::username.eq(&username))
                .select(login_throttle::failures)
                .first::<i32>(conn)
                .optional()?;
            let by_address = login_address_throttle::table
                .filter(login_address_throttle::username.eq(&username))
                .select((
                    login_address_throttle::address,
                    login_address_throttle::failures,
                ))
                .order(login_address_throttle::address)
                .load::<(String, i32)>(conn)?;
            Ok::<_, DbError>((by_user, by_address))
        })
        .await
        .unwrap()
}

fn statuses(responses: &[reqwest::Response]) -> (usize, usize, Vec<u16>) {
    let count = |s: u16| {
        responses
            .iter()
            .filter(|r| r.status().as_u16() == s)
            .count()
    };
    let others = responses
        .iter()
        .map(|r| r.status().as_u16())
        .filter(|s| ![401, 429].contains(s))
        .collect();
    (count(401), count(429), others)
}

#[tokio::test]
async fn parallel_wrong_passwords_are_all_counted_and_the_username_waits() {
    let app = spawn_app_with(|_| {}).await;
    app.create_user("clerk1", "clerk", "food-drug").await;
    let forms = join_all((0..40).map(|_| open_login(&app.address))).await;
    let responses = join_all(
        forms
            .iter()
            .map(|form| post_login(&app.address, form, "clerk1", "wrong-password", "")),
    )
    .await;
    let (failed, waited, others) = statuses(&responses);
    assert!(others.is_empty(), "only 401 and 429: {others:?}");
    assert!(
        waited > 0,
        "a parallel burst is throttled too ({failed} × 401)"
    );
    let (by_user, by_address) = stored_failures(&app, "clerk1").await;
    assert_eq!(
        by_user,
        Some(failed as i32),
        "every failure answered 401 is counted, none lost to a race"
    );
    assert_eq!(by_address, vec![("127.0.0.1".to_owned(), failed as i32)]);
    assert_eq!(failed, 5, "one check at a time: the sixth waits");
    assert_eq!(
        app.get("/admin/login").await.status().as_u16(),
        200,
        "the service still answers"
    );
}

async fn metric(app: &TestApp, name: &str) -> usize {
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
        .unwrap_or_else(|| panic!("{name} in /metrics:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn password_checks_never_run_more_than_the_bound_at_once() {
    let app = behind_proxy().await;
    // Distinct unknown usernames from distinct addresses: neither the per-username order
    // nor the per-address limit holds them back, only the bound.
    let forms = join_all((0..60).map(|_| open_login(&app.address))).await;
    let address = &app.address;
    let responses = join_all(forms.iter().enumerate().map(|(n, form)| async move {
        let (username, from) = (format!("ghost{n}"), format!("10.0.0.{}", n + 1));
        post_login(address, form, &username, "wrong-password", &from).await
    }))
    .await;
    for response in &responses {
        let status = response.status().as_u16();
        assert!(status == 401 || status == 503, "{status}");
        if status == 503 {
            assert!(response.headers().contains_key("retry-after"));
        }
    }
    let (limit, peak) = (
        metric(&app, "green_channel_password_checks_limit").await,
        metric(&app, "green_channel_password_checks_peak").await,
    );
    assert!((1..=4).contains(&limit), "limit {limit}");
    assert!(peak >= 1, "checks ran");
    assert!(peak <= limit, "at most {limit} at once, saw {peak}");
    assert_eq!(
        metric(&app, "green_channel_password_checks_in_flight").await,
        0
    );
}

/// The `503` page of the bound has its words in every language.
#[tokio::test]
async fn the_busy_page_has_its_words_in_every_language() {
    for (language, words) in [("en", "busy"), ("zh-CN", "繁忙"), ("zh-TW", "繁忙")] {
        let key = green_channel::i18n::Locale::from_tag(language).unwrap();
        let title = green_channel::i18n::t(key, "page.busy.title");
        assert!(title.contains(words), "{language}: {title}");
    }
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

#[tokio::test]
async fn two_hundred_concurrent_sign_ins_keep_the_process_under_150_mb() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_green-channel"));
    command.env_clear();
    binary_env(&mut command, dir.path())
        .arg("serve")
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("BASE_URL", "http://gc.test")
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("LOGIN_LIMIT_PER_HOUR", "100000")
        .env("SWEEP_INTERVAL_SECONDS", "0")
        .env("WORKERS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _database = DatabaseGuard::of(dir.path());
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Killed(command.spawn().unwrap());
    let address = format!("http://127.0.0.1:{port}");
    let probe = reqwest::Client::new();
    let mut up = false;
    for _ in 0..600 {
        assert!(child.0.try_wait().unwrap().is_none(), "the service exited");
        if probe
            .get(format!("{address}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the service came up");
    // The forms one after another (what is measured is the sign-ins, all at once).
    let mut forms = vec![];
    for _ in 0..200 {
        forms.push(open_login(&address).await);
    }
    let address = &address;
    let responses = join_all(forms.iter().enumerate().map(|(n, form)| async move {
        let username = format!("ghost{n}");
        post_login(address, form, &username, "wrong-password", "").await
    }))
    .await;
    for response in &responses {
        let status = response.status().as_u16();
        // 408: on a loaded machine a connection may wait past the request timeout before a
        // worker reads it; it is answered without any hashing, which is what is measured.
        assert!(status == 401 || status == 503 || status == 408, "{status}");
    }
    let peak_mib = peak_rss_kib(child.0.id()) / 1024;
    assert!(peak_mib < 150, "peak resident memory {peak_mib} MiB");
}

#[tokio::test]
async fn failures_from_one_address_do_not_lock_out_the_right_password_from_another() {
    let app = behind_proxy().await;
    app.create_user("clerk1", "clerk", "food-drug").await;
    let attacker = "203.0.113.9";
    for attempt in 1..=5 {
        let response = sign_in_from(&app, "clerk1", "wrong-password", attacker).await;
        assert_eq!(response.status().as_u16(), 401, "attempt {attempt}");
    }
    let locked = sign_in_from(&app, "clerk1", STAFF_PASSWORD, attacker).await;
    assert_eq!(
        locked.status().as_u16(),
        429,
        "the address that failed waits"
    );
    assert!(locked.headers().contains_key("retry-after"));

    // The clerk, from the office, gets in with the right password.
    let office = "198.51.100.7";
    let response = sign_in_from(&app, "clerk1", STAFF_PASSWORD, office).await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "a fresh address is not locked out"
    );
    // Her success does not free the attacker's address.
    let still = sign_in_from(&app, "clerk1", STAFF_PASSWORD, attacker).await;
    assert_eq!(still.status().as_u16(), 429);

    // While the username is locked, an address that has failed once waits too.
    for _ in 0..5 {
        sign_in_from(&app, "clerk1", "wrong-password", attacker).await;
    }
    let other = "192.0.2.44";
    assert_eq!(
        sign_in_from(&app, "clerk1", "wrong-password", other)
            .await
            .status()
            .as_u16(),
        401
    );
    let (by_user, _) = stored_failures(&app, "clerk1").await;
    assert!(by_user.is_some_and(|n| n >= 1));

    // The office sees the lock-out; a clerk may not.
    let admin = crate::helpers::login_at(&app.address, "admin", ADMIN_PASSWORD).await;
    let page = admin
        .get(app.url("/admin/lockouts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows = select_text(&page, "#lockouts tr[data-username=clerk1][data-address]");
    assert!(
        rows.iter().any(|row| row.contains(attacker)),
        "the attacker's address is listed: {rows:?}"
    );
    assert!(
        !page.contains(office),
        "the clerk's own address is not a lock-out"
    );
    app.create_user("clerk2", "clerk", "food-drug").await;
    let clerk = crate::helpers::login_at(&app.address, "clerk2", STAFF_PASSWORD).await;
    let refused = clerk.get(app.url("/admin/lockouts")).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 403);
}

#[tokio::test]
async fn the_lockouts_page_answers_every_role_and_query_without_an_error() {
    let app = spawn_app_with(|_| {}).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    for query in ["", "?x=1", "?before=%FF", "?username=%00", "?a=b&a=c"] {
        let response = admin
            .get(app.url(&format!("/admin/lockouts{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{query}");
        assert!(response.text().await.unwrap().contains("lockouts-empty"));
    }
    let anonymous = client()
        .get(app.url("/admin/lockouts"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 303, "to the sign-in page");
}

async fn change_password(
    app: &TestApp,
    browser: &reqwest::Client,
    current: &str,
    new: &str,
) -> reqwest::Response {
    let token = app.admin_csrf(browser, "/admin/password").await;
    browser
        .post(app.url("/admin/password"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                ("csrf_token", token.as_str()),
                ("current", current),
                ("new", new),
                ("confirm", new),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_like_sign_in() {
    let app = spawn_app_with(|_| {}).await;
    app.create_user("clerk1", "clerk", "food-drug").await;
    let browser = app.login("clerk1", STAFF_PASSWORD).await;
    let mut answers = vec![];
    for _ in 0..12 {
        let response = change_password(&app, &browser, "not-my-password", "a-new-password-1").await;
        answers.push(response.status().as_u16());
    }
    assert_eq!(&answers[..5], &[422; 5], "{answers:?}");
    assert!(
        answers[5..].iter().all(|s| *s == 429),
        "then the account waits: {answers:?}"
    );
    let (by_user, _) = stored_failures(&app, "clerk1").await;
    assert_eq!(by_user, Some(5));
    // Even the right current password waits now, and the password is unchanged.
    let locked = change_password(&app, &browser, STAFF_PASSWORD, "a-new-password-1").await;
    assert_eq!(locked.status().as_u16(), 429);
    assert!(locked.headers().contains_key("retry-after"));
    let (_, status) =
        crate::helpers::try_login_at(&app.address, "clerk1", "a-new-password-1").await;
    assert_ne!(status, 303, "the password did not change");
}

#[tokio::test]
async fn malformed_password_changes_are_never_5xx_and_change_nothing() {
    let app = spawn_app_with(|_| {}).await;
    app.create_user("clerk1", "clerk", "food-drug").await;
    let browser = app.login("clerk1", STAFF_PASSWORD).await;
    let token = app.admin_csrf(&browser, "/admin/password").await;
    for body in [
        String::new(),
        format!("csrf_token={token}"),
        format!("csrf_token={token}&current=%FF%FE&new=%FF&confirm=%FF"),
        format!("csrf_token={token}&current=&new=&confirm="),
        format!("csrf_token={token}&current={}&new=x&confirm=y", "a".repeat(5000)),
        format!("csrf_token={token}&current=%00&new=aaaaaaaaaaaa%00&confirm=aaaaaaaaaaaa%00"),
        format!("csrf_token={token}&current=a&current=b&new=c&new=d"),
        format!("csrf_token=wrong&current={STAFF_PASSWORD}&new=a-new-password-1&confirm=a-new-password-1"),
    ] {
        let response = browser
            .post(app.url("/admin/password"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "{body:?}: {status}");
    }
    // The password is what it was.
    assert_eq!(
        crate::helpers::try_login_at(&app.address, "clerk1", STAFF_PASSWORD)
            .await
            .1,
        303
    );
}
