//! `spawn_app` and `TestApp`: the real service on a free port with a real SQLite file in a
//! fresh folder, and one helper per endpoint. Every POST goes through the real CSRF token
//! scraped from the page, as a browser's would.

use std::path::PathBuf;

use green_channel::config::Config;
use green_channel::db::{Database, DatabaseLocation};
use green_channel::{prepare_database, Application};
use reqwest::redirect::Policy;
use reqwest::Response;
use scraper::{Html, Selector};

pub struct TestApp {
    pub address: String,
    pub db: Database,
    pub data_dir: PathBuf,
    pub client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
    _dir: Option<tempfile::TempDir>,
}

pub fn test_config(data_dir: &std::path::Path) -> Config {
    Config {
        database: DatabaseLocation::SqliteFile(data_dir.join("green-channel.db")),
        listen_addr: "127.0.0.1:0".into(),
        base_url: "http://gc.test".into(),
        data_dir: data_dir.to_path_buf(),
        smtp_url: None,
        mail_from: "Green Channel <no-reply@gc.test>".into(),
        secret_key: vec![42; 64],
        admin_password: Some("admin-password-for-tests".into()),
        outbox_retry_base_secs: 1,
        outbox_give_up_hours: 120,
        submit_limit_per_hour: 1000,
        track_limit_per_hour: 10_000,
        login_limit_per_hour: 30,
        mail_per_recipient_per_day: 30,
        trusted_proxies: vec![],
        session_idle_minutes: 30,
        rating_window_days: 15,
        workers: Some(1),
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customise: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    customise(&mut config);
    let mut app = start(config).await;
    app._dir = Some(dir);
    app
}

/// Starts the service on `config` (its data folder is kept by the caller).
pub async fn start(config: Config) -> TestApp {
    let data_dir = config.data_dir.clone();
    let prepared = config.clone();
    let (db, _) = tokio::task::spawn_blocking(move || prepare_database(&prepared))
        .await
        .unwrap()
        .expect("database prepared");
    let app = Application::build(config, db.clone()).expect("app built");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        db,
        data_dir,
        client: client(),
        handle,
        _dir: None,
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
