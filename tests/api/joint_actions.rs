//! Joint actions (联合执法, issue 13) over HTTP: opening one from the form, every refusal
//! (a department that is not a member 404, a member asking for the office's step 403, a
//! stale version or an ended action 409, malformed input 422 with nothing stored), who sees
//! what, the emails in the outbox, the sweeper on a member task and the bulletin's column.

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use green_channel::db::schema::{joint_action_events, joint_action_members, joint_actions, outbox};

use crate::bulletin::{csv_of, recounted_tallies, stored_tallies};
use crate::helpers::{
    city_today, select_attr, select_text, spawn_app, tracking_code_of, valid_complaint, with,
    TestApp, STAFF_PASSWORD,
};
use crate::sweeper::{counts, sweep_at};
use crate::triage::complaint;

async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> (u16, String) {
    let response = browser.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn post(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
    fields: &[(&str, String)],
) -> reqwest::Response {
    browser
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap())
        .send()
        .await
        .unwrap()
}

/// Files a food complaint from `email`, in `language`; its case id.
async fn file(app: &TestApp, email: &str, phone: &str, language: &str) -> String {
    let fields = with(valid_complaint(), "email", email);
    let fields = with(fields, "phone", phone);
    let response = app.file_in(fields, language).await;
    assert_eq!(response.status().as_u16(), 303);
    complaint(app, &tracking_code_of(&response))
        .await
        .id
        .to_string()
}

/// The opening form's fields: market regulation leads, food and drugs is a member.
fn opening(cases: &[&str]) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("title", "打击销售过期奶粉联合执法".to_owned()),
        ("lead", "market-regulation".to_owned()),
        ("members", "market-regulation".to_owned()),
        ("members", "food-drug".to_owned()),
        ("task_market-regulation", "现场检查涉事超市".to_owned()),
        ("due_days_market-regulation", "10".to_owned()),
        ("task_food-drug", "对奶粉抽样检验".to_owned()),
        ("due_days_food-drug", "15".to_owned()),
    ];
    for case in cases {
        fields.push(("cases", (*case).to_owned()));
    }
    fields
}

