//! Filing: the happy paths, routing by every demo rule, and what one filing writes.

use diesel::prelude::*;
use green_channel::db::complaints::ComplaintRow;
use green_channel::db::schema::{complaint_departments, complaints, events, outbox};

use crate::helpers::{
    select_attr, select_text, spawn_app, valid_complaint, with, without, TestApp,
};

async fn complaint_by_code(app: &TestApp, code: &str) -> ComplaintRow {
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

async fn co_handlers(app: &TestApp, id: &str) -> Vec<String> {
    let id = id.to_owned();
    app.db
        .read(move |conn| {
            Ok(complaint_departments::table
                .filter(complaint_departments::complaint_id.eq(id))
                .order(complaint_departments::department_code)
                .select(complaint_departments::department_code)
                .load(conn)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_complaint_is_filed_routed_and_shown_on_its_tracking_page() {
    let app = spawn_app().await;
    let response = app.file_complaint(valid_complaint()).await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let code = location.strip_prefix("/track/").unwrap().to_owned();
    assert_eq!(code.len(), 17, "three groups of five: {code}");
    assert!(!code.contains(['0', 'O', '1', 'I', 'L']));

    let stored = complaint_by_code(&app, &code).await;
    assert_eq!(stored.state, "assigned");
    assert_eq!(stored.lead_department, "food-drug");
    assert!(
        stored.routing_rule_id.is_some(),
        "the deciding rule is recorded"
    );
    assert_eq!(
        stored.phone.as_deref(),
        Some("13800138000"),
        "phone stored normalised"
    );
    assert_eq!(
        stored.business_credit_code.as_deref(),
        Some("91350100M000100Y43")
    );
    assert_eq!(stored.locale, "zh-Hans");

    let id = stored.id.clone();
    let (event_kinds, mails): (Vec<String>, Vec<(String, String)>) = app
        .db
        .read(move |conn| {
            let kinds = events::table
                .filter(events::complaint_id.eq(&id))
                .order(events::id)
                .select(events::kind)
                .load(conn)?;
            let mails = outbox::table
                .filter(outbox::complaint_id.eq(&id))
                .order(outbox::id)
                .select((outbox::recipient, outbox::state))
                .load(conn)?;
            Ok((kinds, mails))
        })
        .await
        .unwrap();
    assert_eq!(event_kinds, vec!["submitted", "routed"]);
    assert_eq!(
        mails,
        vec![
            ("zhang.san@example.com".to_owned(), "pending".to_owned()),
            (
                "food-drug@green-channel.invalid".to_owned(),
                "pending".to_owned()
            ),
        ]
    );

    // The tracking page: receipt banner once, state, deadline, timeline.
    let page = app.get_html(&location).await;
    assert!(page.contains("已收到"), "receipt banner");
    assert_eq!(
        select_attr(&page, "#state", "data-state").as_deref(),
        Some("assigned")
    );
    assert!(page.contains(&stored.accept_due.to_string()));
    assert!(page.contains("食品药品监督管理局"));
    let again = app.get_html(&location).await;
    assert!(
        !again.contains("已收到，谢谢您"),
        "the receipt is shown once"
    );
}

#[tokio::test]
async fn the_acceptance_deadline_counts_working_days_after_the_day_of_receipt() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let stored = complaint_by_code(&app, &code).await;
    let received = green_channel::domain::calendar::city_date(stored.created_at);
    let calendar = green_channel::domain::calendar::WorkCalendar::official_2026();
    assert_eq!(stored.accept_due, calendar.add_working_days(received, 7));
    assert_eq!(
        calendar.working_days_between(received, stored.accept_due),
        7
    );

    let report = app
        .file_valid(with(valid_complaint(), "kind", "report"))
        .await;
    let report = complaint_by_code(&app, &report).await;
    assert_eq!(
        report.accept_due,
        calendar.add_working_days(city_date_of(&report), 15)
    );
}

fn city_date_of(c: &ComplaintRow) -> chrono::NaiveDate {
    green_channel::domain::calendar::city_date(c.created_at)
}

#[tokio::test]
async fn an_anonymous_report_keeps_no_name_or_phone_and_needs_none() {
    let app = spawn_app().await;
    let fields = with(
        with(
            without(without(valid_complaint(), "complainant_name"), "phone"),
            "kind",
            "report",
        ),
        "anonymous",
        "on",
    );
    let fields = with(fields, "email", "tipster@example.com");
    let code = app.file_valid(fields).await;
    let stored = complaint_by_code(&app, &code).await;
    assert!(stored.anonymous);
    assert_eq!(stored.complainant_name, None);
    assert_eq!(stored.phone, None);
    assert_eq!(stored.email.as_deref(), Some("tipster@example.com"));

    // A name typed anyway is not kept either.
    let fields = with(with(valid_complaint(), "kind", "report"), "anonymous", "on");
    let code = app.file_valid(fields).await;
    let stored = complaint_by_code(&app, &code).await;
    assert_eq!((stored.complainant_name, stored.phone), (None, None));
}

#[tokio::test]
async fn every_demo_routing_rule_sends_the_case_to_its_department() {
    let app = spawn_app().await;
    let table: [(&str, &str, &str, &[&str]); 13] = [
        (
            "special-equipment",
            "361102",
            "quality-supervision-361102",
            &[],
        ),
        (
            "industrial-products",
            "361181",
            "quality-supervision-361181",
            &[],
        ),
        ("metrology", "361130", "quality-supervision-361130", &[]),
        (
            "building-materials",
            "361123",
            "quality-supervision-361123",
            &[],
        ),
        ("food", "361103", "food-drug", &[]),
        ("drugs", "361128", "food-drug", &[]),
        ("services", "361102", "market-regulation", &[]),
        (
            "counterfeits",
            "361104",
            "market-regulation",
            &["public-security", "quality-supervision"],
        ),
        (
            "construction-works",
            "361125",
            "housing-construction",
            &["quality-supervision"],
        ),
        ("agricultural-inputs", "361126", "agriculture", &[]),
        ("imported-goods", "361127", "inspection-quarantine", &[]),
        ("other", "361129", "quality-office", &[]),
        ("other", "361102", "quality-office", &[]),
    ];
    for (category, district, lead, co) in table {
        let fields = with(
            with(valid_complaint(), "category", category),
            "district",
            district,
        );
        let code = app.file_valid(fields).await;
        let stored = complaint_by_code(&app, &code).await;
        assert_eq!(stored.lead_department, lead, "{category} in {district}");
        assert_eq!(
            stored.routing_rule_id.is_none(),
            lead == "quality-office",
            "{category}: rule recorded"
        );
        assert_eq!(
            co_handlers(&app, &stored.id).await,
            co.to_vec(),
            "{category} co-handlers"
        );
        // Co-handlers are told at routing, as the lead is.
        let id = stored.id.clone();
        let recipients: Vec<String> = app
            .db
            .read(move |conn| {
                Ok(outbox::table
                    .filter(outbox::complaint_id.eq(id))
                    .filter(outbox::recipient_kind.eq("department"))
                    .select(outbox::recipient)
                    .load(conn)?)
            })
            .await
            .unwrap();
        assert_eq!(recipients.len(), 1 + co.len(), "{category}: {recipients:?}");
    }
}

#[tokio::test]
async fn the_complaint_is_withdrawn_before_resolution_and_both_sides_are_told() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    // The case's page offers a link; the withdrawal itself is confirmed on a page of its own.
    let page = app.get_html(&format!("/track/{code}")).await;
    assert_eq!(
        select_attr(&page, "#withdraw-link", "href"),
        Some(format!("/track/{code}/withdraw"))
    );
    assert!(select_attr(&page, "form[action$=withdraw]", "action").is_none());
    let confirm = app.get_html(&format!("/track/{code}/withdraw")).await;
    let token = select_attr(
        &confirm,
        "form[action$=withdraw] input[name=csrf_token]",
        "value",
    )
    .unwrap();
    // A reason too long: the confirmation page again, the text kept, nothing withdrawn.
    let response = app
        .post_form(
            &format!("/track/{code}/withdraw"),
            &[("csrf_token", token.clone()), ("reason", "长".repeat(1001))],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let refused = response.text().await.unwrap();
    assert!(refused.contains("id=\"reason-error\""));
    assert!(select_text(&refused, "title")[0].starts_with("错误："));
    assert_eq!(complaint_by_code(&app, &code).await.state, "assigned");
    let response = app
        .post_form(
            &format!("/track/{code}/withdraw"),
            &[
                ("csrf_token", token.clone()),
                ("reason", "已经和商家协商解决".into()),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/track/{code}?done=withdrawn")
    );
    let stored = complaint_by_code(&app, &code).await;
    assert_eq!(stored.state, "withdrawn");
    assert_eq!(stored.version, 2);
    let page = app.get_html(&format!("/track/{code}?done=withdrawn")).await;
    assert!(
        page.contains("已撤回。承办部门会收到通知。"),
        "a success message"
    );
    assert!(select_attr(&page, "#withdraw-link", "href").is_none());
    // Asking to withdraw again leads back to the case.
    let again = app.get(&format!("/track/{code}/withdraw")).await;
    assert_eq!(again.status().as_u16(), 303);
    assert_eq!(
        select_attr(&page, "#state", "data-state").as_deref(),
        Some("withdrawn")
    );
    assert!(
        select_attr(&page, "form[action$=withdraw]", "action").is_none(),
        "no second withdrawal offered"
    );
    assert!(
        !page.contains("已经和商家协商解决"),
        "the reason is for the department, not the public page"
    );
    // 2 filing emails + 2 withdrawal emails.
    assert_eq!(app.count("outbox").await, 4);

    // Withdrawing again is refused with 409 and changes nothing.
    let response = app
        .post_form(&format!("/track/{code}/withdraw"), &[("csrf_token", token)])
        .await;
    assert_eq!(response.status().as_u16(), 409);
    assert_eq!(app.count("events").await, 3);
    assert_eq!(app.count("outbox").await, 4);
}
