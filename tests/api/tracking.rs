//! The resident's view of a case by its tracking code: what the page shows and never shows,
//! the look-up form and canonical addresses, withdrawal's refusals, and the health check.

use crate::helpers::{
    cookieless_client, select_attr, select_text, spawn_app, stored_complaint, valid_complaint,
    with, TestApp,
};

/// A code in the right shape that no complaint has (the odds of a clash are 31^-15).
const UNKNOWN_CODE: &str = "K7QX3-MNAPR-2D9WT";

/// The facts of the page, `dt` label → `dd` text.
fn facts(html: &str) -> Vec<(String, String)> {
    let labels = select_text(html, "dl.facts dt");
    let values = select_text(html, "dl.facts dd");
    assert_eq!(labels.len(), values.len());
    labels.into_iter().zip(values).collect()
}

fn fact<'a>(facts: &'a [(String, String)], label: &str) -> &'a str {
    facts
        .iter()
        .find(|(l, _)| l == label)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {label} in {facts:?}"))
}

#[tokio::test]
async fn the_tracking_page_shows_the_case_and_none_of_the_personal_data() {
    let app = spawn_app().await;
    let personal = [
        ("complainant_name", "欧阳娜娜"),
        ("phone", "139 2233 4455"),
        ("email", "nana.ouyang@example.org"),
        (
            "description",
            "配方奶粉罐内发现金属异物，孩子食用后呕吐不止。",
        ),
        ("demand", "要求十倍赔偿并公开道歉"),
        ("business_credit_code", "91440300708461136T"),
        ("business_address", "信州区带湖路七十七号五楼"),
    ];
    let fields = personal
        .iter()
        .fold(valid_complaint(), |f, (name, value)| with(f, name, value));
    let code = app.file_valid(fields).await;
    let stored = stored_complaint(&app, &code).await;
    assert_eq!(stored.phone.as_deref(), Some("13922334455"));

    // The filer's own first visit shows the receipt, with a copy of the case to print
    // (issue 16) but never the contact details; every later visit shows none of it.
    let receipt = app.get_html(&format!("/track/{code}")).await;
    assert!(!select_text(&receipt, "#submitted-copy").is_empty());
    for (name, value) in &personal[..3] {
        assert!(
            !receipt.contains(value),
            "{name} shown on the receipt: {value}"
        );
    }
    let html = app.get_html(&format!("/track/{code}")).await;
    for (name, value) in personal {
        assert!(!html.contains(value), "{name} shown: {value}");
    }
    for fragment in [
        "13922334455",
        "2233",
        "4455",
        "nana.ouyang",
        "example.org",
        "欧阳",
        "金属异物",
        "十倍赔偿",
        "带湖路",
    ] {
        assert!(!html.contains(fragment), "{fragment} shown");
    }

    assert_eq!(
        select_attr(&html, "#state", "data-state").as_deref(),
        Some("assigned")
    );
    assert_eq!(
        select_text(&html, "#state"),
        vec!["已分派，待受理".to_owned()]
    );
    let facts = facts(&html);
    assert_eq!(fact(&facts, "类型"), "投诉");
    assert_eq!(fact(&facts, "问题类别"), "食品");
    assert_eq!(fact(&facts, "经营者所在区县"), "信州区");
    assert_eq!(fact(&facts, "经营者名称"), "信州区好又多超市");
    let filed_on = green_channel::domain::calendar::city_date(stored.created_at);
    assert_eq!(fact(&facts, "提交日期"), filed_on.to_string());
    assert_eq!(fact(&facts, "承办部门"), "食品药品监督管理局");
    let accept = fact(&facts, "受理决定期限");
    assert!(
        accept.starts_with(&stored.accept_due.to_string()) && accept.ends_with("个工作日后到期"),
        "the date and how far off it is: {accept}"
    );
    assert_eq!(
        select_attr(&html, "dl.facts [data-due-standing]", "data-due-standing").as_deref(),
        Some("due-in")
    );

    let timeline = select_text(&html, "ol.timeline li .what");
    assert_eq!(timeline, vec!["已提交", "已分派给 食品药品监督管理局"]);
    let stamp = select_attr(&html, "ol.timeline li time", "datetime").unwrap();
    assert!(stamp.ends_with("+08:00"), "city time: {stamp}");
}

