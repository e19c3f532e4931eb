//! The clerk's and the office's journeys of issue 16 in a real Chromium at phone width
//! (390 px) without JavaScript: the queue as cards with folded filters and a skip link, a
//! rejection through its preview with a standard ground, "处理下一件", and a returned case
//! designated by the office from its primary action.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browser::{
    browser, click, fill, screenshot, select, start_driver, wait_for, wait_for_state,
};
use crate::helpers::{spawn_app, valid_complaint, TestApp, STAFF_PASSWORD};
use crate::triage::{act, complaint};

async fn sign_in(app: &TestApp, page: &Client, username: &str) {
    page.goto(&app.url("/admin/login")).await.unwrap();
    fill(page, "#username", username).await;
    fill(page, "#password", STAFF_PASSWORD).await;
    click(page, "form button[type=submit]").await;
    page.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#results"))
        .await
        .expect("the queue");
}

/// The visible text of the element matching `selector`.
async fn text(page: &Client, selector: &str) -> String {
    page.find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_clerk_and_the_office_work_the_desk_on_a_phone() {
    let app = spawn_app().await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    app.create_user("office", "coordinator", "quality-office")
        .await;
    let first = app.file_valid(valid_complaint()).await;
    let second = app.file_valid(valid_complaint()).await;
    let driver = start_driver();

    // The clerk, on a phone.
    let clerk = browser(&driver).await;
    clerk.set_window_size(390, 1400).await.unwrap();
    sign_in(&app, &clerk, "clerk-food").await;
    let skip = clerk
        .find(Locator::Css("a.skip-link[href='#results']"))
        .await
        .expect("a skip link to the results");
    assert_eq!(
        skip.prop("textContent").await.unwrap().as_deref(),
        Some("跳到案件列表")
    );
    assert!(text(&clerk, "details.filters-fold > summary")
        .await
        .contains("未筛选"));
    // Rows are cards: every cell a block of its own, the header row out of sight.
    let cell = clerk
        .find(Locator::Css("table.queue tbody td.business"))
        .await
        .unwrap();
    assert_eq!(cell.css_value("display").await.unwrap(), "block");
    assert!(cell.text().await.unwrap().contains("买到的奶粉"));
    screenshot(&clerk, "queue-phone").await;

    // Opens a case: accepting is the one primary action; rejecting is folded away.
    click(&clerk, "table.queue tbody tr td.reference a").await;
    wait_for_state(&clerk, "assigned").await;
    let shown_id = clerk
        .current_url()
        .await
        .unwrap()
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert!(clerk
        .find(Locator::Css(
            ".primary-action #action-accept button.primary"
        ))
        .await
        .is_ok());
    screenshot(&clerk, "complaint-phone").await;
    click(&clerk, "details.other-actions > summary").await;
    assert_eq!(
        text(&clerk, "details.other-actions > summary").await,
        "其他操作"
    );
    select(&clerk, "#reject-standard_reason", "1").await;
    click(&clerk, "#action-reject button").await;
    wait_for(&clerk, "form#confirm").await;
    assert_eq!(text(&clerk, "h1").await, "确认：不予受理");
    assert!(text(&clerk, "#preview-email")
        .await
        .contains("投诉事项不属于市场监督管理部门职责"));
    screenshot(&clerk, "preview").await;
    click(&clerk, "form#confirm button").await;
    wait_for_state(&clerk, "rejected").await;
    let next = clerk
        .find(Locator::Css("a[rel=next]"))
        .await
        .expect("处理下一件");
    assert_eq!(next.text().await.unwrap(), "处理下一件 →");
    next.click().await.unwrap();
    wait_for_state(&clerk, "assigned").await;
    let next_id = clerk
        .current_url()
        .await
        .unwrap()
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(next_id, shown_id);

    // The other case goes back to the office, which designates it from its phone.
    let other = if complaint(&app, &first).await.id.as_ref() == next_id {
        first
    } else {
        second
    };
    let other = complaint(&app, &other).await;
    let api_clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    let returned = act(
        &app,
        &api_clerk,
        other.id.as_ref(),
        "return",
        &[("reason", "经营者在外省，不属本部门管辖。")],
    )
    .await;
    assert_eq!(returned.status(), 303);
    let office = browser(&driver).await;
    office.set_window_size(390, 1400).await.unwrap();
    sign_in(&app, &office, "office").await;
    click(
        &office,
        "table.queue tbody tr[data-returned] td.reference a",
    )
    .await;
    wait_for_state(&office, "assigned").await;
    assert!(text(&office, "#returned").await.contains("不属本部门管辖"));
    select(
        &office,
        ".primary-action #transfer-department",
        "market-regulation",
    )
    .await;
    fill(
        &office,
        ".primary-action #transfer-reason",
        "按经营范围交工商局办理。",
    )
    .await;
    click(&office, ".primary-action #action-transfer button").await;
    office
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".banner[role=status]:not(#returned)"))
        .await
        .expect("the designation is confirmed");
    assert_eq!(
        complaint(&app, &other.tracking_code)
            .await
            .lead_department
            .as_str(),
        "market-regulation"
    );

    for session in [clerk, office] {
        let _ = tokio::time::timeout(Duration::from_secs(10), session.close()).await;
    }
}
