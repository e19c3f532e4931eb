//! Issue 13 over HTTP: the business behind the complaints, possible duplicates and related
//! cases found at filing, merging and linking cases, the hotspot and business pages with
//! who sees what, and `rebuild-businesses`.

use diesel::prelude::*;
use green_channel::db::schema::{businesses, complaint_links, complaints};

use crate::helpers::{
    select_attr, select_text, spawn_app, valid_complaint, with, without, TestApp, STAFF_PASSWORD,
};
use crate::sweeper::{command, event_kinds};
use crate::triage::{act, complaint, emails_to};

/// A food complaint in `district` about `name`, with no credit code, from `phone`/`email`.
fn about(name: &str, district: &str, phone: &str, email: &str) -> Vec<(&'static str, String)> {
    let fields = without(valid_complaint(), "business_credit_code");
    let fields = with(fields, "business_name", name);
    let fields = with(fields, "district", district);
    let fields = with(fields, "phone", phone);
    with(fields, "email", email)
}

/// Files and returns (tracking code, complaint id).
/// The resident who complains about 好又多超市 in 361102 again and again.
fn resident_a() -> Vec<(&'static str, String)> {
    about("好又多超市", "361102", "13800138000", "a@example.com")
}

async fn file(app: &TestApp, fields: Vec<(&'static str, String)>) -> (String, String) {
    let code = app.file_valid(fields).await;
    let id = complaint(app, &code).await.id.to_string();
    (code, id)
}

async fn business_of(app: &TestApp, id: &str) -> Option<i64> {
    let id = id.to_owned();
    app.db
        .read(move |conn| {
            Ok(complaints::table
                .find(id)
                .select(complaints::business_id)
                .first::<Option<i64>>(conn)?)
        })
        .await
        .unwrap()
}

async fn business_count(app: &TestApp) -> i64 {
    app.db
        .read(|conn| Ok(businesses::table.count().get_result::<i64>(conn)?))
        .await
        .unwrap()
}

/// (later case, earlier case, kind) of every link.
async fn links(app: &TestApp) -> Vec<(String, String, String)> {
    app.db
        .read(|conn| {
            Ok(complaint_links::table
                .order((complaint_links::complaint_id, complaint_links::other_id))
                .select((
                    complaint_links::complaint_id,
                    complaint_links::other_id,
                    complaint_links::kind,
                ))
                .load(conn)?)
        })
        .await
        .unwrap()
}

async fn office(app: &TestApp) -> reqwest::Client {
    app.create_user("office", "coordinator", "quality-office")
        .await;
    app.login("office", STAFF_PASSWORD).await
}

async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> (u16, String) {
    let response = browser.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn three_spellings_in_one_district_make_one_hotspot_row() {
    let app = spawn_app().await;
    for (i, name) in [
        "好又多超市有限公司",
        "信州区好又多超市",
        "好又多超市（有限公司）",
    ]
    .iter()
    .enumerate()
    {
        let phone = format!("1380013800{i}");
        file(
            &app,
            about(name, "361102", &phone, &format!("r{i}@example.com")),
        )
        .await;
    }
    file(
        &app,
        about("好又多超市", "361103", "13900139000", "x@example.com"),
    )
    .await;
    assert_eq!(business_count(&app).await, 2);

    let office = office(&app).await;
    let (status, html) = page(&app, &office, "/admin/hotspots?days=30&min=3").await;
    assert_eq!(status, 200);
    let counts = select_text(&html, "#hotspots tbody td[data-count]");
    assert_eq!(counts, ["3"], "{html}");
    let district = select_text(&html, "#hotspots tbody td:nth-child(2)");
    assert_eq!(district, ["信州区"]);
    let href = select_attr(&html, "#hotspots tbody a", "href").unwrap();
    assert!(href.starts_with("/admin/businesses/"), "{href}");

    // One row per business at min=1, in the district asked for only when asked.
    let (_, all) = page(&app, &office, "/admin/hotspots?days=30&min=1").await;
    assert_eq!(select_text(&all, "#hotspots tbody tr").len(), 2);
    let (_, other) = page(&app, &office, "/admin/hotspots?min=1&district=361103").await;
    assert_eq!(select_text(&other, "#hotspots tbody td[data-count]"), ["1"]);
    let (_, none) = page(&app, &office, "/admin/hotspots?min=1&category=drugs").await;
    assert!(select_text(&none, "#hotspots tbody tr").is_empty());

    let csv = office
        .get(app.url("/admin/hotspots?days=30&min=3&format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = csv.text().await.unwrap();
    let lines: Vec<&str> = body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert!(
        lines[1].contains(",361102,") && lines[1].contains(",3,"),
        "{body}"
    );

    // The business page: its cases and the names it was filed under.
    let (status, business) = page(&app, &office, &href).await;
    assert_eq!(status, 200);
    assert_eq!(select_text(&business, "#business-cases tbody tr").len(), 3);
    assert_eq!(select_text(&business, "#business-names li").len(), 3);
}

#[tokio::test]
async fn one_credit_code_under_two_names_in_two_districts_is_one_business() {
    let app = spawn_app().await;
    let (_, a) = file(&app, valid_complaint()).await;
    let other = with(valid_complaint(), "district", "361103");
    let other = with(other, "business_name", "广丰区鑫源百货商行");
    let (_, b) = file(&app, other).await;
    // The same name without the code in another district is another business.
    let (_, c) = file(
        &app,
        about("信州区好又多超市", "361103", "13700137000", "c@example.com"),
    )
    .await;
    let (a, b, c) = (
        business_of(&app, &a).await,
        business_of(&app, &b).await,
        business_of(&app, &c).await,
    );
    assert!(a.is_some());
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(business_count(&app).await, 2);
}

#[tokio::test]
async fn earlier_cases_are_linked_as_duplicates_or_related_and_never_told_to_the_resident() {
    let app = spawn_app().await;
    let (_, first) = file(&app, resident_a()).await;
    // The same person (the phone written differently, another email): a possible duplicate.
    let (_, again) = file(
        &app,
        about(
            "好又多超市有限公司",
            "361102",
            "+86 138 0013 8000",
            "other@example.com",
        ),
    )
    .await;
    // Somebody else: related to both.
    let (stranger_code, stranger) = file(
        &app,
        about(
            "信州区好又多超市",
            "361102",
            "13900139000",
            "stranger@example.com",
        ),
    )
    .await;
    // Another category, another district: no link.
    let drugs = with(resident_a(), "category", "drugs");
    let (_, unrelated) = file(&app, drugs).await;
    let elsewhere = about("好又多超市", "361103", "13800138000", "a@example.com");
    let (_, far) = file(&app, elsewhere).await;

    let mut expected = vec![
        (
            again.clone(),
            first.clone(),
            "possible_duplicate".to_owned(),
        ),
        (stranger.clone(), first.clone(), "related".to_owned()),
        (stranger.clone(), again.clone(), "related".to_owned()),
    ];
    expected.sort();
    assert_eq!(links(&app).await, expected);
    for id in [&unrelated, &far] {
        assert!(links(&app).await.iter().all(|(a, b, _)| a != id && b != id));
    }

    // The resident's page says nothing of other cases.
    let track = app.get_html(&format!("/track/{stranger_code}")).await;
    assert!(!track.contains("data-link"), "{track}");

    // The office sees both links on the stranger's case, with no other complainant's contact.
    let office = office(&app).await;
    let (_, html) = page(&app, &office, &format!("/admin/complaints/{stranger}")).await;
    let kinds: Vec<String> = scraper::Html::parse_document(&html)
        .select(&scraper::Selector::parse("li[data-link]").unwrap())
        .map(|li| li.value().attr("data-link").unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["related", "related"]);
    assert!(!html.contains("a@example.com") && !html.contains("other@example.com"));
    let (_, html) = page(&app, &office, &format!("/admin/complaints/{again}")).await;
    assert_eq!(
        select_attr(&html, "li[data-link='possible_duplicate'] a", "href").unwrap(),
        format!("/admin/complaints/{first}")
    );

    // A department sees only the linked cases it may see: after the first case is
    // designated to another department, the food department's clerk no longer sees it.
    let response = act(
        &app,
        &office,
        &first,
        "transfer",
        &[
            ("department", "market-regulation"),
            ("reason", "不属于食品"),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    let (status, html) = page(&app, &clerk, &format!("/admin/complaints/{stranger}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        select_text(&html, "li[data-link]").len(),
        1,
        "only the case the clerk may see"
    );
    assert!(!html.contains(&first));
}

#[tokio::test]
async fn the_duplicate_window_is_a_setting() {
    let app = crate::helpers::spawn_app_with(|c| c.duplicate_window_days = 0).await;
    file(&app, resident_a()).await;
    file(&app, resident_a()).await;
    assert!(links(&app).await.is_empty());
}

#[tokio::test]
async fn a_repeated_complaint_is_merged_into_the_one_that_continues() {
    let app = spawn_app().await;
    let (first_code, first) = file(&app, resident_a()).await;
    let (_, again) = file(&app, resident_a()).await;
    let (_, stranger) = file(
        &app,
        about("好又多超市", "361102", "13900139000", "s@example.com"),
    )
    .await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    app.create_user("clerk-agri", "clerk", "agriculture").await;
    let outsider = app.login("clerk-agri", STAFF_PASSWORD).await;
    let events_before = event_kinds(&app, &again).await;

    // Every refusal changes nothing.
    let bad: &[(&[(&str, &str)], u16)] = &[
        (&[("into", &stranger), ("reason", "重复")], 422), // another complainant
        (&[("into", "not-a-case"), ("reason", "重复")], 422),
        (
            &[
                ("into", "00000000-0000-7000-8000-000000000000"),
                ("reason", "重复"),
            ],
            422,
        ),
        (&[("into", &again), ("reason", "重复")], 422), // itself
        (&[("into", &first)], 422),                     // no reason
        (&[("into", &first), ("reason", "  ")], 422),
        (&[("reason", "重复")], 422),
    ];
    for (fields, status) in bad {
        let response = act(&app, &clerk, &again, "merge", fields).await;
        assert_eq!(response.status().as_u16(), *status, "{fields:?}");
    }
    let response = act(
        &app,
        &outsider,
        &again,
        "merge",
        &[("into", &first), ("reason", "重复")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(event_kinds(&app, &again).await, events_before);

    // The whole address of the other case's page is accepted as well as its id.
    let into = format!("http://gc.test/admin/complaints/{first}");
    let response = act(
        &app,
        &clerk,
        &again,
        "merge",
        &[("into", &into), ("reason", "同一投诉人重复提交")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    let merged = complaint(&app, &complaint_code(&app, &again).await).await;
    assert_eq!(merged.state.as_str(), "closed");
    assert_eq!(merged.outcome.map(|o| o.as_str()), Some("duplicate"));
    let kinds = event_kinds(&app, &again).await;
    assert_eq!(
        kinds[..events_before.len()],
        events_before[..],
        "events kept"
    );
    assert_eq!(kinds.last().map(String::as_str), Some("merged"));
    let emails = emails_to(&app, &again).await;
    assert!(
        emails.contains(&("a@example.com".to_owned(), "merged".to_owned())),
        "{emails:?}"
    );
    let body = merged_email_text(&app, &again).await;
    assert!(
        body.contains(&first_code),
        "the email names the case that continues"
    );
    // The case that continues is untouched.
    let continuing = complaint(&app, &first_code).await;
    assert_eq!(continuing.state.as_str(), "assigned");
    // Open311 shows the merged one closed, its status note naming the case it joined.
    let key = crate::open311::create_key(&app, "12345 热线", None);
    let read = reqwest::get(app.url(&format!(
        "/open311/v2/requests/{}.json?api_key={key}",
        merged.public_id
    )))
    .await
    .unwrap();
    assert_eq!(read.status().as_u16(), 200);
    let read: serde_json::Value = read.json().await.unwrap();
    assert_eq!(read[0]["status"], "closed", "{read}");
    assert_eq!(
        read[0]["status_notes"],
        format!("已并入案件 {} 继续办理", continuing.public_id),
        "{read}"
    );

    // A second merge of the closed case is not allowed (409), nor is a stale form.
    let response = act(
        &app,
        &clerk,
        &again,
        "merge",
        &[("into", &first), ("reason", "重复")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 409);
    // (The first case and the stranger's were linked at filing.)
    let token = app.admin_csrf(&clerk, "/admin/password").await;
    let stale = clerk
        .post(app.url(&format!("/admin/complaints/{first}/unlink")))
        .form(&[
            ("csrf_token", token.as_str()),
            ("version", "0"),
            ("other", stranger.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status().as_u16(), 409);
    assert_eq!(links(&app).await.len(), 3, "nothing unlinked");
}

async fn complaint_code(app: &TestApp, id: &str) -> String {
    let id = id.to_owned();
    app.db
        .read(move |conn| {
            Ok(complaints::table
                .find(id)
                .select(complaints::tracking_code)
                .first::<String>(conn)?)
        })
        .await
        .unwrap()
}

async fn merged_email_text(app: &TestApp, id: &str) -> String {
    use green_channel::db::schema::outbox;
    let id = id.to_owned();
    app.db
        .read(move |conn| {
            Ok(outbox::table
                .filter(outbox::complaint_id.eq(id))
                .filter(outbox::template.eq("merged"))
                .select(outbox::text_body)
                .first::<String>(conn)?)
        })
        .await
        .unwrap()
}

/// Who posts which action with which fields, and the status expected.
type Attempt<'a> = (&'a reqwest::Client, &'a str, &'a [(&'a str, &'a str)], u16);

#[tokio::test]
async fn the_lead_department_and_the_office_link_and_unlink_cases() {
    let app = spawn_app().await;
    let (_, a) = file(&app, resident_a()).await;
    let drugs = with(
        about("万家福药房", "361102", "13900139000", "b@example.com"),
        "category",
        "drugs",
    );
    let (_, b) = file(&app, drugs).await;
    let services = with(
        about("华联超市", "361102", "13700137000", "c@example.com"),
        "category",
        "counterfeits",
    );
    let (_, c) = file(&app, services).await;
    let office = office(&app).await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    app.create_user("clerk-police", "clerk", "public-security")
        .await;
    let co_handler = app.login("clerk-police", STAFF_PASSWORD).await;

    let response = act(&app, &clerk, &a, "link", &[("other", &b)]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        links(&app).await,
        [(a.clone(), b.clone(), "related".to_owned())]
    );
    let table: &[Attempt<'_>] = &[
        (&clerk, "link", &[("other", &b)], 422),   // linked already
        (&clerk, "link", &[("other", &a)], 422),   // itself
        (&clerk, "link", &[("other", "x")], 422),  // not a case id
        (&clerk, "link", &[], 422),                // nothing named
        (&clerk, "unlink", &[("other", &c)], 422), // not linked (and not its case)
        (&co_handler, "link", &[("other", &a)], 404), // case c's co-handler, not a's
    ];
    for (browser, action, fields, status) in table {
        let response = act(&app, browser, &a, action, fields).await;
        assert_eq!(response.status().as_u16(), *status, "{action} {fields:?}");
    }
    // The co-handler of c sees c but may not link it (403).
    let response = act(&app, &co_handler, &c, "link", &[("other", &a)]).await;
    assert_eq!(response.status().as_u16(), 403);
    // The office links any two cases.
    let response = act(&app, &office, &c, "link", &[("other", &a)]).await;
    assert_eq!(response.status().as_u16(), 303);
    let response = act(&app, &clerk, &a, "unlink", &[("other", &b)]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        links(&app).await,
        [(c.clone(), a.clone(), "related".to_owned())]
    );
    let kinds = event_kinds(&app, &a).await;
    assert!(
        kinds.ends_with(&["linked".to_owned(), "unlinked".to_owned()]),
        "{kinds:?}"
    );
    let (_, html) = page(&app, &clerk, &format!("/admin/complaints/{a}")).await;
    // The clerk does not see case c (another department's) among a's links.
    assert!(select_text(&html, "li[data-link]").is_empty(), "{html}");
}

#[tokio::test]
async fn who_sees_what_on_the_hotspot_and_business_pages() {
    let app = spawn_app().await;
    let (_, food) = file(&app, resident_a()).await;
    let services = with(
        about("好又多超市", "361102", "13900139000", "b@example.com"),
        "category",
        "services",
    );
    file(&app, services).await;
    let business = business_of(&app, &food).await.unwrap();
    let href = format!("/admin/businesses/{business}");
    let office = office(&app).await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let food_clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    app.create_user("sup-agri", "supervisor", "agriculture")
        .await;
    let agri = app.login("sup-agri", STAFF_PASSWORD).await;

    let (_, html) = page(&app, &office, "/admin/hotspots?min=2").await;
    assert_eq!(select_text(&html, "#hotspots td[data-count]"), ["2"]);
    // A department counts only the cases it may see.
    let (_, html) = page(&app, &food_clerk, "/admin/hotspots?min=1").await;
    assert_eq!(select_text(&html, "#hotspots td[data-count]"), ["1"]);
    let (_, html) = page(&app, &food_clerk, "/admin/hotspots?min=2").await;
    assert!(select_text(&html, "#hotspots tbody tr").is_empty());
    let (_, html) = page(&app, &agri, "/admin/hotspots?min=1").await;
    assert!(select_text(&html, "#hotspots tbody tr").is_empty());

    let (status, html) = page(&app, &office, &href).await;
    assert_eq!(status, 200);
    assert_eq!(select_text(&html, "#business-cases tbody tr").len(), 2);
    assert!(select_attr(&html, "#business-merge", "action").is_some());
    let (status, html) = page(&app, &food_clerk, &href).await;
    assert_eq!(status, 200);
    assert_eq!(select_text(&html, "#business-cases tbody tr").len(), 1);
    assert!(select_attr(&html, "#business-merge", "action").is_none());
    for path in [
        href.as_str(),
        "/admin/businesses/999999",
        "/admin/businesses/abc",
        "/admin/businesses/-1",
    ] {
        let (status, _) = page(&app, &agri, path).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _) = page(&app, &office, "/admin/businesses/999999").await;
    assert_eq!(status, 404);
    // Signed out: the sign-in page, never the data.
    let response = app.get("/admin/hotspots").await;
    assert_ne!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn malformed_hotspot_filters_are_answered_with_the_form() {
    let app = spawn_app().await;
    let office = office(&app).await;
    for query in [
        "days=0",
        "days=abc",
        "days=367",
        "days=-5",
        "min=0",
        "min=1001",
        "min=1.5",
        "district=999999",
        "category=nope",
        "days=30&min=3&district=%00",
        "days=99999999999999999999",
    ] {
        for format in ["", "&format=csv"] {
            let (status, html) =
                page(&app, &office, &format!("/admin/hotspots?{query}{format}")).await;
            assert_eq!(status, 422, "{query}{format}");
            assert!(html.contains("hotspot-problems"), "{query}");
        }
    }
    let (status, _) = page(
        &app,
        &office,
        "/admin/hotspots?days=30&min=3&district=&category=&x=1",
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_office_merges_two_records_of_one_business() {
    let app = spawn_app().await;
    let (_, a) = file(&app, resident_a()).await;
    let (_, b) = file(
        &app,
        about("好友多超市", "361102", "13900139000", "b@example.com"),
    )
    .await;
    let (from, into) = (
        business_of(&app, &b).await.unwrap(),
        business_of(&app, &a).await.unwrap(),
    );
    assert_ne!(from, into);
    let office = office(&app).await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    let clerk = app.login("clerk-food", STAFF_PASSWORD).await;
    let path = format!("/admin/businesses/{from}/merge");
    let post = |browser: &reqwest::Client, fields: Vec<(&'static str, String)>| {
        let browser = browser.clone();
        let url = app.url(&path);
        let app = &app;
        async move {
            let token = app.admin_csrf(&browser, "/admin/password").await;
            let mut fields = fields;
            fields.push(("csrf_token", token));
            browser
                .post(url)
                .form(&fields)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let into_text = into.to_string();
    let from_text = from.to_string();
    let refused: Vec<(Vec<(&'static str, String)>, u16)> = vec![
        (vec![("into", into_text.clone())], 422),
        (vec![("into", "".into()), ("reason", "同一家".into())], 422),
        (
            vec![("into", "abc".into()), ("reason", "同一家".into())],
            422,
        ),
        (
            vec![("into", from_text.clone()), ("reason", "同一家".into())],
            422,
        ),
        (
            vec![("into", "999999".into()), ("reason", "同一家".into())],
            422,
        ),
        (
            vec![("into", into_text.clone()), ("reason", "x".repeat(2001))],
            422,
        ),
    ];
    for (fields, status) in refused {
        assert_eq!(post(&office, fields.clone()).await, status, "{fields:?}");
    }
    let fields = vec![("into", into_text.clone()), ("reason", "同一家".into())];
    assert_eq!(post(&clerk, fields.clone()).await, 403);
    assert_eq!(business_of(&app, &b).await, Some(from));
    assert_eq!(post(&office, fields.clone()).await, 303);
    assert_eq!(business_of(&app, &b).await, Some(into));
    // The merged record leads to the one that continues; merging it again is not found.
    let (status, html) = page(&app, &office, &format!("/admin/businesses/{from}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("merged-into"));
    assert_eq!(post(&office, fields).await, 404);
    // A later filing under the merged record's name counts for the one that continues.
    let (_, c) = file(
        &app,
        about("好友多超市", "361102", "13700137000", "c@example.com"),
    )
    .await;
    assert_eq!(business_of(&app, &c).await, Some(into));
}

#[tokio::test]
async fn rebuild_businesses_relinks_every_case_and_a_second_run_changes_nothing() {
    let app = spawn_app().await;
    for (i, name) in [
        "好又多超市有限公司",
        "信州区好又多超市",
        "好又多超市（有限公司）",
    ]
    .iter()
    .enumerate()
    {
        file(
            &app,
            about(name, "361102", &format!("1380013800{i}"), "r@example.com"),
        )
        .await;
    }
    // As after an upgrade from a version without businesses.
    app.db
        .write(|conn| -> Result<(), green_channel::db::DbError> {
            diesel::update(complaints::table)
                .set(complaints::business_id.eq(None::<i64>))
                .execute(conn)?;
            diesel::delete(businesses::table).execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let run = || {
        let output = command(&app, &["rebuild-businesses"]).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    assert_eq!(run(), "businesses 1, links changed 3");
    assert_eq!(run(), "businesses 1, links changed 0");
    let office = office(&app).await;
    let (_, html) = page(&app, &office, "/admin/hotspots?min=3").await;
    assert_eq!(select_text(&html, "#hotspots td[data-count]"), ["3"]);
}

#[tokio::test]
async fn the_demo_has_hotspots() {
    let app = spawn_app().await;
    let output = command(&app, &["seed-demo", "--complaints", "1000", "--seed", "7"])
        .env("USER_PASSWORD", STAFF_PASSWORD)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let unlinked = app
        .db
        .read(|conn| {
            Ok(complaints::table
                .filter(complaints::business_id.is_null())
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(unlinked, 0);
    let office = app.login("demo-office", STAFF_PASSWORD).await;
    let (_, html) = page(&app, &office, "/admin/hotspots?days=366&min=3").await;
    assert!(
        !select_text(&html, "#hotspots tbody tr").is_empty(),
        "{html}"
    );
}

/// (business, kept count) of every business, and what counting the window's cases gives.
async fn kept_and_counted(app: &TestApp) -> (Vec<(i64, i64)>, Vec<(i64, i64)>) {
    use green_channel::db::schema::hotspot_window;
    app.db
        .read(|conn| {
            let edge: chrono::NaiveDateTime = hotspot_window::table
                .select(hotspot_window::edge)
                .first(conn)?;
            let kept: Vec<(i64, i64)> = businesses::table
                .filter(businesses::recent_count.ne(0))
                .order(businesses::id)
                .select((businesses::id, businesses::recent_count))
                .load(conn)?;
            let counted: Vec<(Option<i64>, i64)> = complaints::table
                .filter(complaints::created_at.ge(edge))
                .filter(complaints::business_id.is_not_null())
                .group_by(complaints::business_id)
                .order(complaints::business_id)
                .select((complaints::business_id, diesel::dsl::count_star()))
                .load(conn)?;
            let counted = counted
                .into_iter()
                .map(|(id, n)| (id.unwrap(), n))
                .collect();
            Ok((kept, counted))
        })
        .await
        .unwrap()
}

/// The text of each hotspot row (business, district, count, categories, departments,
/// newest) and its count last.
async fn hotspot_rows(app: &TestApp, browser: &reqwest::Client, query: &str) -> Vec<String> {
    let (status, html) = page(app, browser, &format!("/admin/hotspots?{query}")).await;
    assert_eq!(status, 200, "{html}");
    let rows = select_text(&html, "#hotspots tbody tr");
    let counts = select_text(&html, "#hotspots tbody td[data-count]");
    assert_eq!(rows.len(), counts.len(), "{html}");
    rows.iter()
        .zip(counts)
        .map(|(row, count)| {
            format!(
                "{} {count}",
                row.split_whitespace().collect::<Vec<_>>().join(" ")
            )
        })
        .collect()
}

#[tokio::test]
async fn the_kept_window_counts_answer_as_counting_the_cases_would() {
    let app = spawn_app().await;
    let mut a_cases = Vec::new();
    for i in 0..4 {
        let phone = format!("1380013800{i}");
        let (_, id) = file(
            &app,
            about("好又多超市", "361102", &phone, &format!("a{i}@example.com")),
        )
        .await;
        a_cases.push(id);
    }
    let mut b_cases = Vec::new();
    for i in 0..3 {
        let phone = format!("1390013900{i}");
        let (_, id) = file(
            &app,
            about("华联商场", "361102", &phone, &format!("b{i}@example.com")),
        )
        .await;
        b_cases.push(id);
    }
    let (_, c) = file(
        &app,
        about("华联商场", "361103", "13700137000", "c@example.com"),
    )
    .await;
    let office = office(&app).await;
    // The office's 30 days without a filter come from the kept counts; any other window
    // or a filter counts the cases: both say the same.
    let kept_view = hotspot_rows(&app, &office, "days=30&min=3").await;
    assert_eq!(kept_view.len(), 2, "{kept_view:?}");
    assert!(kept_view[0].contains("好又多超市") && kept_view[0].ends_with(" 4"));
    assert!(kept_view[1].contains("华联商场") && kept_view[1].ends_with(" 3"));
    assert_eq!(
        hotspot_rows(&app, &office, "days=31&min=3").await,
        kept_view
    );
    let (kept, counted) = kept_and_counted(&app).await;
    assert_eq!(kept, counted);

    // The sweeper last moved the edge half a day ago; two of A's cases were filed between
    // it and the start of the window. The page leaves them out at once.
    let (early, day_ago) = {
        let now = green_channel::clock::now_utc();
        (
            now - chrono::Duration::days(30) - chrono::Duration::hours(6),
            now - chrono::Duration::days(30) - chrono::Duration::hours(12),
        )
    };
    let moved = a_cases[..2].to_vec();
    app.db
        .write(move |conn| {
            use green_channel::db::schema::hotspot_window;
            diesel::update(hotspot_window::table)
                .set(hotspot_window::edge.eq(day_ago))
                .execute(conn)?;
            diesel::update(complaints::table.filter(complaints::id.eq_any(moved)))
                .set(complaints::created_at.eq(early))
                .execute(conn)?;
            Ok::<(), green_channel::db::DbError>(())
        })
        .await
        .unwrap();
    let kept_view = hotspot_rows(&app, &office, "days=30&min=2").await;
    let counted_view = hotspot_rows(&app, &office, "days=30&min=2&district=361102").await;
    assert_eq!(kept_view, counted_view);
    assert!(kept_view[0].contains("华联商场") && kept_view[0].ends_with(" 3"));
    assert!(kept_view[1].contains("好又多超市") && kept_view[1].ends_with(" 2"));
    assert!(
        hotspot_rows(&app, &office, "days=31&min=4").await[0].ends_with(" 4"),
        "a longer window still counts them"
    );

    // A sweep moves the edge past them and takes them off the count.
    let output = command(&app, &["sweep"]).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let (kept, counted) = kept_and_counted(&app).await;
    assert_eq!(kept, counted);
    assert!(kept.iter().any(|(_, n)| *n == 2), "{kept:?}");
    assert_eq!(
        hotspot_rows(&app, &office, "days=30&min=2").await,
        kept_view
    );

    // Merging 华联商场 of 361103 into the one of 361102 moves its count with its cases;
    // rebuilding every link changes nothing.
    let into = business_of(&app, &b_cases[0]).await.unwrap();
    let other = business_of(&app, &c).await.unwrap();
    let token = app.admin_csrf(&office, "/admin/password").await;
    let merged = office
        .post(app.url(&format!("/admin/businesses/{other}/merge")))
        .form(&[
            ("into", into.to_string()),
            ("reason", "同一家".to_owned()),
            ("csrf_token", token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(merged.status().as_u16(), 303);
    let (kept, counted) = kept_and_counted(&app).await;
    assert_eq!(kept, counted);
    assert!(kept.contains(&(into, 4)), "{kept:?}");
    let kept_view = hotspot_rows(&app, &office, "days=30&min=2").await;
    assert!(kept_view[0].ends_with(" 4"), "{kept_view:?}");
    assert_eq!(
        hotspot_rows(&app, &office, "days=30&min=2&category=food").await,
        kept_view
    );

    let output = command(&app, &["rebuild-businesses"]).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let (kept_after, counted) = kept_and_counted(&app).await;
    assert_eq!(kept_after, counted);
    assert_eq!(kept_after, kept);
}

#[tokio::test]
async fn the_page_lists_the_hundred_businesses_with_the_most_cases_and_the_csv_more() {
    let app = spawn_app().await;
    for i in 0..=green_channel::services::businesses::PAGE_HOTSPOTS {
        let phone = format!("138{i:08}");
        file(
            &app,
            about(
                &format!("第{i}号商店"),
                "361102",
                &phone,
                &format!("r{i}@example.com"),
            ),
        )
        .await;
    }
    // One business with two cases: first on the page.
    file(
        &app,
        about("第7号商店", "361102", "13912345678", "again@example.com"),
    )
    .await;
    let office = office(&app).await;
    let (status, html) = page(&app, &office, "/admin/hotspots?days=30&min=1").await;
    assert_eq!(status, 200);
    let rows = select_text(&html, "#hotspots tbody tr");
    assert_eq!(rows.len(), 100);
    assert!(rows[0].contains("第7号商店"), "{}", rows[0]);
    assert_eq!(select_text(&html, "#hotspots-truncated").len(), 1);
    let (status, csv) = page(&app, &office, "/admin/hotspots?days=30&min=1&format=csv").await;
    assert_eq!(status, 200);
    assert_eq!(csv.lines().count(), 1 + 101, "a header and every business");
    let (_, narrow) = page(&app, &office, "/admin/hotspots?days=30&min=2").await;
    assert_eq!(select_text(&narrow, "#hotspots tbody tr").len(), 1);
    assert!(select_text(&narrow, "#hotspots-truncated").is_empty());
}
