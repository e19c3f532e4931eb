//! Joint actions in a real headless Chromium without JavaScript (issue 13): the office
//! opens one from a hotspot row, its cases preselected, and reports a member's part. With
//! `SCREENSHOT_DIR` set, it takes the README's `hotspots.png` and `joint-action.png`.

use std::time::Duration;

use fantoccini::Locator;

use crate::browser::{browser, click, fill, screenshot, select, start_driver, wait_for_state};
use crate::helpers::{spawn_app, valid_complaint, with, STAFF_PASSWORD};

#[tokio::test]
async fn the_office_opens_a_joint_action_from_a_hotspot_in_a_browser() {
    let app = spawn_app().await;
    app.create_user("office", "coordinator", "quality-office")
        .await;
    for (name, email, phone) in [
        ("好又多超市有限公司", "a@example.com", "13800000001"),
        ("信州区好又多超市", "b@example.com", "13800000002"),
        ("好又多超市（有限公司）", "c@example.com", "13800000003"),
    ] {
        let fields = with(valid_complaint(), "business_name", name);
        let fields = with(fields, "email", email);
        app.file_valid(with(fields, "phone", phone)).await;
    }
    let driver = start_driver();
    let page = browser(&driver).await;
    page.goto(&app.url("/admin/login")).await.unwrap();
    fill(&page, "#username", "office").await;
    fill(&page, "#password", STAFF_PASSWORD).await;
    click(&page, "form button[type=submit]").await;
    page.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("a[href='/admin/hotspots'], #queue, main"))
        .await
        .unwrap();
    page.goto(&app.url("/admin/hotspots")).await.unwrap();
    page.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("[data-open-joint-action]"))
        .await
        .expect("a hotspot row with its link");
    screenshot(&page, "hotspots").await;

    click(&page, "[data-open-joint-action]").await;
    page.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#joint-action-open"))
        .await
        .unwrap();
    fill(&page, "#joint-title", "好又多超市过期奶粉联合执法").await;
    select(&page, "#joint-lead", "market-regulation").await;
    click(&page, "input[name=members][value='market-regulation']").await;
    fill(&page, "#task-market-regulation", "现场检查，核查进货台账").await;
    fill(&page, "#due-market-regulation", "5").await;
    click(&page, "input[name=members][value='food-drug']").await;
    fill(&page, "#task-food-drug", "对在售奶粉抽样检验").await;
    fill(&page, "#due-food-drug", "10").await;
    click(&page, "#joint-action-open button[type=submit]").await;
    wait_for_state(&page, "open").await;
    let cases = page
        .find_all(Locator::Css("#joint-cases li"))
        .await
        .unwrap();
    assert_eq!(cases.len(), 3, "the hotspot's cases came preselected");

    // The office records the food department's part.
    select(&page, "#report-department", "food-drug").await;
    fill(
        &page,
        "#report-text",
        "抽检 3 批次，2 批次过期，已下架封存。",
    )
    .await;
    click(&page, "#joint-report button").await;
    page.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(
            "li[data-task='food-drug'][data-task-state='reported']",
        ))
        .await
        .expect("the part is reported");
    screenshot(&page, "joint-action").await;
    page.close().await.unwrap();
}
