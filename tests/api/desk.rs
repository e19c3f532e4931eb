//! The staff desk of issue 16 over HTTP: one primary action per state, `reply` and `reject`
//! through a preview of exactly what the resident receives, standard rejection grounds per
//! category, and refused forms answered with an error summary that names the field.

use diesel::prelude::*;
use green_channel::db::schema::{complaints, outbox};
use green_channel::domain::tracking_code::TrackingCode;
use scraper::{Html, Selector};

use crate::helpers::{
    select_attr, select_text, spawn_app, valid_complaint, TestApp, ADMIN_PASSWORD, STAFF_PASSWORD,
};
use crate::triage::{act, complaint};

/// Posts `fields` with the session's CSRF token to `path`, as a form would.
pub async fn post_as(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = app.admin_csrf(browser, "/admin/password").await;
    let mut body: Vec<(&str, &str)> = vec![("csrf_token", &token)];
    body.extend_from_slice(fields);
    browser
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&body).unwrap())
        .send()
        .await
        .unwrap()
}

/// The fields of the form matching `selector`, as its submission would send them.
fn form_fields(html: &str, selector: &str) -> Vec<(String, String)> {
    let document = Html::parse_document(html);
    let form = document
        .select(&Selector::parse(selector).unwrap())
        .next()
        .unwrap_or_else(|| panic!("{selector} in {html}"));
    form.select(&Selector::parse("input[name]").unwrap())
        .filter_map(|input| {
            let v = input.value();
            let name = v.attr("name").unwrap().to_owned();
            if v.attr("type") == Some("checkbox") {
                return v.attr("checked").map(|_| (name, "on".to_owned()));
            }
            Some((name, v.attr("value").unwrap_or_default().to_owned()))
        })
        .collect()
}

/// What was written for a case: its version and the number of its emails.
async fn written(app: &TestApp, id: &str) -> (i32, i64) {
    let id = id.to_owned();
    app.db
        .read(move |conn| {
            let version = complaints::table
                .find(&id)
                .select(complaints::version)
                .first::<i32>(conn)?;
            let emails = outbox::table
                .filter(outbox::complaint_id.eq(&id))
                .count()
                .get_result::<i64>(conn)?;
            Ok((version, emails))
        })
        .await
        .unwrap()
}

/// The last email to the complainant of a case: (subject, text).
async fn last_complainant_email(app: &TestApp, id: &str) -> (String, String) {
    let id = id.to_owned();
    app.db
        .read(move |conn| {
            Ok(outbox::table
                .filter(outbox::complaint_id.eq(id))
                .filter(outbox::recipient_kind.eq("complainant"))
                .order(outbox::id.desc())
                .select((outbox::subject, outbox::text_body))
                .first(conn)?)
        })
        .await
        .unwrap()
}

/// A filed complaint and a signed-in clerk of its lead department: (case id, code, clerk).
async fn case_with_clerk(app: &TestApp) -> (String, String, reqwest::Client) {
    let code = app.file_valid(valid_complaint()).await;
    let row = complaint(app, &code).await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    (row.id.to_string(), code, clerk)
}

/// Confirms a preview: posts its `#confirm` form as the browser would.
async fn confirm(app: &TestApp, clerk: &reqwest::Client, preview: &str) -> reqwest::Response {
    let action = select_attr(preview, "form#confirm", "action").expect("a confirm form");
    let fields = form_fields(preview, "form#confirm");
    clerk
        .post(app.url(&action))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&fields).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_case_page_offers_one_primary_action_and_folds_the_others() {
    let app = spawn_app().await;
    let (id, _, clerk) = case_with_clerk(&app).await;
    let html = app
        .html_as(&clerk, &format!("/admin/complaints/{id}"))
        .await;
    // Assigned: accepting is the step; rejecting and the rest wait under "其他操作".
    assert!(select_attr(&html, ".primary-action form#action-accept", "action").is_some());
    assert_eq!(
        select_text(&html, "details.other-actions > summary"),
        ["其他操作"]
    );
    assert!(select_attr(&html, "details.other-actions form#action-reject", "id").is_some());
    assert!(select_attr(&html, "details.other-actions[open]", "class").is_none());
    assert_eq!(
        select_attr(&html, "form#action-reject", "action").unwrap(),
        format!("/admin/complaints/{id}/reject/preview#action-reject")
    );
    // The food category's standard grounds, each with its legal basis, none chosen.
    let grounds = select_text(&html, "#reject-standard_reason option");
    assert_eq!(grounds[0], "不使用标准理由");
    assert!(grounds.len() >= 5, "{grounds:?}");
    assert!(grounds[4].contains("超过三年") && grounds[4].contains("第十五条第四项"));

    assert_eq!(act(&app, &clerk, &id, "accept", &[]).await.status(), 303);
    let html = app
        .html_as(&clerk, &format!("/admin/complaints/{id}"))
        .await;
    // Accepted: the reply is the step, and it goes through its preview first.
    assert_eq!(
        select_attr(&html, ".primary-action form#action-reply", "action").unwrap(),
        format!("/admin/complaints/{id}/reply/preview#action-reply")
    );
    assert_eq!(
        select_text(&html, ".primary-action form#action-reply button"),
        ["预览投诉人将收到的内容"]
    );
}

