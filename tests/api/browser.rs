//! One journey in a real headless Chromium (chromium + chromium-driver from apt): a resident
//! files a complaint on the form, a clerk signs in, accepts and replies, the resident rates.
//! Pages must work without JavaScript, so the browser runs with JavaScript disabled.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::{spawn_app, TestApp, STAFF_PASSWORD};
use fantoccini::{Client, ClientBuilder, Locator};

/// chromedriver on a free port, killed when dropped.
pub struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver must be installed (apt-get install chromium chromium-driver); .ci/run installs it");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Driver {
        child,
        port,
        _profile: tempfile::tempdir().unwrap(),
    }
}

/// A browser as a resident's phone without JavaScript: every page must work in it.
pub async fn browser(driver: &Driver) -> Client {
    session(driver, false).await
}

/// A browser with JavaScript on, for tools the test itself injects (axe-core); the pages
/// have no script of their own and their CSP allows none.
pub async fn browser_with_javascript(driver: &Driver) -> Client {
    session(driver, true).await
}

async fn session(driver: &Driver, javascript: bool) -> Client {
    // Each browser a fresh profile of its own (two cannot share one).
    let profile = driver
        ._profile
        .path()
        .join(uuid::Uuid::new_v4().to_string());
    std::fs::create_dir_all(&profile).unwrap();
    let mut caps = serde_json::Map::new();
    let args = vec![
        "--headless".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--no-first-run".into(),
        "--disable-dev-shm-usage".into(),
        "--window-size=412,1400".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let mut prefs = serde_json::json!({ "intl.accept_languages": "zh-CN,zh" });
    if !javascript {
        // A phone without JavaScript: every page must still work.
        prefs["profile.managed_default_content_settings.javascript"] = 2.into();
    }
    let mut options = serde_json::json!({ "args": args, "prefs": prefs });
    if let Some(binary) = chromium {
        options["binary"] = serde_json::Value::String(binary.to_owned());
    }
    caps.insert("goog:chromeOptions".to_owned(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

pub async fn fill(page: &Client, selector: &str, text: &str) {
    let field = page
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"));
    field.clear().await.ok();
    field.send_keys(text).await.unwrap();
}

pub async fn click(page: &Client, selector: &str) {
    page.find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .click()
        .await
        .unwrap();
}

pub async fn select(page: &Client, selector: &str, value: &str) {
    page.find(Locator::Css(selector))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("{selector} = {value}: {e}"));
}

/// Waits (up to 20 s, as a page navigates) for an element `selector` matches.
pub async fn wait_for(page: &Client, selector: &str) {
    page.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"));
}

/// Waits for the page (after a form's navigation) to show the case in `state`.
pub async fn wait_for_state(page: &Client, state: &str) {
    wait_for(page, &format!("#state[data-state='{state}']")).await;
}

/// Fills the complaint form on `page` as a resident would (expired milk powder, a named
/// complainant with a phone number) and sends it.
pub async fn file_on_the_form(page: &Client) {
    click(page, "input[name=kind][value=complaint]").await;
    select(page, "#category", "food").await;
    select(page, "#district", "361102").await;
    fill(page, "#business_name", "信州区好又多超市").await;
    fill(page, "#business_address", "信州区中山路 88 号").await;
    fill(
        page,
        "#description",
        "买到的奶粉已经过期三个月，商家拒绝退货。",
    )
    .await;
    fill(page, "#complainant_name", "张三").await;
    fill(page, "#phone", "13800138000").await;
    click(page, "#consent").await;
    click(page, "form.complaint-form button[type=submit]").await;
}

pub async fn screenshot(page: &Client, name: &str) {
    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        let png = page.screenshot().await.unwrap();
        std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
    }
}

#[tokio::test]
async fn a_resident_files_a_clerk_accepts_and_replies_and_the_resident_rates() {
    let app: TestApp = spawn_app().await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let driver = start_driver();
    let page = browser(&driver).await;

    // The resident files on the form.
    page.goto(&app.url("/complaints/new")).await.unwrap();
    screenshot(&page, "form").await;
    file_on_the_form(&page).await;
    wait_for_state(&page, "assigned").await;
    let tracking_url = page.current_url().await.unwrap().to_string();
    assert!(tracking_url.contains("/track/"), "{tracking_url}");
    let source = page.source().await.unwrap();
    assert!(
        !source.contains("13800138000") && !source.contains("张三"),
        "no personal data on the tracking page"
    );
    screenshot(&page, "tracking").await;

    // The clerk signs in, opens the case from the queue, accepts and replies.
    let clerk = browser(&driver).await;
    clerk.goto(&app.url("/admin/login")).await.unwrap();
    fill(&clerk, "#username", "clerk-food").await;
    fill(&clerk, "#password", STAFF_PASSWORD).await;
    click(&clerk, "form button[type=submit]").await;
    clerk
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(
            "a[href^='/admin/complaints/']:not([href$='/new'])",
        ))
        .await
        .expect("the queue lists the case");
    screenshot(&clerk, "queue").await;
    click(&clerk, "a[href^='/admin/complaints/']:not([href$='/new'])").await;
    wait_for_state(&clerk, "assigned").await;
    screenshot(&clerk, "complaint").await;
    fill(&clerk, "#accept-message", "已受理，将联系商家。").await;
    click(&clerk, "#action-accept button").await;
    wait_for_state(&clerk, "accepted").await;
    select(&clerk, "#reply-outcome", "refund").await;
    fill(&clerk, "#reply-message", "经调解，商家已全额退款。").await;
    click(&clerk, "#action-reply button").await;
    // Issue 16: the reply goes through a page showing what the resident will receive
    // (waited for: on a loaded machine the click could come before the preview arrived).
    wait_for(&clerk, "form#confirm").await;
    click(&clerk, "#confirm button").await;
    wait_for_state(&clerk, "resolved").await;

    // The resident sees the answer and rates it.
    page.goto(&tracking_url).await.unwrap();
    wait_for_state(&page, "resolved").await;
    assert!(page
        .source()
        .await
        .unwrap()
        .contains("经调解，商家已全额退款。"));
    click(&page, "input[name=score][value='5']").await;
    click(&page, "#rating button[type=submit]").await;
    wait_for_state(&page, "closed").await;
    screenshot(&page, "closed").await;

    // The journey is done; a browser slow to quit under load is not a failure of the
    // service (the driver, and with it the browsers, is killed when dropped).
    for session in [clerk, page] {
        let _ = tokio::time::timeout(Duration::from_secs(10), session.close()).await;
    }
}
