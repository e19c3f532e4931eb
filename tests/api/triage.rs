//! Triage over HTTP: a clerk handles a complaint through every step of DESIGN §3 while
//! the resident answers on the tracking page; stale forms and illegal steps change nothing.

use diesel::prelude::*;
use green_channel::db::complaints::ComplaintRow;
use green_channel::db::schema::{complaints, outbox};

use crate::helpers::{
    select_attr, select_text, spawn_app, valid_complaint, with, TestApp, STAFF_PASSWORD,
};

pub async fn complaint(app: &TestApp, code: &str) -> ComplaintRow {
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

/// Posts an action form of the complaint page as the signed-in `browser` would.
pub async fn act(
    app: &TestApp,
    browser: &reqwest::Client,
    id: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = app.admin_csrf(browser, "/admin/password").await;
    let row_version = {
        let id = id.to_owned();
        app.db
            .read(move |conn| {
                Ok(complaints::table
                    .filter(complaints::id.eq(id))
                    .select(complaints::version)
                    .first::<i32>(conn)?)
            })
            .await
            .unwrap()
    };
    let version = row_version.to_string();
    let mut body: Vec<(&str, &str)> = vec![("csrf_token", &token), ("version", &version)];
    body.extend_from_slice(fields);
    browser
        .post(app.url(&format!("/admin/complaints/{id}/{action}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&body).unwrap())
        .send()
        .await
        .unwrap()
}

/// (recipient, template) of the case's emails, in the order they were written.
pub async fn emails_to(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let id = id.to_owned();
    app.db
        .read(move |conn| {
            Ok(outbox::table
                .filter(outbox::complaint_id.eq(id))
                .order(outbox::id)
                .select((outbox::recipient, outbox::template))
                .load(conn)?)
        })
        .await
        .unwrap()
}

pub async fn resident_post(
    app: &TestApp,
    code: &str,
    what: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    // A withdrawal is posted from its confirmation page.
    let page = if what == "withdraw" {
        app.get_html(&format!("/track/{code}/withdraw")).await
    } else {
        app.get_html(&format!("/track/{code}")).await
    };
    let token = select_attr(
        &page,
        &format!("form[action$='{what}'] input[name=csrf_token]"),
        "value",
    )
    .unwrap_or_else(|| panic!("the tracking page offers {what}"));
    let mut body: Vec<(&str, &str)> = vec![("csrf_token", &token)];
    body.extend_from_slice(fields);
    app.post_form(
        &format!("/track/{code}/{what}"),
        &body
            .iter()
            .map(|(k, v)| (*k, v.to_string()))
            .collect::<Vec<_>>(),
    )
    .await
}

#[tokio::test]
async fn a_clerk_handles_a_complaint_from_acceptance_to_a_rated_answer() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let row = complaint(&app, &code).await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;

    // The page shows the contact to the handling department, and records that view.
    let page = clerk
        .get(app.url(&format!("/admin/complaints/{}", row.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("13800138000") && html.contains("张三"));
    assert_eq!(
        select_attr(&html, "#state", "data-state").as_deref(),
        Some("assigned")
    );
    assert!(html.contains("id=\"action-accept\"") && !html.contains("id=\"action-reply\""));
    assert!(
        !html.contains("id=\"action-transfer\""),
        "designating is the office's"
    );
    assert_eq!(app.count("personal_data_views").await, 1);
    assert_eq!(
        complaint(&app, &code).await.version,
        1,
        "viewing is not changing"
    );

    let accepted = act(
        &app,
        &clerk,
        &row.id,
        "accept",
        &[("message", "已受理，三日内联系商家")],
    )
    .await;
    assert_eq!(accepted.status().as_u16(), 303);
    let after = complaint(&app, &code).await;
    assert_eq!(after.state, "accepted");
    assert!(after.finish_due.is_some() && after.current_due == after.finish_due);

    let asked = act(
        &app,
        &clerk,
        &row.id,
        "request-info",
        &[("message", "请提供购物小票照片")],
    )
    .await;
    assert_eq!(asked.status().as_u16(), 303);
    assert_eq!(
        complaint(&app, &code).await.current_due,
        None,
        "the clock stops"
    );
    let tracking = app.get_html(&format!("/track/{code}")).await;
    assert!(
        tracking.contains("请提供购物小票照片"),
        "the request is public"
    );

    let supplied = resident_post(
        &app,
        &code,
        "info",
        &[("message", "小票照片见附件，金额 328 元")],
    )
    .await;
    assert_eq!(supplied.status().as_u16(), 303);
    let after = complaint(&app, &code).await;
    assert_eq!(after.state, "accepted");
    assert!(after.current_due.is_some(), "the clock runs again");

    for (action, fields) in [
        ("pause", vec![("reason", "送检测机构检验")]),
        ("resume", vec![]),
        ("note", vec![("note", "商家同意退款，等待转账")]),
        (
            "reply",
            vec![
                ("message", "经调解，商家已全额退款。"),
                ("outcome", "refund"),
            ],
        ),
    ] {
        let response = act(&app, &clerk, &row.id, action, &fields).await;
        assert_eq!(response.status().as_u16(), 303, "{action}");
    }
    let after = complaint(&app, &code).await;
    assert_eq!(
        (after.state.as_str(), after.outcome.map(|o| o.as_str())),
        ("resolved", Some("refund"))
    );

    let tracking = app.get_html(&format!("/track/{code}")).await;
    assert!(
        tracking.contains("经调解，商家已全额退款。"),
        "the reply is public"
    );
    assert!(
        !tracking.contains("商家同意退款，等待转账"),
        "internal notes never reach the public page"
    );
    assert!(
        !tracking.contains("小票照片见附件"),
        "the resident's own answer stays with the department"
    );

    let rated = resident_post(
        &app,
        &code,
        "rating",
        &[("score", "5"), ("comment", "满意")],
    )
    .await;
    assert_eq!(rated.status().as_u16(), 303);
    let after = complaint(&app, &code).await;
    assert_eq!(
        (after.state.as_str(), after.rating_score),
        ("closed", Some(5))
    );

    let templates: Vec<String> = emails_to(&app, &row.id)
        .await
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    for expected in [
        "received",
        "new_case",
        "accepted",
        "info_requested",
        "paused",
        "resumed",
        "resolved",
        "closed",
    ] {
        assert!(
            templates.iter().any(|t| t == expected),
            "{expected} in {templates:?}"
        );
    }
    let kinds = crate::sweeper::event_kinds(&app, &row.id).await;
    assert_eq!(
        kinds,
        [
            "submitted",
            "routed",
            "accepted",
            "info_requested",
            "info_supplied",
            "paused",
            "resumed",
            "note",
            "replied",
            "rated"
        ]
    );
}

#[tokio::test]
async fn a_stale_form_and_an_illegal_step_are_409_and_change_nothing() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let row = complaint(&app, &code).await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    let token = app.admin_csrf(&clerk, "/admin/password").await;
    let post =
        |action: &'static str, version: &'static str, extra: Vec<(&'static str, &'static str)>| {
            let mut body = vec![("csrf_token", token.as_str()), ("version", version)];
            body.extend(extra);
            clerk
                .post(app.url(&format!("/admin/complaints/{}/{action}", row.id)))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(&body).unwrap())
                .send()
        };
    let stale = post("accept", "0", vec![]).await.unwrap();
    assert_eq!(stale.status().as_u16(), 409);
    assert!(
        stale.text().await.unwrap().contains("变化"),
        "a clear message"
    );
    let illegal = post("reply", "1", vec![("message", "x"), ("outcome", "refund")])
        .await
        .unwrap();
    assert_eq!(illegal.status().as_u16(), 409);
    let missing = post("reject", "1", vec![]).await.unwrap();
    assert_eq!(missing.status().as_u16(), 422, "a reason is required");
    let no_csrf = clerk
        .post(app.url(&format!("/admin/complaints/{}/accept", row.id)))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("version=1")
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status().as_u16(), 403);
    let after = complaint(&app, &code).await;
    assert_eq!((after.state.as_str(), after.version), ("assigned", 1));
    assert_eq!(app.count("events").await, 2);
}

#[tokio::test]
async fn two_clerks_acting_on_the_same_version_one_wins() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let row = complaint(&app, &code).await;
    app.create_user("clerk-a", "clerk", "food-drug").await;
    app.create_user("clerk-b", "clerk", "food-drug").await;
    let a = app.login("clerk-a", STAFF_PASSWORD).await;
    let b = app.login("clerk-b", STAFF_PASSWORD).await;
    let (token_a, token_b) = (
        app.admin_csrf(&a, "/admin/password").await,
        app.admin_csrf(&b, "/admin/password").await,
    );
    let send = |browser: &reqwest::Client, token: &str, action: &str, extra: &str| {
        browser
            .post(app.url(&format!("/admin/complaints/{}/{action}", row.id)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf_token={token}&version=1{extra}"))
            .send()
    };
    let (first, second) = tokio::join!(
        send(&a, &token_a, "accept", ""),
        send(&b, &token_b, "reject", "&reason=not+ours")
    );
    let mut statuses = [
        first.unwrap().status().as_u16(),
        second.unwrap().status().as_u16(),
    ];
    statuses.sort();
    assert_eq!(statuses, [303, 409]);
    let after = complaint(&app, &code).await;
    assert_eq!(after.version, 2);
    assert_eq!(app.count("events").await, 3);
}

#[tokio::test]
async fn a_returned_case_goes_to_the_office_and_a_designated_one_cannot_be_returned_again() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let row = complaint(&app, &code).await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    app.create_user("office", "coordinator", "quality-office")
        .await;
    app.create_user("clerk-market", "clerk", "market-regulation")
        .await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    let office = app.login("office", STAFF_PASSWORD).await;
    let market = app.login("clerk-market", STAFF_PASSWORD).await;

    let returned = act(
        &app,
        &clerk,
        &row.id,
        "return",
        &[("reason", "属于服务质量问题，应由市场监管处理")],
    )
    .await;
    assert_eq!(returned.status().as_u16(), 303);
    // The clerk lands on the queue with what was done, not on a page it may not open.
    assert_eq!(returned.headers()["location"], "/admin?done=return");
    let queue = app.html_as(&clerk, "/admin?done=return").await;
    assert!(queue.contains("已退回协调办公室。"), "{queue}");
    let after = complaint(&app, &code).await;
    assert_eq!(
        (after.lead_department.as_str(), after.returned_by.as_deref()),
        ("quality-office", Some("food-drug"))
    );
    let gone = clerk
        .get(app.url(&format!("/admin/complaints/{}", row.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        gone.status().as_u16(),
        404,
        "no longer the department's case"
    );
    let gone = gone.text().await.unwrap();
    assert!(
        gone.contains("找不到这个案件或页面")
            && gone.contains("href=\"/admin\" id=\"back-to-queue\""),
        "staff wording, the way back to the queue: {gone}"
    );
    assert!(emails_to(&app, &row.id).await.contains(&(
        "quality-office@green-channel.invalid".into(),
        "returned_office".into()
    )));

    // The office sees the returned case first, told apart from new ones.
    let queue = app.html_as(&office, "/admin").await;
    let returned_rows = crate::helpers::select_attr(&queue, "tbody tr[data-returned] a", "href");
    assert_eq!(returned_rows, Some(format!("/admin/complaints/{}", row.id)));
    assert_eq!(
        crate::helpers::select_text(&queue, "tbody tr").len(),
        1,
        "only the returned case in the office's default view"
    );
    assert!(queue.contains("已退回，待指定"));
    assert!(queue.contains("data-count-state=\"returned\""));
    let everything = app.html_as(&office, "/admin?returned=0").await;
    assert!(!crate::helpers::select_text(&everything, "tbody tr").is_empty());
    let case_page = app
        .html_as(&office, &format!("/admin/complaints/{}", row.id))
        .await;
    let banner = crate::helpers::select_text(&case_page, "#returned");
    assert_eq!(banner.len(), 1, "who returned it, when and why, at the top");
    assert!(
        banner[0].contains("食品药品监督管理局退回协调办公室：属于服务质量问题，应由市场监管处理")
    );
    let routing = crate::helpers::select_text(&case_page, "#routing");
    assert!(
        routing[0].contains("交由食品药品监督管理局办理"),
        "{routing:?}"
    );

    let designated = act(
        &app,
        &office,
        &row.id,
        "transfer",
        &[
            ("department", "market-regulation"),
            ("reason", "服务类投诉"),
        ],
    )
    .await;
    assert_eq!(designated.status().as_u16(), 303);
    assert_eq!(
        designated.headers()["location"],
        format!("/admin/complaints/{}?done=transfer", row.id),
        "the office still sees the case"
    );
    let after = complaint(&app, &code).await;
    assert_eq!(
        (after.lead_department.as_str(), after.designated),
        ("market-regulation", true)
    );
    let again = act(
        &app,
        &market,
        &row.id,
        "return",
        &[("reason", "也不是我们的")],
    )
    .await;
    assert_eq!(
        again.status().as_u16(),
        409,
        "a designated case is handled, not returned"
    );
    let accepted = act(&app, &market, &row.id, "accept", &[]).await;
    assert_eq!(accepted.status().as_u16(), 303);
    let case_page = app
        .html_as(&office, &format!("/admin/complaints/{}", row.id))
        .await;
    let routing = crate::helpers::select_text(&case_page, "#routing");
    assert!(
        routing[0].contains("退回协调办公室")
            && routing[0].contains("office指定由工商行政管理局办理"),
        "the history of the route: {routing:?}"
    );
    assert!(crate::helpers::select_text(&case_page, "#returned").is_empty());
    let queue = app.html_as(&office, "/admin").await;
    assert!(!queue.contains("data-returned"), "nothing waits any more");
}

#[tokio::test]
async fn a_dissatisfied_rating_within_the_window_reopens_and_flags_the_case() {
    let app = spawn_app().await;
    let code = app
        .file_valid(with(valid_complaint(), "category", "services"))
        .await;
    let row = complaint(&app, &code).await;
    app.create_user("clerk-market", "clerk", "market-regulation")
        .await;
    let clerk = app.login("clerk-market", STAFF_PASSWORD).await;
    for (action, fields) in [
        ("accept", vec![]),
        (
            "reply",
            vec![("message", "已调解"), ("outcome", "mediated_agreement")],
        ),
    ] {
        assert_eq!(
            act(&app, &clerk, &row.id, action, &fields)
                .await
                .status()
                .as_u16(),
            303
        );
    }
    let rated = resident_post(
        &app,
        &code,
        "rating",
        &[("score", "1"), ("comment", "商家没有履行")],
    )
    .await;
    assert_eq!(rated.status().as_u16(), 303);
    let after = complaint(&app, &code).await;
    assert_eq!(
        (
            after.state.as_str(),
            after.reopen_count,
            after.flagged_to_office
        ),
        ("accepted", 1, true)
    );
    assert_eq!(after.rating_score, Some(1));

    // Out of range or missing scores are refused with the form again.
    let code2 = app
        .file_valid(with(valid_complaint(), "category", "services"))
        .await;
    let row2 = complaint(&app, &code2).await;
    for (action, fields) in [
        ("accept", vec![]),
        ("reply", vec![("message", "已调解"), ("outcome", "other")]),
    ] {
        assert_eq!(
            act(&app, &clerk, &row2.id, action, &fields)
                .await
                .status()
                .as_u16(),
            303
        );
    }
    for score in ["0", "6", "", "五", "3.5"] {
        let refused = resident_post(&app, &code2, "rating", &[("score", score)]).await;
        assert_eq!(refused.status().as_u16(), 422, "score {score:?}");
    }
    assert_eq!(complaint(&app, &code2).await.state, "resolved");
}

#[tokio::test]
async fn staff_file_for_a_caller_and_get_the_code_to_read_out() {
    let app = spawn_app().await;
    app.create_user("hotline", "clerk", "quality-office").await;
    let browser = app.login("hotline", STAFF_PASSWORD).await;
    let page = browser
        .get(app.url("/admin/complaints/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = select_attr(&page, "input[name=csrf_token]", "value").unwrap();
    let submission = select_attr(&page, "input[name=submission_id]", "value").unwrap();
    let mut fields = with(valid_complaint(), "channel", "phone");
    fields.push(("csrf_token", token.clone()));
    fields.push(("submission_id", submission));
    let response = browser
        .post(app.url("/admin/complaints/new"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&fields).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let shown = response.text().await.unwrap();
    let code: String = app
        .db
        .read(|conn| {
            Ok(complaints::table
                .select(complaints::tracking_code)
                .first(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(
        select_text(&shown, "#tracking-code"),
        vec![code.clone()],
        "the code to read out"
    );
    assert_eq!(complaint(&app, &code).await.channel, "phone");

    // The same validation as the public form, and a channel is required.
    let mut bad = with(valid_complaint(), "channel", "carrier-pigeon");
    bad.push(("csrf_token", token));
    bad.push(("submission_id", uuid::Uuid::new_v4().to_string()));
    let refused = browser
        .post(app.url("/admin/complaints/new"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&bad).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    assert_eq!(app.count("complaints").await, 1);
}