#[tokio::test]
async fn a_reply_preview_shows_exactly_the_email_the_resident_then_receives() {
    let app = spawn_app().await;
    let (id, code, clerk) = case_with_clerk(&app).await;
    assert_eq!(act(&app, &clerk, &id, "accept", &[]).await.status(), 303);
    let before = written(&app, &id).await;
    let version = before.0.to_string();
    let reply = "经调解，商家同意全额退款 <b>199</b> 元。";
    let response = post_as(
        &app,
        &clerk,
        &format!("/admin/complaints/{id}/reply/preview"),
        &[
            ("version", &version),
            ("outcome", "refund"),
            ("message", reply),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let preview = response.text().await.unwrap();
    assert_eq!(written(&app, &id).await, before, "a preview writes nothing");
    assert_eq!(select_text(&preview, "#preview-public"), [reply]);
    assert_eq!(select_text(&preview, "#preview-outcome"), ["退货退款"]);
    let shown_text = select_text(&preview, "#preview-email").remove(0);
    let shown_subject = select_text(&preview, "#preview-subject").remove(0);
    assert!(shown_text.contains(reply), "{shown_text}");
    assert!(
        !preview.contains(&code),
        "the resident's tracking code is theirs, not the clerk's"
    );
    assert!(!preview.contains("zhang.san@example.com"));
    // The confirm form carries the fields of the reply form, unchanged.
    let fields = form_fields(&preview, "form#confirm");
    assert!(fields.contains(&("message".into(), reply.into())));
    assert!(fields.contains(&("outcome".into(), "refund".into())));
    assert!(fields.contains(&("version".into(), version.clone())));

    let sent = confirm(&app, &clerk, &preview).await;
    assert_eq!(sent.status(), 303);
    assert_eq!(complaint(&app, &code).await.state.as_str(), "resolved");
    let (subject, text) = last_complainant_email(&app, &id).await;
    assert_eq!(TrackingCode::mask_in(text.trim()), shown_text);
    assert_eq!(TrackingCode::mask_in(&subject), shown_subject);
    let tracking = app.get_html(&format!("/track/{code}")).await;
    assert!(select_text(&tracking, "body")[0].contains(reply));
}

#[tokio::test]
async fn a_rejection_takes_its_standard_grounds_and_the_preview_matches_the_email() {
    let app = spawn_app().await;
    let (id, code, clerk) = case_with_clerk(&app).await;
    let version = written(&app, &id).await.0.to_string();
    let response = post_as(
        &app,
        &clerk,
        &format!("/admin/complaints/{id}/reject/preview"),
        &[
            ("version", &version),
            ("standard_reason", "4"),
            ("reason", "  您于 2022 年购买。 "),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let preview = response.text().await.unwrap();
    let fields = form_fields(&preview, "form#confirm");
    let reason = &fields.iter().find(|(n, _)| n == "reason").unwrap().1;
    assert!(
        reason.starts_with("自知道或者应当知道权益受到侵害之日起已超过三年（依据：")
            && reason.contains("第十五条第四项")
            && reason.ends_with("\n您于 2022 年购买。"),
        "{reason:?}"
    );
    assert!(!fields.iter().any(|(n, _)| n == "standard_reason"));
    let shown = select_text(&preview, "#preview-email").remove(0);
    assert_eq!(confirm(&app, &clerk, &preview).await.status(), 303);
    assert_eq!(complaint(&app, &code).await.state.as_str(), "rejected");
    let (_, text) = last_complainant_email(&app, &id).await;
    assert_eq!(TrackingCode::mask_in(text.trim()), shown);
    assert!(shown.contains("已超过三年"));
}

#[tokio::test]
async fn refused_previews_say_which_field_and_write_nothing() {
    let app = spawn_app().await;
    let (id, _, clerk) = case_with_clerk(&app).await;
    let before = written(&app, &id).await;
    let v = before.0.to_string();
    let long = "长".repeat(2001);
    // (action, fields, status, the field the summary links to, its message)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            "reject",
            vec![("version", &v)],
            422,
            "#reject-reason",
            "请填写理由。",
        ),
        (
            "reject",
            vec![("version", &v), ("reason", "  \n ")],
            422,
            "#reject-reason",
            "请填写理由。",
        ),
        (
            "reject",
            vec![("version", &v), ("reason", &long)],
            422,
            "#reject-reason",
            "最多 2000 个字。",
        ),
        (
            "reject",
            vec![("version", &v), ("reason", "a\u{0}b")],
            422,
            "#reject-reason",
            "含有不允许的字符。",
        ),
        (
            "reject",
            vec![("version", &v), ("standard_reason", "99")],
            422,
            "#reject-standard_reason",
            "请从列表中选择标准理由。",
        ),
        (
            "reject",
            vec![("version", &v), ("standard_reason", "0")],
            422,
            "#reject-standard_reason",
            "请从列表中选择标准理由。",
        ),
        (
            "reject",
            vec![("version", &v), ("standard_reason", "-1")],
            422,
            "#reject-standard_reason",
            "请从列表中选择标准理由。",
        ),
        (
            "reject",
            vec![("version", &v), ("standard_reason", "１")],
            422,
            "#reject-standard_reason",
            "请从列表中选择标准理由。",
        ),
        (
            "reject",
            vec![("reason", "理由")],
            422,
            "#action-reject",
            "页面已过期，请刷新后再操作。",
        ),
        (
            "reject",
            vec![("version", "x"), ("reason", "理由")],
            422,
            "#action-reject",
            "页面已过期，请刷新后再操作。",
        ),
        (
            "reject",
            vec![("version", "99999999999"), ("reason", "理由")],
            422,
            "#action-reject",
            "页面已过期，请刷新后再操作。",
        ),
    ];
    for (action, fields, status, href, message) in cases {
        let response = post_as(
            &app,
            &clerk,
            &format!("/admin/complaints/{id}/{action}/preview"),
            &fields,
        )
        .await;
        assert_eq!(response.status(), status, "{fields:?}");
        let html = response.text().await.unwrap();
        assert_eq!(
            select_attr(&html, "#error-summary a", "href").as_deref(),
            Some(href),
            "{fields:?}"
        );
        assert_eq!(
            select_text(&html, "#error-summary a"),
            [message],
            "{fields:?}"
        );
        if href != format!("#action-{action}") {
            let field = &href[1..];
            assert_eq!(
                select_attr(&html, &format!("#{field}"), "aria-invalid").as_deref(),
                Some("true")
            );
            assert_eq!(
                select_attr(&html, &format!("#{field}"), "aria-describedby"),
                Some(format!("{field}-error"))
            );
        }
        // Rejecting is under "其他操作": it opens to show the refused form.
        assert!(select_attr(&html, "details.other-actions[open]", "class").is_some());
        assert_eq!(written(&app, &id).await, before, "{fields:?}");
    }
    // A stale version is the action's own conflict; the state's refusal too.
    let stale = post_as(
        &app,
        &clerk,
        &format!("/admin/complaints/{id}/reject/preview"),
        &[("version", "0"), ("reason", "理由")],
    )
    .await;
    assert_eq!(stale.status(), 409);
    let too_early = post_as(
        &app,
        &clerk,
        &format!("/admin/complaints/{id}/reply/preview"),
        &[("version", &v), ("outcome", "refund"), ("message", "答复")],
    )
    .await;
    assert_eq!(too_early.status(), 409, "an assigned case is not answered");
    assert_eq!(written(&app, &id).await, before);

    // Accepted: the reply's own fields.
    assert_eq!(act(&app, &clerk, &id, "accept", &[]).await.status(), 303);
    let before = written(&app, &id).await;
    let v = before.0.to_string();
    type ReplyCase<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<ReplyCase> = vec![
        (
            vec![("version", &v), ("outcome", "refund")],
            "#reply-message",
            "请填写答复内容。",
        ),
        (
            vec![("version", &v), ("message", "答复")],
            "#reply-outcome",
            "请选择办理结果。",
        ),
        (
            vec![
                ("version", &v),
                ("message", "答复"),
                ("outcome", "duplicate"),
            ],
            "#reply-outcome",
            "请选择办理结果。",
        ),
        (
            vec![("version", &v), ("message", "答复"), ("outcome", "")],
            "#reply-outcome",
            "请选择办理结果。",
        ),
    ];
    for (fields, href, message) in cases {
        let response = post_as(
            &app,
            &clerk,
            &format!("/admin/complaints/{id}/reply/preview"),
            &fields,
        )
        .await;
        assert_eq!(response.status(), 422, "{fields:?}");
        let html = response.text().await.unwrap();
        assert_eq!(
            select_attr(&html, "#error-summary a", "href").as_deref(),
            Some(href)
        );
        assert_eq!(select_text(&html, "#error-summary a"), [message]);
        // Replying is the primary action: no need to open anything.
        assert!(select_attr(&html, ".primary-action form#action-reply", "id").is_some());
        assert_eq!(written(&app, &id).await, before, "{fields:?}");
    }

    // Only reply and reject have a preview; paths that are not a case the clerk sees are
    // not found; a preview is a POST with the session's token.
    let other = app
        .file_valid(crate::helpers::with(
            valid_complaint(),
            "category",
            "services",
        ))
        .await;
    let other = complaint(&app, &other).await.id;
    for (path, status) in [
        (format!("/admin/complaints/{id}/accept/preview"), 404),
        (format!("/admin/complaints/{id}/note/preview"), 404),
        (format!("/admin/complaints/{id}/nonsense/preview"), 404),
        (format!("/admin/complaints/{other}/reply/preview"), 404),
        (
            "/admin/complaints/no-such-case/reply/preview".to_owned(),
            404,
        ),
    ] {
        let response = post_as(
            &app,
            &clerk,
            &path,
            &[("version", &v), ("outcome", "refund"), ("message", "答复")],
        )
        .await;
        assert_eq!(response.status(), status, "{path}");
    }
    let no_token = clerk
        .post(app.url(&format!("/admin/complaints/{id}/reply/preview")))
        .form(&[
            ("version", v.as_str()),
            ("outcome", "refund"),
            ("message", "答复"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        (400..500).contains(&no_token.status().as_u16()),
        "{}",
        no_token.status()
    );
    let get = clerk
        .get(app.url(&format!("/admin/complaints/{id}/reply/preview")))
        .send()
        .await
        .unwrap();
    assert!(
        (400..500).contains(&get.status().as_u16()),
        "{}",
        get.status()
    );
    assert_eq!(written(&app, &id).await, before);
}

#[tokio::test]
async fn the_posts_behind_the_previews_keep_their_fields_and_answers() {
    let app = spawn_app().await;
    let (id, code, clerk) = case_with_clerk(&app).await;
    // Refused straight away, as before, now with the summary naming the field.
    let empty = act(&app, &clerk, &id, "reject", &[("reason", "")]).await;
    assert_eq!(empty.status(), 422);
    let html = empty.text().await.unwrap();
    assert_eq!(select_text(&html, "#error-summary a"), ["请填写理由。"]);
    let rejected = act(
        &app,
        &clerk,
        &id,
        "reject",
        &[("reason", "不属于本部门职责。")],
    )
    .await;
    assert_eq!(rejected.status(), 303);
    assert_eq!(complaint(&app, &code).await.state.as_str(), "rejected");
}

#[tokio::test]
async fn administrators_keep_the_standard_grounds_of_each_category() {
    let app = spawn_app().await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let page = app.html_as(&admin, "/admin/categories/services").await;
    let stored = select_text(&page, "textarea[name=rejection_reasons]").remove(0);
    assert!(stored.contains("第十五条第一项"), "{stored}");
    let mut fields = form_fields(&page, "form#edit");
    for (name, value) in select_textareas(&page) {
        fields.push((name, value));
    }
    let post = |reasons: &str| {
        let mut body: Vec<(String, String)> = fields
            .iter()
            .filter(|(n, _)| n != "rejection_reasons")
            .cloned()
            .collect();
        body.push(("rejection_reasons".into(), reasons.into()));
        admin
            .post(app.url("/admin/categories/services"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&body).unwrap())
            .send()
    };
    for bad in ["没有依据", "｜只有依据", "理由｜依据｜多余", "a\u{7}｜b"] {
        let response = post(bad).await.unwrap();
        assert_eq!(response.status(), 422, "{bad}");
    }
    assert_eq!(
        post("商家已注销，无法调解 | 《消费者权益保护法》第四十四条")
            .await
            .unwrap()
            .status(),
        303
    );
    // The clerk of that category's department is offered the new grounds only.
    let code = app
        .file_valid(crate::helpers::with(
            valid_complaint(),
            "category",
            "services",
        ))
        .await;
    let id = complaint(&app, &code).await.id.to_string();
    app.create_user("clerk-market", "clerk", "market-regulation")
        .await;
    let clerk = app.login("clerk-market", STAFF_PASSWORD).await;
    let html = app
        .html_as(&clerk, &format!("/admin/complaints/{id}"))
        .await;
    assert_eq!(
        select_text(&html, "#reject-standard_reason option"),
        [
            "不使用标准理由",
            "商家已注销，无法调解（依据：《消费者权益保护法》第四十四条）"
        ]
    );
}

/// `(name, text)` of every textarea of the edit form.
fn select_textareas(html: &str) -> Vec<(String, String)> {
    let document = Html::parse_document(html);
    document
        .select(&Selector::parse("form#edit textarea[name]").unwrap())
        .map(|t| {
            (
                t.value().attr("name").unwrap().to_owned(),
                t.text().collect::<String>(),
            )
        })
        .collect()
}

/// Sets a case's running deadline to `due`.
async fn due_on(app: &TestApp, id: &str, due: chrono::NaiveDate) {
    let id = id.to_owned();
    app.db
        .write(move |conn| {
            diesel::update(complaints::table.find(id))
                .set(complaints::current_due.eq(due))
                .execute(conn)?;
            Ok::<_, green_channel::db::DbError>(())
        })
        .await
        .unwrap();
}

/// The admin ids of the queue's rows.
fn listed(html: &str) -> Vec<String> {
    let document = Html::parse_document(html);
    document
        .select(&Selector::parse("table.queue tbody tr td:first-child a").unwrap())
        .filter_map(|a| a.value().attr("href"))
        .map(|h| h.trim_start_matches("/admin/complaints/").to_owned())
        .collect()
}

#[tokio::test]
async fn the_queue_finds_cases_due_within_two_working_days_and_says_which_filters_are_on() {
    let app = spawn_app().await;
    let (soon, _, clerk) = case_with_clerk(&app).await;
    let long = format!("{}尾巴", "奶粉过期".repeat(20));
    let later = app
        .file_valid(crate::helpers::with(
            valid_complaint(),
            "description",
            &long,
        ))
        .await;
    let later = complaint(&app, &later).await.id.to_string();
    let calendar = app
        .db
        .read(|conn| Ok(green_channel::db::reference::ReferenceData::load(conn)?.calendar))
        .await
        .unwrap();
    let today = crate::helpers::city_today();
    due_on(&app, &soon, calendar.add_working_days(today, 2)).await;
    due_on(&app, &later, calendar.add_working_days(today, 3)).await;

    let html = app.html_as(&clerk, "/admin?due=2").await;
    assert_eq!(listed(&html), std::slice::from_ref(&soon));
    assert_eq!(select_text(&html, "#filters-summary"), ["2 个工作日内到期"]);
    assert!(select_attr(&html, "input[name=due][value='2'][checked]", "name").is_some());
    assert!(select_attr(&html, "#filter-problems", "id").is_none());

    // Every row carries an excerpt of its description, cut at 60 characters; the skip
    // link leads past the filters to the results.
    let html = app.html_as(&clerk, "/admin").await;
    assert_eq!(
        select_text(&html, "#filters-summary"),
        ["未筛选（全部在办案件）"]
    );
    let excerpts = select_text(&html, "table.queue .excerpt");
    assert!(excerpts.contains(&"买到的奶粉已经过期三个月，商家拒绝退货。".to_owned()));
    assert!(
        excerpts.contains(&format!("{}…", "奶粉过期".repeat(15))),
        "{excerpts:?}"
    );
    assert_eq!(
        select_attr(&html, "a.skip-link", "href").as_deref(),
        Some("#results")
    );
    assert!(select_attr(&html, "#results table.queue", "class").is_some());

    let summary = select_text(
        &app.html_as(
            &clerk,
            "/admin?state=accepted&category=food&overdue=1&q=%E5%A5%B6%E7%B2%89",
        )
        .await,
        "#filters-summary",
    );
    assert_eq!(
        summary,
        ["已受理，办理中 · 食品 · 只看已逾期的 · 搜索“奶粉”"]
    );

    // A due filter that cannot be used is dropped with a message, never a 4xx or 5xx.
    for bad in ["0", "11", "x", "2.5", "-1", "１", "99999999999999999999"] {
        let response = clerk
            .get(app.url(&format!("/admin?due={bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{bad}");
        let html = response.text().await.unwrap();
        assert_eq!(
            select_text(&html, "#filter-problems li"),
            ["“到期”筛选须为 1 到 10 个工作日，已忽略。"],
            "{bad}"
        );
        assert_eq!(listed(&html).len(), 2, "{bad}");
    }
    let empty = app.html_as(&clerk, "/admin?due=").await;
    assert_eq!(listed(&empty).len(), 2);
}

#[tokio::test]
async fn after_an_action_the_next_case_of_the_same_view_is_one_link_away() {
    let app = spawn_app().await;
    let (first, _, clerk) = case_with_clerk(&app).await;
    let second = app.file_valid(valid_complaint()).await;
    let second = complaint(&app, &second).await.id.to_string();
    let third = app
        .file_valid(crate::helpers::with(valid_complaint(), "category", "drugs"))
        .await;
    let third = complaint(&app, &third).await.id.to_string();
    // The clerk works through the food cases.
    let view = app.html_as(&clerk, "/admin?category=food").await;
    let order = listed(&view);
    assert_eq!(order.len(), 2);
    assert!(!order.contains(&third));
    let (a, b) = (order[0].clone(), order[1].clone());
    assert!([&first, &second].contains(&&a));

    let accepted = act(&app, &clerk, &a, "accept", &[]).await;
    assert_eq!(accepted.status(), 303);
    let location = accepted.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/admin/complaints/{a}?done=accept"));
    let page = app.html_as(&clerk, &location).await;
    assert_eq!(
        select_attr(&page, "a[rel=next]", "href"),
        Some(format!("/admin/complaints/{b}"))
    );
    assert_eq!(select_text(&page, "a[rel=next]"), ["处理下一件 →"]);
    // Merely opening a case offers no "next".
    let plain = app.html_as(&clerk, &format!("/admin/complaints/{b}")).await;
    assert!(select_attr(&plain, "a[rel=next]", "href").is_none());
}

/// The assignee and version of a case.
async fn assignee_of(app: &TestApp, id: &str) -> (Option<String>, i32) {
    let id = id.to_owned();
    app.db
        .read(move |conn| {
            Ok(complaints::table
                .find(id)
                .select((complaints::assignee, complaints::version))
                .first(conn)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn bulk_actions_check_each_version_and_never_touch_or_name_an_unseen_case() {
    let app = spawn_app().await;
    let (a, a_code, clerk) = case_with_clerk(&app).await;
    let b_code = app.file_valid(valid_complaint()).await;
    let b = complaint(&app, &b_code).await;
    let c_code = app
        .file_valid(crate::helpers::with(
            valid_complaint(),
            "category",
            "services",
        ))
        .await;
    let c = complaint(&app, &c_code).await;
    let a_row = complaint(&app, &a_code).await;
    let (b_id, c_id) = (b.id.to_string(), c.id.to_string());
    // The queue offers the rows with their versions.
    let queue = app.html_as(&clerk, "/admin?category=food").await;
    assert_eq!(
        select_attr(&queue, &format!("input[name='version_{a}']"), "value"),
        Some(a_row.version.to_string())
    );
    assert_eq!(
        select_attr(&queue, "form#bulk input[name=view]", "value").as_deref(),
        Some("category=food")
    );

    let (va, vc) = (a_row.version.to_string(), c.version.to_string());
    let response = post_as(
        &app,
        &clerk,
        "/admin/bulk",
        &[
            ("ids", &a),
            ("ids", &b_id),
            ("ids", &c_id),
            ("ids", &a),
            (&format!("version_{a}"), &va),
            (&format!("version_{b_id}"), "0"),
            (&format!("version_{c_id}"), &vc),
            ("action", "assign"),
            ("user", "clerk-food"),
            ("view", "category=food&evil=%0d%0a"),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        format!(
            "/admin?category=food&bulk_done={}&bulk_stale={}&bulk_refused=1",
            a_row.public_id, b.public_id
        )
    );
    let clerk_id = assignee_of(&app, &a).await.0;
    assert!(clerk_id.is_some());
    assert_eq!(assignee_of(&app, &b_id).await, (None, b.version));
    assert_eq!(assignee_of(&app, &c_id).await, (None, c.version));
    let page = app.html_as(&clerk, &location).await;
    let summary = select_text(&page, "#bulk-summary p");
    assert_eq!(summary.len(), 3, "{summary:?}");
    assert!(summary[0].starts_with("已处理 1 件") && summary[0].contains(&a_row.public_id));
    assert!(summary[1].contains(&b.public_id) && summary[1].contains("已被修改"));
    assert!(summary[2].starts_with("1 件未能处理"));
    assert!(!page.contains(&c.public_id) && !page.contains(&c_id));

    // One note on each, versions as now shown.
    let (va, vb) = (
        assignee_of(&app, &a).await.1.to_string(),
        b.version.to_string(),
    );
    let noted = post_as(
        &app,
        &clerk,
        "/admin/bulk",
        &[
            ("ids", &a),
            ("ids", &b_id),
            (&format!("version_{a}"), &va),
            (&format!("version_{b_id}"), &vb),
            ("action", "note"),
            ("note", "已电话联系商家。"),
        ],
    )
    .await;
    assert_eq!(noted.status(), 303);
    assert!(noted.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/admin?bulk_done="));
    assert_eq!(assignee_of(&app, &b_id).await.1, b.version + 1);
    let b_page = app
        .html_as(&clerk, &format!("/admin/complaints/{b_id}"))
        .await;
    assert!(b_page.contains("已电话联系商家。"));
    // A selected case without its version is refused, not guessed.
    let unversioned = post_as(
        &app,
        &clerk,
        "/admin/bulk",
        &[("ids", &b_id), ("action", "note"), ("note", "再次联系。")],
    )
    .await;
    assert_eq!(
        unversioned.headers()["location"].to_str().unwrap(),
        "/admin?bulk_refused=1"
    );
}

#[tokio::test]
async fn malformed_bulk_forms_are_422_and_write_nothing() {
    let app = spawn_app().await;
    let (a, _, clerk) = case_with_clerk(&app).await;
    let before = written(&app, &a).await;
    let v = before.0.to_string();
    let version = format!("version_{a}");
    let long_note = "长".repeat(2001);
    let long_id = "x".repeat(65);
    let many: Vec<String> = (0..101).map(|i| format!("id-{i}")).collect();
    let mut too_many: Vec<(&str, &str)> = many.iter().map(|id| ("ids", id.as_str())).collect();
    too_many.extend([("action", "note"), ("note", "备注")]);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("action", "note"), ("note", "备注")],
            "请至少选择一件案件。",
        ),
        (
            vec![("ids", ""), ("action", "note"), ("note", "备注")],
            "请至少选择一件案件。",
        ),
        (
            vec![("ids", &a), (&version, &v), ("note", "备注")],
            "请选择操作：指派承办人或添加备注。",
        ),
        (
            vec![("ids", &a), (&version, &v), ("action", "close")],
            "请选择操作：指派承办人或添加备注。",
        ),
        (
            vec![("ids", &a), (&version, &v), ("action", "assign")],
            "请选择承办部门的一位在职人员。",
        ),
        (
            vec![
                ("ids", &a),
                (&version, &v),
                ("action", "assign"),
                ("user", " "),
            ],
            "请选择承办部门的一位在职人员。",
        ),
        (
            vec![("ids", &a), (&version, &v), ("action", "note")],
            "请填写备注。",
        ),
        (
            vec![
                ("ids", &a),
                (&version, &v),
                ("action", "note"),
                ("note", &long_note),
            ],
            "最多 2000 个字。",
        ),
        (
            vec![
                ("ids", &a),
                (&version, &v),
                ("action", "note"),
                ("note", "a\u{1b}b"),
            ],
            "含有不允许的字符。",
        ),
        (
            vec![("ids", &long_id), ("action", "note"), ("note", "备注")],
            "选中的案件无法识别。",
        ),
        (too_many, "一次最多处理 100 件。"),
    ];
    for (fields, message) in cases {
        let response = post_as(&app, &clerk, "/admin/bulk", &fields).await;
        assert_eq!(response.status(), 422, "{message}");
        let html = response.text().await.unwrap();
        assert_eq!(select_text(&html, "#error-summary a"), [message]);
        assert_eq!(written(&app, &a).await, before, "{message}");
    }
    // An assignee who is not of the lead department: refused per case, nothing written.
    let response = post_as(
        &app,
        &clerk,
        "/admin/bulk",
        &[
            ("ids", &a),
            (&version, &v),
            ("action", "assign"),
            ("user", "nobody"),
        ],
    )
    .await;
    assert_eq!(response.headers()["location"], "/admin?bulk_refused=1");
    let no_token = clerk
        .post(app.url("/admin/bulk"))
        .form(&[
            ("ids", a.as_str()),
            (version.as_str(), v.as_str()),
            ("action", "note"),
            ("note", "备注"),
        ])
        .send()
        .await
        .unwrap();
    assert!((400..500).contains(&no_token.status().as_u16()));
    let signed_out = crate::helpers::client()
        .post(app.url("/admin/bulk"))
        .form(&[("ids", a.as_str()), ("action", "note"), ("note", "备注")])
        .send()
        .await
        .unwrap();
    assert!((300..500).contains(&signed_out.status().as_u16()));
    assert_eq!(written(&app, &a).await, before);
}

#[tokio::test]
async fn saved_views_belong_to_their_member() {
    let app = spawn_app().await;
    let (_, _, clerk) = case_with_clerk(&app).await;
    app.create_user("clerk-food-2", "clerk", "food-drug").await;
    let colleague = app.login("clerk-food-2", STAFF_PASSWORD).await;

    let saved = post_as(
        &app,
        &clerk,
        "/admin/views",
        &[
            ("name", "食品超期"),
            ("view", "overdue=1&category=food&evil=%0d"),
        ],
    )
    .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(
        saved.headers()["location"],
        "/admin?overdue=1&category=food"
    );
    let html = app.html_as(&clerk, "/admin").await;
    assert_eq!(select_text(&html, "#saved-views a"), ["食品超期"]);
    assert_eq!(
        select_attr(&html, "#saved-views a", "href").as_deref(),
        Some("/admin?overdue=1&category=food")
    );
    // The queue's own filters are what the save form sends.
    let html = app.html_as(&clerk, "/admin?category=food&due=2").await;
    assert_eq!(
        select_attr(&html, "#save-view input[name=view]", "value").as_deref(),
        Some("category=food&due=2")
    );
    // Saving the same name again replaces its filters.
    let again = post_as(
        &app,
        &clerk,
        "/admin/views",
        &[("name", "食品超期"), ("view", "category=food&due=2")],
    )
    .await;
    assert_eq!(again.status(), 303);
    let html = app.html_as(&clerk, "/admin").await;
    assert_eq!(
        select_attr(&html, "#saved-views a", "href").as_deref(),
        Some("/admin?category=food&due=2")
    );
    // Another member sees none of them and cannot delete them.
    let theirs = app.html_as(&colleague, "/admin").await;
    assert!(select_text(&theirs, "#saved-views a").is_empty());
    let action = select_attr(&html, "#saved-views form", "action").unwrap();
    assert_eq!(post_as(&app, &colleague, &action, &[]).await.status(), 404);
    for bad in [
        "/admin/views/abc/delete",
        "/admin/views/99999/delete",
        "/admin/views/-1/delete",
    ] {
        assert_eq!(post_as(&app, &clerk, bad, &[]).await.status(), 404, "{bad}");
    }

    // Malformed names: 422, nothing saved.
    let long = "名".repeat(41);
    for (name, message) in [
        ("", "请填写视图名称。"),
        ("   ", "请填写视图名称。"),
        (long.as_str(), "视图名称最多 40 个字。"),
        ("a\nb", "含有不允许的字符。"),
        ("a\u{7}b", "含有不允许的字符。"),
    ] {
        let response = post_as(
            &app,
            &clerk,
            "/admin/views",
            &[("name", name), ("view", "")],
        )
        .await;
        assert_eq!(response.status(), 422, "{name:?}");
        let html = response.text().await.unwrap();
        assert_eq!(select_text(&html, "#error-summary a"), [message]);
    }
    assert_eq!(app.count("saved_views").await, 1);
    for i in 1..20 {
        let name = format!("视图 {i}");
        assert_eq!(
            post_as(&app, &clerk, "/admin/views", &[("name", &name)])
                .await
                .status(),
            303
        );
    }
    let full = post_as(&app, &clerk, "/admin/views", &[("name", "第二十一个")]).await;
    assert_eq!(full.status(), 422);
    assert_eq!(app.count("saved_views").await, 20);
    let no_token = clerk
        .post(app.url("/admin/views"))
        .form(&[("name", "无令牌")])
        .send()
        .await
        .unwrap();
    assert!((400..500).contains(&no_token.status().as_u16()));

    // Deleting one's own view.
    assert_eq!(post_as(&app, &clerk, &action, &[]).await.status(), 303);
    assert_eq!(app.count("saved_views").await, 19);
}