#[tokio::test]
async fn an_anonymous_report_is_shown_as_a_report_with_its_own_deadline() {
    let app = spawn_app().await;
    let fields = with(
        with(with(valid_complaint(), "kind", "report"), "anonymous", "on"),
        "email",
        "whistle.blower@example.org",
    );
    let code = app.file_valid(fields).await;
    let stored = stored_complaint(&app, &code).await;
    let html = app.get_html(&format!("/track/{code}")).await;
    let facts = facts(&html);
    assert_eq!(fact(&facts, "类型"), "举报");
    assert!(fact(&facts, "立案决定期限").starts_with(&stored.accept_due.to_string()));
    assert!(!html.contains("whistle.blower"));
}

#[tokio::test]
async fn an_unknown_or_malformed_code_answers_on_the_look_up_form_in_the_visitors_language() {
    let app = spawn_app().await;
    app.file_valid(valid_complaint()).await;
    for path in [
        format!("/track/{UNKNOWN_CODE}"),
        "/track/not-a-code".to_owned(),
        "/track/K7QX3-MNAPR-2D9W".to_owned(),
        "/track/K7QX3-MNAPR-2D9WTX".to_owned(),
        "/track/K7QX3-MNAPR-2D9W0".to_owned(),
        "/track/%00".to_owned(),
    ] {
        for (accept_language, message) in [
            ("zh-CN", "没有找到这个查询码"),
            ("en", "No case has this tracking code"),
            ("zh-TW", "沒有找到這個查詢碼"),
        ] {
            let response = app.get_in(&path, accept_language).await;
            assert_eq!(response.status().as_u16(), 404, "{path}");
            let html = response.text().await.unwrap();
            let error = select_text(&html, "form.lookup #code-error");
            assert_eq!(error.len(), 1, "{path}: the look-up form, to type it again");
            assert!(error[0].starts_with(message), "{path}: {error:?}");
        }
    }
}

async fn look_up(app: &TestApp, typed: &str) -> reqwest::Response {
    app.client
        .get(app.url("/track"))
        .query(&[("code", typed)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_typed_code_leads_to_its_canonical_address() {
    let app = spawn_app().await;
    for typed in [
        "k7qx3 mnapr 2d9wt",
        "K7QX3MNAPR2D9WT",
        "  k7qx3-mnapr-2d9wt ",
        "Ｋ７ＱＸ３－ＭＮＡＰＲ－２Ｄ９ＷＴ",
    ] {
        let response = look_up(&app, typed).await;
        assert_eq!(response.status().as_u16(), 303, "{typed:?}");
        assert_eq!(
            response.headers()["location"],
            format!("/track/{UNKNOWN_CODE}").as_str(),
            "{typed:?}"
        );
    }
}

#[tokio::test]
async fn a_code_that_cannot_be_one_is_refused_on_the_look_up_form() {
    let app = spawn_app().await;
    for typed in [
        "garbage",
        "K7QX3-MNAPR-2D9W",
        "K7QX3-MNAPR-2D9WO",
        "I1L0O-MNAPR-2D9WT",
    ] {
        let response = look_up(&app, typed).await;
        assert_eq!(response.status().as_u16(), 422, "{typed}");
        let html = response.text().await.unwrap();
        assert_eq!(
            select_text(&html, ".field-error#code-error"),
            vec!["这不是有效的查询码：应为 15 位字母和数字（不含 0、1、I、L、O）。".to_owned()],
            "{typed}"
        );
        assert_eq!(
            select_attr(&html, "input[name=code]", "value").as_deref(),
            Some(typed),
            "what was typed is kept"
        );
    }
}

#[tokio::test]
async fn the_look_up_form_is_shown_without_a_code() {
    let app = spawn_app().await;
    for path in ["/track", "/track?code=", "/track?code=+++"] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert_eq!(select_text(&html, "h1"), vec!["查询办理进度".to_owned()]);
        assert_eq!(
            select_attr(&html, "form.lookup", "action").as_deref(),
            Some("/track")
        );
        assert!(select_text(&html, ".field-error").is_empty(), "{path}");
    }
}

#[tokio::test]
async fn a_code_typed_another_way_in_the_address_leads_to_the_canonical_one() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    for typed in [
        code.to_lowercase(),
        code.replace('-', ""),
        code.replace('-', " "),
    ] {
        let response = app.get(&format!("/track/{typed}")).await;
        assert_eq!(response.status().as_u16(), 303, "{typed}");
        assert_eq!(
            response.headers()["location"],
            format!("/track/{code}").as_str()
        );
    }
}

async fn nothing_changed(app: &TestApp, code: &str, before: [i64; 5]) {
    let stored = stored_complaint(app, code).await;
    assert_eq!((stored.state.as_str(), stored.version), ("assigned", 1));
    assert_eq!(app.stored_rows().await, before);
}

#[tokio::test]
async fn a_withdrawal_without_a_valid_csrf_pair_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let token = app.withdraw_token(&code).await;
    let before = app.stored_rows().await;
    let path = format!("/track/{code}/withdraw");

    for (case, fields) in [
        ("no token", vec![("reason", "不想投诉了".to_owned())]),
        ("a made-up token", vec![("csrf_token", "forged".to_owned())]),
    ] {
        let response = app.post_form(&path, &fields).await;
        assert_eq!(response.status().as_u16(), 403, "{case}");
        nothing_changed(&app, &code, before).await;
    }
    let response = cookieless_client()
        .post(app.url(&path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("csrf_token", &token)]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        403,
        "the token without its cookie"
    );
    let html = response.text().await.unwrap();
    assert_eq!(select_text(&html, "h1"), vec!["页面已过期".to_owned()]);
    nothing_changed(&app, &code, before).await;
}

