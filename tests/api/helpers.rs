//! `spawn_app` and `TestApp`: the real service on a free port with a real SQLite file in a
//! fresh folder (or a fresh PostgreSQL database: `test_database.rs`), and one helper per
//! endpoint. Every POST goes through the real CSRF token
//! scraped from the page, as a browser's would.

use std::path::PathBuf;

use green_channel::config::Config;
use green_channel::db::Database;
use green_channel::{prepare_database, Application};
use reqwest::redirect::Policy;
use reqwest::Response;
use scraper::{Html, Selector};

pub struct TestApp {
    pub address: String,
    pub db: Database,
    pub data_dir: PathBuf,
    pub client: reqwest::Client,
    /// The configuration it runs on (the email helpers build their transport from it).
    pub config: Config,
    handle: actix_web::dev::ServerHandle,
    _dir: Option<tempfile::TempDir>,
    /// Whether dropping the app delivers what the test left in the outbox and fails the
    /// test if any email cannot be sent (on by default; see `Drop`).
    pub check_emails_on_drop: bool,
    /// The PostgreSQL database of a data folder this app owns, dropped with it (after the
    /// `Drop` above has looked at the outbox: fields drop after it).
    _database: Option<crate::test_database::DatabaseGuard>,
}

pub fn test_config(data_dir: &std::path::Path) -> Config {
    Config {
        database: crate::test_database::database_for(data_dir),
        listen_addr: "127.0.0.1:0".into(),
        base_url: "http://gc.test".into(),
        data_dir: data_dir.to_path_buf(),
        smtp_url: None,
        mail_from: "Green Channel <no-reply@gc.test>".into(),
        secret_key: crate::test_database::TEST_SECRET_KEY.to_vec(),
        admin_password: Some(ADMIN_PASSWORD.into()),
        outbox_retry_base_secs: 1,
        outbox_give_up_hours: 120,
        submit_limit_per_hour: 1000,
        track_limit_per_hour: 10_000,
        login_limit_per_hour: 30,
        mail_per_recipient_per_day: 30,
        trusted_proxies: vec![],
        session_idle_minutes: 30,
        rating_window_days: 15,
        duplicate_window_days: 30,
        // Tests sweep explicitly (`green-channel sweep --as-of`, `sweeper::sweep`), so that
        // what they see does not depend on the clock; one test turns it on.
        sweep_interval_seconds: 0,
        workers: Some(1),
        database_pool_size: 8,
        metrics_token: Some(METRICS_TOKEN.into()),
        metrics_addr: None,
        // Every scrape reads the outbox again, so a test sees each change at once.
        metrics_cache_seconds: 0,
        open311_jurisdiction_id: "green-channel.test".into(),
        // No role is forced to enrol a second factor, so `login` signs in with the password
        // alone; the TOTP tests (`totp.rs`) set REQUIRE_TOTP_ROLES themselves.
        require_totp_roles: vec![],
        site: Default::default(),
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        // A connection left idle may be closed by the server (keep-alive timeout) just as
        // the next request goes out on it: on a loaded machine that was an
        // `IncompleteMessage` now and then. A connection per request cannot race that way.
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// Signs in through the real form of the service at `address` (any instance), in a
/// browser (cookie jar) of its own.
pub async fn login_at(address: &str, username: &str, password: &str) -> reqwest::Client {
    let (browser, status) = try_login_at(address, username, password).await;
    assert_eq!(status, 303, "signing in as {username} on {address}");
    browser
}

/// Posts the sign-in form as a browser would (CSRF token from the page): the browser and
/// the answer's status.
pub async fn try_login_at(address: &str, username: &str, password: &str) -> (reqwest::Client, u16) {
    let browser = client();
    let page = browser
        .get(format!("{address}/admin/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = select_attr(&page, "input[name=csrf_token]", "value").expect("a sign-in form");
    let status = browser
        .post(format!("{address}/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                ("username", username),
                ("password", password),
                ("csrf_token", token.as_str()),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    (browser, status)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customise: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    customise(&mut config);
    let mut app = start(config).await;
    app._database = Some(crate::test_database::DatabaseGuard::of(dir.path()));
    app._dir = Some(dir);
    app
}

/// Starts the service on `config` (its data folder is kept by the caller). The email worker
/// does not run: a test delivers with `dispatch_all_pending_emails`, so rows stay as written
/// until it does.
pub async fn start(config: Config) -> TestApp {
    start_app(config, false).await
}

/// `start` with the background email worker running, as in production.
pub async fn start_with_mail_worker(config: Config) -> TestApp {
    start_app(config, true).await
}

async fn start_app(config: Config, background_tasks: bool) -> TestApp {
    let data_dir = config.data_dir.clone();
    let prepared = config.clone();
    let (db, _) = tokio::task::spawn_blocking(move || prepare_database(&prepared))
        .await
        .unwrap()
        .expect("database prepared");
    let app = if background_tasks {
        Application::build(config.clone(), db.clone())
    } else {
        Application::build_without_background_tasks(config.clone(), db.clone())
    }
    .expect("app built");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        db,
        data_dir,
        client: client(),
        config,
        handle,
        _dir: None,
        check_emails_on_drop: true,
        _database: None,
    }
}

pub fn select_attr(html: &str, selector: &str, attr: &str) -> Option<String> {
    let document = Html::parse_document(html);
    let selector = Selector::parse(selector).unwrap();
    document
        .select(&selector)
        .next()
        .and_then(|e| e.value().attr(attr).map(str::to_owned))
}

pub fn select_text(html: &str, selector: &str) -> Vec<String> {
    let document = Html::parse_document(html);
    let selector = Selector::parse(selector).unwrap();
    document
        .select(&selector)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

/// The tokens a rendered form carries.
#[derive(Debug, Clone)]
pub struct FormTokens {
    pub csrf_token: String,
    pub submission_id: String,
}

/// A valid complaint, as the form would post it.
pub fn valid_complaint() -> Vec<(&'static str, String)> {
    [
        ("kind", "complaint"),
        ("category", "food"),
        ("district", "361102"),
        ("business_name", "信州区好又多超市"),
        ("business_address", "信州区中山路 88 号"),
        ("business_credit_code", "91350100M000100Y43"),
        ("product", "婴儿奶粉 900 克"),
        ("incident_date", "2026-11-01"),
        ("description", "买到的奶粉已经过期三个月，商家拒绝退货。"),
        ("demand", "退货退款"),
        ("complainant_name", "张三"),
        ("phone", "138 0013 8000"),
        ("email", "zhang.san@example.com"),
        ("consent", "on"),
        ("website", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

pub fn with(
    mut fields: Vec<(&'static str, String)>,
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    fields.retain(|(k, _)| *k != name);
    fields.push((name, value.to_owned()));
    fields
}

pub fn without(mut fields: Vec<(&'static str, String)>, name: &str) -> Vec<(&'static str, String)> {
    fields.retain(|(k, _)| *k != name);
    fields
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// `GET /metrics` with the test apps' token, as a scraper would.
    pub async fn metrics(&self) -> Response {
        self.client
            .get(self.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_html(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    /// Opens the form, as a resident would, and reads its tokens.
    pub async fn open_form(&self) -> FormTokens {
        let html = self.get_html("/complaints/new").await;
        FormTokens {
            csrf_token: select_attr(&html, "input[name=csrf_token]", "value").expect("csrf_token"),
            submission_id: select_attr(&html, "input[name=submission_id]", "value")
                .expect("submission_id"),
        }
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, String)]) -> Response {
        self.client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap())
            .send()
            .await
            .unwrap()
    }

    /// Opens the form and posts `fields` with its tokens.
    pub async fn file_complaint(&self, fields: Vec<(&'static str, String)>) -> Response {
        let tokens = self.open_form().await;
        self.file_with_tokens(fields, &tokens).await
    }

    pub async fn file_with_tokens(
        &self,
        fields: Vec<(&'static str, String)>,
        tokens: &FormTokens,
    ) -> Response {
        let mut all = fields;
        all.push(("csrf_token", tokens.csrf_token.clone()));
        all.push(("submission_id", tokens.submission_id.clone()));
        self.post_form("/complaints", &all).await
    }

    /// Files a valid complaint and returns its tracking code.
    pub async fn file_valid(&self, fields: Vec<(&'static str, String)>) -> String {
        let response = self.file_complaint(fields).await;
        assert_eq!(
            response.status().as_u16(),
            303,
            "{}",
            response.text().await.unwrap()
        );
        tracking_code_of(&response)
    }

    pub async fn count(&self, table: &'static str) -> i64 {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        self.db
            .read(move |conn| {
                Ok(
                    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                        .get_result::<Count>(conn)?
                        .n,
                )
            })
            .await
            .unwrap()
    }

    /// Every table a filing writes, for asserting that nothing was stored.
    pub async fn stored_rows(&self) -> [i64; 5] {
        [
            self.count("complaints").await,
            self.count("events").await,
            self.count("outbox").await,
            self.count("complaint_departments").await,
            self.count("complaint_search").await,
        ]
    }

    pub async fn stop(self) -> PathBuf {
        self.handle.stop(true).await;
        self.data_dir.clone()
    }
}

pub fn tracking_code_of(response: &Response) -> String {
    let location = response.headers()["location"].to_str().unwrap();
    location
        .strip_prefix("/track/")
        .expect("a tracking page")
        .to_owned()
}

// Helpers of the validation, security, tracking and i18n modules.

/// The stored row of the complaint with this tracking code.
pub async fn stored_complaint(
    app: &TestApp,
    code: &str,
) -> green_channel::db::complaints::ComplaintRow {
    use diesel::prelude::*;
    use green_channel::db::complaints::ComplaintRow;
    use green_channel::db::schema::complaints;
    let code = code.to_owned();
    app.db
        .read(move |conn| {
            Ok(complaints::table
                .filter(complaints::tracking_code.eq(code))
                .select(ComplaintRow::as_select())
                .first(conn)?)
        })
        .await
        .unwrap()
}

/// Every co-handling row whose copy of its case (state, lead department, running deadline;
/// kept by triggers, migration co_handled_state) differs from the case, as (complaint,
/// department); and how many rows were compared.
pub async fn co_handled_copies_out_of_step(app: &TestApp) -> (Vec<(String, String)>, usize) {
    use chrono::NaiveDate;
    use diesel::prelude::*;
    use green_channel::db::schema::{complaint_departments, complaints};
    type Copy = (String, String, Option<NaiveDate>);
    app.db
        .read(move |conn| {
            let rows: Vec<(String, String, Copy, Copy)> = complaint_departments::table
                .inner_join(complaints::table)
                .select((
                    complaint_departments::complaint_id,
                    complaint_departments::department_code,
                    (
                        complaint_departments::case_state,
                        complaint_departments::case_lead,
                        complaint_departments::case_due,
                    ),
                    (
                        complaints::state,
                        complaints::lead_department,
                        complaints::current_due,
                    ),
                ))
                .load(conn)?;
            let compared = rows.len();
            let differing = rows
                .into_iter()
                .filter(|(_, _, copy, case)| copy != case)
                .map(|(complaint, department, _, _)| (complaint, department))
                .collect();
            Ok((differing, compared))
        })
        .await
        .unwrap()
}

/// A client with no cookies at all, as another browser (or a forged request) would be.
/// Posts a urlencoded filing from a client that sends exactly the `Cookie` header given
/// (or none): for cookies a browser would not send, planted or forged.
pub async fn post_filing_with_cookie_header(
    app: &TestApp,
    cookie: Option<&str>,
    fields: &[(&'static str, String)],
) -> Response {
    let mut request = cookieless_client()
        .post(app.url("/complaints"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap());
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

pub fn cookieless_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Every `Set-Cookie` header of a response, as sent.
pub fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The value a `Set-Cookie` header of `response` gives the cookie `name`.
pub fn cookie_value(response: &Response, name: &str) -> Option<String> {
    set_cookies(response).iter().find_map(|header| {
        let (pair, _) = header.split_once(';').unwrap_or((header, ""));
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim().to_owned())
    })
}

/// The form's token for a CSRF cookie value, signed with `key` as the service signs it
/// (HMAC-SHA256 over a domain label and the cookie value; DESIGN §4).
pub fn sign_csrf(key: &[u8], cookie_value: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(b"public-form\0");
    mac.update(cookie_value.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// A CSRF cookie value as the service issues it (`nonce.issued.mac`, the MAC keyed by
/// `key`): what a forger holding the secret key could make, and no one else.
pub fn mint_csrf_cookie(key: &[u8], nonce: &str, issued: i64) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let body = format!("{nonce}.{issued}");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(b"csrf-cookie\0");
    mac.update(body.as_bytes());
    format!(
        "{body}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// The city's date today (Asia/Shanghai), as the service counts it.
pub fn city_today() -> chrono::NaiveDate {
    green_channel::domain::calendar::city_date(green_channel::services::now_utc())
}

impl TestApp {
    /// GET with an `Accept-Language` header.
    pub async fn get_in(&self, path: &str, accept_language: &str) -> Response {
        self.client
            .get(self.url(path))
            .header("accept-language", accept_language)
            .send()
            .await
            .unwrap()
    }

    /// Opens the form and posts `fields` with its tokens and an `Accept-Language` header.
    pub async fn file_in(
        &self,
        fields: Vec<(&'static str, String)>,
        accept_language: &str,
    ) -> Response {
        let tokens = self.open_form().await;
        let mut all = fields;
        all.push(("csrf_token", tokens.csrf_token.clone()));
        all.push(("submission_id", tokens.submission_id.clone()));
        self.client
            .post(self.url("/complaints"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept-language", accept_language)
            .body(serde_urlencoded::to_string(&all).unwrap())
            .send()
            .await
            .unwrap()
    }

    /// POSTs a body as is, with this client's cookies.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        self.client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// The body of `path` as a signed-in `browser` sees it.
    pub async fn html_as(&self, browser: &reqwest::Client, path: &str) -> String {
        browser
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The CSRF token of the withdrawal form on a case's confirmation page.
    pub async fn withdraw_token(&self, code: &str) -> String {
        let page = self.get_html(&format!("/track/{code}/withdraw")).await;
        select_attr(
            &page,
            "form[action$=withdraw] input[name=csrf_token]",
            "value",
        )
        .expect("a withdrawal form")
    }
}

// Helpers of the email module.

impl TestApp {
    /// Delivers every due outbox row now, through the transport of `config` (the SMTP server
    /// of `smtp_url`, or `.eml` files), as the worker would.
    pub async fn dispatch_all_pending_emails(&self) -> green_channel::mail::worker::DeliveryReport {
        self.dispatch_emails_at(green_channel::services::now_utc())
            .await
    }

    /// Delivers as if it were `now`: a later `now` makes retries fall due without waiting.
    pub async fn dispatch_emails_at(
        &self,
        now: chrono::NaiveDateTime,
    ) -> green_channel::mail::worker::DeliveryReport {
        use green_channel::mail::{transport::Mailer, worker};
        let mailer = Mailer::from_config(&self.config).expect("a mail transport");
        let settings = worker::DeliverySettings::from_config(&self.config);
        worker::deliver_due(&self.db, &mailer, &settings, now)
            .await
            .expect("a delivery pass")
    }

    /// Fails the test if an outbox row is left unsent (crates.io's test app does this on
    /// drop; here a test opts in by calling it at its end).
    pub async fn assert_no_unsent_emails(&self) {
        use diesel::prelude::*;
        use green_channel::db::schema::outbox;
        let unsent: Vec<(i64, String, i32, Option<String>)> = self
            .db
            .read(|conn| {
                Ok(outbox::table
                    .filter(outbox::state.eq("pending"))
                    .select((
                        outbox::id,
                        outbox::template,
                        outbox::attempts,
                        outbox::last_error,
                    ))
                    .load(conn)?)
            })
            .await
            .unwrap();
        assert!(
            unsent.is_empty(),
            "the test left unsent emails behind (id, template, attempts, last error): {unsent:?}"
        );
    }
}

// Helpers of the management tests: staff accounts and signed-in browsers.

/// The password `TestApp::create_user` gives every account it creates.
pub const STAFF_PASSWORD: &str = "staff-password-for-tests";
/// The `METRICS_TOKEN` of every test app.
pub const METRICS_TOKEN: &str = "metrics-token-for-tests";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

impl TestApp {
    /// Creates a staff account as `green-channel create-user` does, with `STAFF_PASSWORD`.
    pub async fn create_user(&self, username: &str, role: &str, department: &str) {
        self.create_user_with_email(username, role, department, None)
            .await;
    }

    /// As `create-user --email`: the address the account's notices go to.
    pub async fn create_user_with_email(
        &self,
        username: &str,
        role: &str,
        department: &str,
        email: Option<&str>,
    ) {
        let (db, username, role, department, email) = (
            self.db.clone(),
            username.to_owned(),
            role.to_owned(),
            department.to_owned(),
            email.map(str::to_owned),
        );
        tokio::task::spawn_blocking(move || {
            green_channel::services::users::create_user(
                &db,
                &username,
                &role,
                Some(&department),
                email.as_deref(),
                STAFF_PASSWORD,
            )
        })
        .await
        .unwrap()
        .expect("staff account created");
    }

    /// Signs in through the real form, in a browser (cookie jar) of its own.
    pub async fn login(&self, username: &str, password: &str) -> reqwest::Client {
        login_at(&self.address, username, password).await
    }

    /// The session's CSRF token, scraped from any admin page of the signed-in `browser`.
    pub async fn admin_csrf(&self, browser: &reqwest::Client, page_path: &str) -> String {
        let page = browser
            .get(self.url(page_path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        select_attr(&page, "input[name=csrf_token]", "value").expect("an admin form")
    }
}

/// As crates.io's test app does for its jobs: nothing a test queued may be left unsendable.
/// Every email still pending when the test ends is delivered through the file transport
/// (into the test's data folder), and the test fails if any of them cannot be sent — an
/// unparseable recipient, a message that does not build. Tests about delivery itself
/// leave rows failed on purpose; those are not pending and are left alone.
impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() || !self.check_emails_on_drop {
            return;
        }
        let db = self.db.clone();
        // Deliverability is the question here, not policy: no daily cap, no give-up.
        let mut config = self.config.clone();
        config.smtp_url = None;
        config.mail_per_recipient_per_day = u32::MAX;
        config.outbox_give_up_hours = 100_000;
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                use diesel::prelude::*;
                use green_channel::db::schema::outbox;
                use green_channel::mail::{transport::Mailer, worker};
                let pending: Vec<(i64, chrono::NaiveDateTime)> = db
                    .read(|conn| {
                        Ok(outbox::table
                            .filter(outbox::state.eq("pending"))
                            .select((outbox::id, outbox::due_at))
                            .load(conn)?)
                    })
                    .await
                    .expect("reading the outbox");
                // A sweep run `--as-of` a later day writes emails due on that day.
                let latest_due = pending.iter().map(|(_, due)| *due).max();
                let pending: Vec<i64> = pending.into_iter().map(|(id, _)| id).collect();
                let mailer = Mailer::from_config(&config).expect("the file transport");
                let settings = worker::DeliverySettings::from_config(&config);
                // Later than any backoff (an hour at most); several passes, each claims a batch.
                let now = green_channel::services::now_utc();
                let later = latest_due.map_or(now, |due| due.max(now)) + chrono::Duration::hours(2);
                for _ in 0..1000 {
                    let report = worker::deliver_due(&db, &mailer, &settings, later)
                        .await
                        .expect("a delivery pass");
                    if report.is_empty() {
                        break;
                    }
                }
                db.read(move |conn| {
                    Ok(outbox::table
                        .filter(outbox::id.eq_any(pending))
                        .filter(outbox::state.ne("sent"))
                        .select((
                            outbox::id,
                            outbox::template,
                            outbox::state,
                            outbox::last_error,
                        ))
                        .load::<(i64, String, String, Option<String>)>(conn)?)
                })
                .await
                .expect("reading the outbox")
            })
        })
        .join();
        match outcome {
            Ok(left) => assert!(
                left.is_empty(),
                "emails this test left could not be sent (id, template, state, error): {left:?}"
            ),
            Err(_) => panic!("delivering the emails this test left behind failed"),
        }
    }
}
