//! The resident's journey of issue 16 in a real headless Chromium at phone width (390 px),
//! JavaScript off: a refused filing with its error summary, the filing, the confirmation
//! panel, where the case stands, and a withdrawal through its confirmation page. The new
//! elements are found by their role and text, as assistive technology finds them.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browser::{
    browser, click, file_on_the_form, fill, screenshot, start_driver, wait_for_state,
};
use crate::helpers::spawn_app;

const PHONE_WIDTH: u32 = 390;

/// The element `xpath` names, waiting for the page that shows it.
async fn by_xpath(page: &Client, xpath: &str) -> fantoccini::elements::Element {
    page.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(xpath))
        .await
        .unwrap_or_else(|e| panic!("{xpath}: {e}"))
}

#[tokio::test]
async fn a_resident_on_a_phone_files_follows_and_withdraws_without_javascript() {
    let app = spawn_app().await;
    let driver = start_driver();
    let page = browser(&driver).await;
    page.set_window_size(PHONE_WIDTH, 1400).await.unwrap();

    // The form, sent empty: the error summary, by role and heading, links to each field.
    page.goto(&app.url("/complaints/new")).await.unwrap();
    screenshot(&page, "form-phone").await;
    click(&page, "form.complaint-form button[type=submit]").await;
    let summary = by_xpath(
        &page,
        "//*[@role='alert'][.//h2[normalize-space()='请修改以下内容后再提交']]",
    )
    .await;
    let district = summary
        .find(Locator::XPath(
            ".//a[normalize-space()='请选择经营者所在区县。']",
        ))
        .await
        .expect("a link naming the district");
    assert_eq!(
        district.attr("href").await.unwrap().as_deref(),
        Some("#district")
    );
    assert!(page.title().await.unwrap().starts_with("错误："));
    let marked = page
        .find(Locator::Css("#district[aria-invalid=true]"))
        .await
        .expect("the district marked invalid");
    assert_eq!(
        marked.attr("aria-describedby").await.unwrap().as_deref(),
        Some("district-hint district-error")
    );

    // Filed as a resident would.
    file_on_the_form(&page).await;
    wait_for_state(&page, "assigned").await;

    // The confirmation panel: a status with the code on one line.
    let panel = by_xpath(
        &page,
        "//*[@role='status'][.//h2[normalize-space()='已收到，谢谢您']]",
    )
    .await;
    let code_element = panel
        .find(Locator::Css(".code-big"))
        .await
        .expect("the code");
    let code = code_element.text().await.unwrap();
    assert_eq!(code.len(), 17, "{code}");
    let (_, _, width, height) = code_element.rectangle().await.unwrap();
    assert!(
        height < 60.0 && width <= f64::from(PHONE_WIDTH),
        "the code on one line, within the screen: {width}×{height}"
    );
    by_xpath(
        &page,
        "//h2[normalize-space()='接下来会怎样']/following-sibling::ol/li[contains(., '决定是否受理')]",
    )
    .await;
    by_xpath(&page, "//h2[normalize-space()='您提交的内容']").await;
    // Where the case stands: a list of steps, the current one marked.
    let current = by_xpath(&page, "//ol[@id='steps']/li[@aria-current='step']").await;
    assert!(
        current.text().await.unwrap().starts_with("受理"),
        "the case awaits acceptance"
    );
    let left = page
        .find(Locator::Css("#remaining"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        left.starts_with("还剩 ") && left.ends_with(" 个工作日"),
        "{left}"
    );
    // The footer, with the way to the privacy notice.
    by_xpath(
        &page,
        "//footer//a[@href='/privacy'][normalize-space()='隐私说明']",
    )
    .await;
    screenshot(&page, "tracking-phone").await;

    // The same pages at desktop width, for the README.
    let tracking_url = page.current_url().await.unwrap().to_string();
    page.set_window_size(1280, 1000).await.unwrap();
    page.goto(&tracking_url).await.unwrap();
    wait_for_state(&page, "assigned").await;
    screenshot(&page, "tracking").await;
    page.goto(&app.url("/complaints/new")).await.unwrap();
    screenshot(&page, "form").await;

    // Withdrawn on the phone through its confirmation page, which ends with a success
    // message.
    page.set_window_size(PHONE_WIDTH, 1400).await.unwrap();
    page.goto(&tracking_url).await.unwrap();
    click(&page, "#withdraw-link").await;
    by_xpath(&page, "//h1[starts-with(normalize-space(), '确认撤回')]").await;
    fill(&page, "#reason", "商家已退款").await;
    click(&page, "form.withdraw button[type=submit]").await;
    wait_for_state(&page, "withdrawn").await;
    by_xpath(&page, "//*[@role='status'][contains(., '已撤回')]").await;

    let _ = tokio::time::timeout(Duration::from_secs(10), page.close()).await;
}