#[tokio::test]
async fn withdrawing_a_withdrawn_case_is_a_conflict_page_and_changes_nothing() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let token = app.withdraw_token(&code).await;
    let path = format!("/track/{code}/withdraw");
    let response = app.post_form(&path, &[("csrf_token", token.clone())]).await;
    assert_eq!(response.status().as_u16(), 303);
    let before = app.stored_rows().await;

    let response = app.post_form(&path, &[("csrf_token", token)]).await;
    assert_eq!(response.status().as_u16(), 409);
    let html = response.text().await.unwrap();
    assert_eq!(
        select_text(&html, "h1"),
        vec!["现在不能这样操作".to_owned()]
    );
    assert_eq!(app.stored_rows().await, before);
    let stored = stored_complaint(&app, &code).await;
    assert_eq!((stored.state.as_str(), stored.version), ("withdrawn", 2));
}

#[tokio::test]
async fn a_stale_double_submitted_withdrawal_is_harmless() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let token = app.withdraw_token(&code).await;
    let path = format!("/track/{code}/withdraw");
    let fields = [("csrf_token", token)];
    let (a, b) = tokio::join!(app.post_form(&path, &fields), app.post_form(&path, &fields));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 409]);
    let stored = stored_complaint(&app, &code).await;
    assert_eq!((stored.state.as_str(), stored.version), ("withdrawn", 2));
    // submitted, routed, withdrawn; two filing emails and two withdrawal emails.
    assert_eq!(app.count("events").await, 3);
    assert_eq!(app.count("outbox").await, 4);
}

#[tokio::test]
async fn a_withdrawal_with_an_unreadable_reason_is_refused_beside_it_and_changes_nothing() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let token = app.withdraw_token(&code).await;
    let before = app.stored_rows().await;
    let path = format!("/track/{code}/withdraw");
    for (reason, message) in [
        (
            "已解决\u{202E}决解已".to_owned(),
            "撤回原因含有不可见的控制字符，请重新输入。".to_owned(),
        ),
        (
            "质".repeat(1001),
            "撤回原因最多 1000 个字，请删减。".to_owned(),
        ),
    ] {
        let response = app
            .post_form(
                &path,
                &[("csrf_token", token.clone()), ("reason", reason.clone())],
            )
            .await;
        assert_eq!(response.status().as_u16(), 422);
        let html = response.text().await.unwrap();
        assert_eq!(
            select_text(&html, ".field-error#reason-error"),
            vec![message]
        );
        assert_eq!(
            select_text(&html, "textarea[name=reason]"),
            vec![reason],
            "what was typed is kept"
        );
        nothing_changed(&app, &code, before).await;
    }
}

#[tokio::test]
async fn withdrawing_an_unknown_case_is_not_found() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let token = app.withdraw_token(&code).await;
    let before = app.stored_rows().await;
    let response = app
        .post_form(
            &format!("/track/{UNKNOWN_CODE}/withdraw"),
            &[("csrf_token", token)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(app.stored_rows().await, before);
}

#[tokio::test]
async fn the_health_check_answers_ok() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(response.text().await.unwrap(), "ok");
}