/// Posts the opening form as `browser` (with its own token): the response.
async fn open(
    app: &TestApp,
    browser: &reqwest::Client,
    fields: &[(&'static str, String)],
) -> reqwest::Response {
    let token = app.admin_csrf(browser, "/admin/joint-actions").await;
    let mut all = fields.to_vec();
    all.push(("csrf_token", token));
    post(app, browser, "/admin/joint-actions", &all).await
}

/// The new action's id from the opening's `303`.
fn opened_id(response: &reqwest::Response) -> i64 {
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap();
    let rest = location.strip_prefix("/admin/joint-actions/").unwrap();
    rest.split('?').next().unwrap().parse().unwrap()
}

/// Posts `action` on action `id` with the page's token and the version it shows (or
/// `version` when given).
async fn act(
    app: &TestApp,
    browser: &reqwest::Client,
    id: i64,
    action: &str,
    version: Option<i32>,
    fields: &[(&'static str, &str)],
) -> reqwest::Response {
    let path = format!("/admin/joint-actions/{id}");
    let (_, html) = page(app, browser, &path).await;
    let token = select_attr(&html, "input[name=csrf_token]", "value").unwrap_or_default();
    let shown = select_attr(&html, "input[name=version]", "value").unwrap_or_default();
    let version = version.map_or(shown, |v| v.to_string());
    let mut all: Vec<(&str, String)> = vec![("csrf_token", token), ("version", version)];
    all.extend(fields.iter().map(|(n, v)| (*n, (*v).to_owned())));
    post(app, browser, &format!("{path}/{action}"), &all).await
}

async fn version_of(app: &TestApp, id: i64) -> i32 {
    app.db
        .read(move |conn| {
            Ok(joint_actions::table
                .find(id)
                .select(joint_actions::version)
                .first(conn)?)
        })
        .await
        .unwrap()
}

/// (template, recipient, locale, complaint id) of every outbox row of a joint action.
async fn joint_emails(app: &TestApp) -> Vec<(String, String, String, Option<String>)> {
    app.db
        .read(|conn| {
            Ok(outbox::table
                .filter(outbox::template.like("joint%"))
                .order(outbox::id)
                .select((
                    outbox::template,
                    outbox::recipient,
                    outbox::locale,
                    outbox::complaint_id,
                ))
                .load(conn)?)
        })
        .await
        .unwrap()
}

async fn action_count(app: &TestApp) -> i64 {
    app.db
        .read(|conn| Ok(joint_actions::table.count().get_result(conn)?))
        .await
        .unwrap()
}

async fn users(app: &TestApp) -> [reqwest::Client; 4] {
    app.create_user("office", "coordinator", "quality-office")
        .await;
    app.create_user("clerk-market", "clerk", "market-regulation")
        .await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    app.create_user("clerk-agri", "clerk", "agriculture").await;
    [
        app.login("office", STAFF_PASSWORD).await,
        app.login("clerk-market", STAFF_PASSWORD).await,
        app.login("clerk-food", STAFF_PASSWORD).await,
        app.login("clerk-agri", STAFF_PASSWORD).await,
    ]
}

#[tokio::test]
async fn a_joint_action_from_opening_to_conclusion_with_every_refusal() {
    let app = spawn_app().await;
    let [office, market, food, agri] = users(&app).await;
    let first = file(&app, "zhang.san@example.com", "13800138000", "zh-CN").await;
    let second = file(&app, "li.si@example.com", "13900139000", "en").await;
    let third = file(&app, "wang.wu@example.com", "13700137000", "zh-TW").await;

    // Only the office opens one.
    assert_eq!(
        open(&app, &market, &opening(&[&first]))
            .await
            .status()
            .as_u16(),
        403
    );
    assert!(select_attr(
        &page(&app, &market, "/admin/joint-actions").await.1,
        "#joint-action-open",
        "action"
    )
    .is_none());
    let response = open(&app, &office, &opening(&[&first, &second])).await;
    let id = opened_id(&response);
    let path = format!("/admin/joint-actions/{id}");

    // One email to each member's inbox, none to a resident yet.
    assert_eq!(
        joint_emails(&app).await,
        [
            (
                "joint_opened".into(),
                "market-regulation@green-channel.invalid".into(),
                "zh-Hans".into(),
                None
            ),
            (
                "joint_opened".into(),
                "food-drug@green-channel.invalid".into(),
                "zh-Hans".into(),
                None
            ),
        ]
    );

    // Who sees what: the office and members the page, anyone else 404 everywhere.
    let (status, html) = page(&app, &office, &path).await;
    assert_eq!(status, 200);
    assert_eq!(select_attr(&html, "#state", "data-state").unwrap(), "open");
    assert_eq!(select_text(&html, "#joint-tasks li").len(), 2);
    assert_eq!(select_text(&html, "#joint-cases li").len(), 2);
    assert!(!html.contains("style="), "the CSP forbids inline styles");
    let (status, html) = page(&app, &food, &path).await;
    assert_eq!(status, 200);
    assert!(select_attr(&html, "#joint-report", "action").is_some());
    assert!(select_attr(&html, "#joint-conclude", "action").is_none());
    assert_eq!(page(&app, &agri, &path).await.0, 404);
    assert_eq!(
        page(&app, &agri, "/admin/joint-actions/999999").await.0,
        404
    );
    assert_eq!(page(&app, &office, "/admin/joint-actions/abc").await.0, 404);
    let listed = |html: &str| select_text(html, "#joint-actions tbody tr").len();
    assert_eq!(
        listed(&page(&app, &food, "/admin/joint-actions").await.1),
        1
    );
    assert_eq!(
        listed(&page(&app, &agri, "/admin/joint-actions").await.1),
        0
    );
    // A non-member's posts are 404 whatever they ask; a member's office steps 403.
    let token = app.admin_csrf(&agri, "/admin/joint-actions").await;
    for action in ["report", "link", "conclude", "cancel"] {
        let response = post(
            &app,
            &agri,
            &format!("{path}/{action}"),
            &[("csrf_token", token.clone()), ("version", "1".into())],
        )
        .await;
        assert_eq!(response.status().as_u16(), 404, "{action}");
    }
    for action in ["link", "conclude", "cancel"] {
        let response = act(&app, &food, id, action, None, &[("reason", "x")]).await;
        assert_eq!(response.status().as_u16(), 403, "{action}");
    }
    assert_eq!(
        act(&app, &office, id, "bogus", None, &[])
            .await
            .status()
            .as_u16(),
        404
    );

    // The linked cases show the action on their admin pages.
    let case_page = page(&app, &food, &format!("/admin/complaints/{first}"))
        .await
        .1;
    assert_eq!(
        select_attr(&case_page, "[data-joint-action] a", "href").unwrap(),
        path
    );
    assert_eq!(
        select_attr(&case_page, "li[data-joint-action]", "data-joint-action").unwrap(),
        id.to_string()
    );
    let unlinked = page(&app, &office, &format!("/admin/complaints/{third}"))
        .await
        .1;
    assert!(select_text(&unlinked, "[data-joint-action]").is_empty());

    // A member reports its part; a stale version, a second report, a malformed one refused.
    let response = act(
        &app,
        &food,
        id,
        "report",
        Some(0),
        &[("report", "抽检 3 批次")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 409);
    let response = act(&app, &food, id, "report", None, &[("report", "")]).await;
    assert_eq!(response.status().as_u16(), 422);
    let response = act(&app, &food, id, "report", None, &[("version", "x")]).await;
    assert_ne!(response.status().as_u16(), 500);
    let response = act(
        &app,
        &food,
        id,
        "report",
        None,
        &[
            ("report", "抽检 3 批次，2 批次不合格"),
            ("department", "market-regulation"),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 403, "only its own part");
    let response = act(
        &app,
        &food,
        id,
        "report",
        None,
        &[("report", "抽检 3 批次，2 批次不合格")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    // (The form is gone from the page; a form kept open elsewhere still posts.)
    let version = version_of(&app, id).await;
    let response = act(
        &app,
        &food,
        id,
        "report",
        Some(version),
        &[("report", "again")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 409, "reported already");
    let html = page(&app, &office, &path).await.1;
    assert_eq!(
        select_attr(&html, "li[data-task='food-drug']", "data-task-state").unwrap(),
        "reported"
    );

    // The office links a case; unknown or malformed ids are refused.
    let unknown = uuid::Uuid::new_v4().to_string();
    for (typed, status) in [
        (unknown.as_str(), 422),
        ("not-a-case", 422),
        ("", 422),
        (first.as_str(), 422),
    ] {
        let response = act(&app, &office, id, "link", None, &[("cases", typed)]).await;
        assert_eq!(response.status().as_u16(), status, "{typed:?}");
    }
    let link = format!("{}/admin/complaints/{third}", app.config.base_url);
    let response = act(&app, &office, id, "link", None, &[("cases", &link)]).await;
    assert_eq!(response.status().as_u16(), 303);

    // Concluding: refused when malformed or stale, then done once and for all.
    let version = version_of(&app, id).await;
    for fields in [
        vec![("outcome", "rectified"), ("summary", "")],
        vec![("outcome", "won"), ("summary", "已整改")],
        vec![("summary", "已整改")],
    ] {
        let response = act(&app, &office, id, "conclude", None, &fields).await;
        assert_eq!(response.status().as_u16(), 422, "{fields:?}");
    }
    let conclude = [
        ("outcome", "rectified"),
        ("summary", "责令整改，过期奶粉已全部下架。"),
    ];
    let response = act(&app, &office, id, "conclude", Some(version - 1), &conclude).await;
    assert_eq!(response.status().as_u16(), 409, "stale");
    assert_eq!(version_of(&app, id).await, version, "nothing changed");
    let response = act(&app, &office, id, "conclude", Some(version), &conclude).await;
    assert_eq!(response.status().as_u16(), 303);
    let response = act(&app, &office, id, "conclude", Some(version + 1), &conclude).await;
    assert_eq!(response.status().as_u16(), 409, "a second conclude");
    for action in ["cancel", "link", "report"] {
        let response = act(
            &app,
            &office,
            id,
            action,
            Some(version + 1),
            &[("reason", "x"), ("report", "x"), ("cases", &first)],
        )
        .await;
        assert_eq!(response.status().as_u16(), 409, "{action} after the end");
    }
    let html = page(&app, &food, &path).await.1;
    assert_eq!(
        select_attr(&html, "#state", "data-state").unwrap(),
        "concluded"
    );
    assert_eq!(
        select_attr(
            &html,
            "li[data-task='market-regulation']",
            "data-task-state"
        )
        .unwrap(),
        "superseded"
    );

    // On conclusion: each member's inbox once more, and each linked case's resident in
    // their own language, quoting nothing they typed.
    let emails = joint_emails(&app).await;
    let concluded: Vec<_> = emails.iter().filter(|e| e.0 == "joint_concluded").collect();
    assert_eq!(concluded.len(), 2);
    let mut residents: Vec<(String, String, Option<String>)> = emails
        .iter()
        .filter(|e| e.0 == "joint_concluded_case")
        .map(|e| (e.1.clone(), e.2.clone(), e.3.clone()))
        .collect();
    residents.sort();
    assert_eq!(
        residents,
        [
            (
                "li.si@example.com".into(),
                "en".into(),
                Some(second.clone())
            ),
            (
                "wang.wu@example.com".into(),
                "zh-Hant".into(),
                Some(third.clone())
            ),
            (
                "zhang.san@example.com".into(),
                "zh-Hans".into(),
                Some(first.clone())
            ),
        ]
    );
    let bodies: Vec<String> = app
        .db
        .read(|conn| {
            Ok(outbox::table
                .filter(outbox::template.like("joint%"))
                .select(outbox::text_body)
                .load(conn)?)
        })
        .await
        .unwrap();
    for body in &bodies {
        assert!(!body.contains("买到的奶粉已经过期三个月"), "{body}");
        assert!(!body.contains("张三"), "{body}");
        assert!(!body.contains("138"), "{body}");
    }
    let kinds: Vec<String> = app
        .db
        .read(move |conn| {
            Ok(joint_action_events::table
                .filter(joint_action_events::action_id.eq(id))
                .order(joint_action_events::id)
                .select(joint_action_events::kind)
                .load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(kinds, ["opened", "reported", "linked", "concluded"]);
}

#[tokio::test]
async fn the_opening_form_refuses_malformed_input_and_stores_nothing() {
    let app = spawn_app().await;
    let [office, ..] = users(&app).await;
    let case = file(&app, "zhang.san@example.com", "13800138000", "zh-CN").await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let set = |name: &'static str, value: &str| {
        let mut fields = opening(&[&case]);
        fields.retain(|(n, _)| *n != name);
        fields.push((name, value.to_owned()));
        fields
    };
    let without = |name: &str| {
        let mut fields = opening(&[&case]);
        fields.retain(|(n, _)| *n != name);
        fields
    };
    type Case<'a> = (&'a str, Vec<(&'static str, String)>, &'a str);
    let cases: Vec<Case> = vec![
        ("missing title", without("title"), "#error-title"),
        ("blank title", set("title", "  "), "#error-title"),
        (
            "title with a line break",
            set("title", "a\nb"),
            "#error-title",
        ),
        (
            "title too long",
            set("title", &"长".repeat(201)),
            "#error-title",
        ),
        ("missing lead", without("lead"), "#error-lead"),
        (
            "unknown lead",
            set("lead", "ministry-of-magic"),
            "#error-lead",
        ),
        (
            "lead not a member",
            set("lead", "agriculture"),
            "#error-lead",
        ),
        ("no members", without("members"), "#error-members"),
        (
            "unknown member",
            {
                let mut f = opening(&[&case]);
                f.push(("members", "ghost".into()));
                f
            },
            "#error-members",
        ),
        (
            "due days zero",
            set("due_days_food-drug", "0"),
            "#error-due_days_food-drug",
        ),
        (
            "due days negative",
            set("due_days_food-drug", "-1"),
            "#error-due_days_food-drug",
        ),
        (
            "due days a word",
            set("due_days_food-drug", "ten"),
            "#error-due_days_food-drug",
        ),
        (
            "due days fraction",
            set("due_days_food-drug", "2.5"),
            "#error-due_days_food-drug",
        ),
        (
            "due days missing",
            without("due_days_food-drug"),
            "#error-due_days_food-drug",
        ),
        (
            "due days huge",
            set("due_days_food-drug", "99999999999"),
            "#error-due_days_food-drug",
        ),
        (
            "task missing",
            without("task_food-drug"),
            "#error-task_food-drug",
        ),
        (
            "task too long",
            set("task_food-drug", &"查".repeat(1001)),
            "#error-task_food-drug",
        ),
        ("unknown case", set("cases", &unknown), "#error-cases"),
        (
            "malformed case",
            set("cases", "12; DROP TABLE complaints"),
            "#error-cases",
        ),
    ];
    for (what, fields, error) in cases {
        let response = open(&app, &office, &fields).await;
        assert_eq!(response.status().as_u16(), 422, "{what}");
        let html = response.text().await.unwrap();
        assert!(!select_text(&html, error).is_empty(), "{what}: {error}");
        // Everything typed is kept.
        assert!(select_attr(&html, "#joint-action-open", "action").is_some());
        assert_eq!(action_count(&app).await, 0, "{what}: nothing stored");
    }
    // Without the form's token: refused before anything is read.
    let response = post(&app, &office, "/admin/joint-actions", &opening(&[&case])).await;
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(action_count(&app).await, 0);
    // The valid form works, with the typed values intact.
    assert_eq!(
        open(&app, &office, &opening(&[&case]))
            .await
            .status()
            .as_u16(),
        303
    );
}

#[tokio::test]
async fn opening_from_a_hotspot_or_a_business_page_preselects_its_cases() {
    let app = spawn_app().await;
    let [office, market, ..] = users(&app).await;
    let mut ids = Vec::new();
    for (email, phone) in [
        ("a@example.com", "13800000001"),
        ("b@example.com", "13800000002"),
        ("c@example.com", "13800000003"),
    ] {
        ids.push(file(&app, email, phone, "zh-CN").await);
    }
    let hotspots = page(&app, &office, "/admin/hotspots").await.1;
    let href = select_attr(&hotspots, "[data-open-joint-action]", "href").unwrap();
    assert!(href.starts_with("/admin/joint-actions?business="), "{href}");
    let clerk_view = page(&app, &market, "/admin/hotspots").await.1;
    assert!(select_attr(&clerk_view, "[data-open-joint-action]", "href").is_none());

    let form = page(&app, &office, &href).await.1;
    let mut offered = select_text(&form, "#joint-cases label[data-case]");
    offered.sort();
    assert_eq!(offered.len(), 3);
    let checked: Vec<String> = ids
        .iter()
        .filter(|id| {
            select_attr(
                &form,
                &format!("input[name=cases][value='{id}']"),
                "checked",
            )
            .is_some()
        })
        .cloned()
        .collect();
    assert_eq!(checked.len(), 3, "every case of the business ticked");

    // The business page's button carries its cases.
    let business = href.rsplit('=').next().unwrap();
    let html = page(&app, &office, &format!("/admin/businesses/{business}"))
        .await
        .1;
    assert_eq!(
        select_attr(&html, "#open-joint-action", "action").unwrap(),
        "/admin/joint-actions"
    );
    assert_eq!(
        select_text(&html, "#open-joint-action input[name=cases]").len(),
        3
    );
    // One of them picked: only that one ticked.
    let form = page(
        &app,
        &office,
        &format!("/admin/joint-actions?business={business}&cases={}", ids[1]),
    )
    .await
    .1;
    assert!(select_attr(
        &form,
        &format!("input[name=cases][value='{}']", ids[1]),
        "checked"
    )
    .is_some());
    assert!(select_attr(
        &form,
        &format!("input[name=cases][value='{}']", ids[0]),
        "checked"
    )
    .is_none());
}

/// The member task's due date.
async fn due_on(app: &TestApp, id: i64, department: &'static str) -> NaiveDate {
    app.db
        .read(move |conn| {
            Ok(joint_action_members::table
                .filter(joint_action_members::action_id.eq(id))
                .filter(joint_action_members::department_code.eq(department))
                .select(joint_action_members::due_on)
                .first(conn)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_sweeper_reminds_marks_overdue_and_escalates_a_member_task_once() {
    let app = spawn_app().await;
    let [office, ..] = users(&app).await;
    let fields: Vec<(&'static str, String)> = vec![
        ("title", "电梯安全联合检查".into()),
        ("lead", "food-drug".into()),
        ("members", "food-drug".into()),
        ("task_food-drug", "检查电梯维保记录".into()),
        ("due_days_food-drug", "10".into()),
    ];
    let id = opened_id(&open(&app, &office, &fields).await);
    let due = due_on(&app, id, "food-drug").await;
    let reference = app
        .db
        .read(green_channel::db::reference::ReferenceData::load)
        .await
        .unwrap();
    assert_eq!(due, reference.calendar.add_working_days(city_today(), 10));

    assert_eq!(
        sweep_at(&app, due),
        counts(1, 0, 0, 0),
        "reminded on the day"
    );
    assert_eq!(sweep_at(&app, due), counts(0, 0, 0, 0), "once");
    let after = due.checked_add_days(Days::new(1)).unwrap();
    assert_eq!(
        sweep_at(&app, after),
        counts(0, 1, 0, 0),
        "overdue the day after"
    );
    let later = due.checked_add_days(Days::new(30)).unwrap();
    assert_eq!(
        sweep_at(&app, later),
        counts(0, 0, 1, 0),
        "escalated to the office"
    );
    assert_eq!(sweep_at(&app, later), counts(0, 0, 0, 0));

    let emails: Vec<(String, String)> = joint_emails(&app)
        .await
        .into_iter()
        .map(|e| (e.0, e.1))
        .collect();
    assert_eq!(
        emails[1..],
        [
            (
                "joint_task_reminder".into(),
                "food-drug@green-channel.invalid".into()
            ),
            (
                "joint_task_overdue".into(),
                "food-drug@green-channel.invalid".into()
            ),
            (
                "joint_task_escalated".into(),
                "quality-office@green-channel.invalid".into()
            ),
        ]
    );
    let html = page(&app, &office, &format!("/admin/joint-actions/{id}"))
        .await
        .1;
    assert_eq!(select_text(&html, "#joint-timeline li").len(), 4);
}

#[tokio::test]
async fn joint_tasks_count_in_the_bulletin_and_a_recount_equals_the_kept_tallies() {
    let app = spawn_app().await;
    let [office, _, food, _] = users(&app).await;
    let admin = app.login("admin", crate::helpers::ADMIN_PASSWORD).await;
    let id = opened_id(&open(&app, &office, &opening(&[])).await);
    // Food and drugs reports in time; market regulation's task fell due long ago (moved
    // back in the database: the test cannot wait for the calendar).
    let response = act(&app, &food, id, "report", None, &[("report", "抽检完成")]).await;
    assert_eq!(response.status().as_u16(), 303);
    let past = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    app.db
        .write(move |conn| {
            diesel::update(
                joint_action_members::table
                    .filter(joint_action_members::action_id.eq(id))
                    .filter(joint_action_members::department_code.eq("market-regulation")),
            )
            .set((
                joint_action_members::started_on.eq(past - Days::new(7)),
                joint_action_members::due_on.eq(past),
            ))
            .execute(conn)
            .map_err(green_channel::db::DbError::from)
        })
        .await
        .unwrap();
    let report = |to: NaiveDate| {
        format!("/admin/reports?from=2026-11-01&to={to}&group=department&format=csv")
    };
    let to = due_on(&app, id, "food-drug").await.max(city_today());
    let column = |header: &[String]| {
        header
            .iter()
            .position(|h| h == "joint_tasks_on_time_pct")
            .expect("the column")
    };
    let (header, rows) = csv_of(&app, &admin, &report(to)).await;
    let at = column(&header);
    let cell =
        |rows: &[Vec<String>], code: &str| rows.iter().find(|r| r[0] == code).unwrap()[at].clone();
    assert_eq!(cell(&rows, "food-drug"), "100.0");
    assert_eq!(cell(&rows, "market-regulation"), "0.0", "owed and past due");
    assert_eq!(cell(&rows, "agriculture"), "", "n/a, not 0 % or 100 %");

    // Cancelled with the task still owed: it fell due unreported, for good.
    let response = act(
        &app,
        &office,
        id,
        "cancel",
        None,
        &[("reason", "并入省局专项行动")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, rows) = csv_of(&app, &admin, &report(to)).await;
    assert_eq!(cell(&rows, "market-regulation"), "0.0");
    assert_eq!(cell(&rows, "food-drug"), "100.0");
    // The scores are those of the cases alone: none here.
    let score = header.iter().position(|h| h == "score").unwrap();
    assert!(rows.iter().all(|r| r[score].is_empty()));

    let kept = stored_tallies(&app).await;
    assert!(kept.iter().any(|t| t.4 == "joint_task_due"));
    assert_eq!(kept, recounted_tallies(&app).await);
    // The page shows the column too.
    let html = page(&app, &admin, &report(to).replace("&format=csv", ""))
        .await
        .1;
    assert!(html.contains("联合执法任务按期率"));
}
