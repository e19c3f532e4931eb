//! The management pages and `load-jurisdiction`: admins only, every change audited, bad input
//! a 422 that writes nothing, each change felt where it matters. Other admin pages: elsewhere.

use std::path::Path;
use std::process::Command;

use chrono::{Datelike as _, NaiveDate};
use diesel::prelude::*;
use green_channel::db::manage::{self, AuditEventRow};
use green_channel::db::reference::ReferenceData;
use green_channel::db::schema::{audit_events, complaint_departments, sessions, users};
use green_channel::db::{Database, DbError};
use reqwest::Response;
use scraper::{Html, Selector};

use crate::helpers::ADMIN_PASSWORD;
use crate::helpers::{
    city_today, select_attr, select_text, spawn_app, start, stored_complaint, test_config,
    valid_complaint, with, TestApp, STAFF_PASSWORD,
};

/// A signed-in staff member's browser and the session's CSRF token.
struct Browser {
    client: reqwest::Client,
    csrf: String,
}

impl Browser {
    async fn admin(app: &TestApp) -> Browser {
        Browser::of(app, "admin", ADMIN_PASSWORD).await
    }

    async fn of(app: &TestApp, username: &str, password: &str) -> Browser {
        let client = app.login(username, password).await;
        // Every member may see their password page, and it carries the session's token.
        let csrf = app.admin_csrf(&client, "/admin/password").await;
        Browser { client, csrf }
    }

    async fn get(&self, app: &TestApp, path: &str) -> (u16, String) {
        let response = self.client.get(app.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    async fn post(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all = fields.to_vec();
        all.push(("csrf_token", self.csrf.as_str()));
        self.post_raw(app, path, &all).await
    }

    async fn post_raw(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap())
            .send()
            .await
            .unwrap()
    }

    /// Posts and expects the change to be accepted: `303` back to the list page.
    async fn change(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> String {
        let response = self.post(app, path, fields).await;
        let status = response.status().as_u16();
        let location = location(&response);
        assert_eq!(status, 303, "{path}: {}", response.text().await.unwrap());
        location
    }
}

fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Everything the management pages may write, as text: equal before and after means
/// nothing was written.
async fn stored_state(app: &TestApp) -> String {
    app.db
        .read(|conn| {
            let reference = ReferenceData::load(conn)?;
            let audits: i64 = audit_events::table.count().get_result(conn)?;
            let session_count: i64 = sessions::table.count().get_result(conn)?;
            Ok(format!(
                "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{audits} {session_count}",
                reference.districts,
                manage::all_departments(conn)?,
                reference.categories,
                manage::all_rules(conn)?,
                manage::holidays_between(conn, NaiveDate::MIN, NaiveDate::MAX)?,
                manage::calendar_years(conn)?,
                manage::all_users(conn)?,
            ))
        })
        .await
        .unwrap()
}

async fn audit_trail(app: &TestApp) -> Vec<AuditEventRow> {
    app.db
        .read(|conn| {
            Ok(audit_events::table
                .order(audit_events::id)
                .select(AuditEventRow::as_select())
                .load(conn)?)
        })
        .await
        .unwrap()
}

/// The audited (entity, key, action) triples, oldest first.
async fn audited(app: &TestApp) -> Vec<(String, String, String)> {
    audit_trail(app)
        .await
        .into_iter()
        .map(|a| (a.entity, a.entity_key, a.action))
        .collect()
}

fn triple(entity: &str, key: &str, action: &str) -> (String, String, String) {
    (entity.into(), key.into(), action.into())
}

async fn user_id(app: &TestApp, username: &str) -> String {
    let username = username.to_owned();
    app.db
        .read(move |conn| {
            Ok(users::table
                .filter(users::username.eq(username))
                .select(users::id)
                .first(conn)?)
        })
        .await
        .unwrap()
}

async fn sessions_of(app: &TestApp, username: &str) -> i64 {
    let id = user_id(app, username).await;
    app.db
        .read(move |conn| {
            Ok(sessions::table
                .filter(sessions::user_id.eq(id))
                .count()
                .get_result(conn)?)
        })
        .await
        .unwrap()
}

async fn reference(app: &TestApp) -> ReferenceData {
    app.db.read(ReferenceData::load).await.unwrap()
}

/// What a public form offers in a select list.
async fn public_options(app: &TestApp, select: &str) -> Vec<String> {
    let html = app.get_html("/complaints/new").await;
    let document = Html::parse_document(&html);
    let selector = Selector::parse(&format!("select[name={select}] option")).unwrap();
    document
        .select(&selector)
        .filter_map(|o| o.value().attr("value").map(str::to_owned))
        .filter(|v| !v.is_empty())
        .collect()
}

async fn co_handlers_of(app: &TestApp, complaint_id: &str) -> Vec<String> {
    let id = complaint_id.to_owned();
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

const PAGES: [&str; 13] = [
    "/admin/manage",
    "/admin/departments",
    "/admin/departments/food-drug",
    "/admin/districts",
    "/admin/districts/361102",
    "/admin/categories",
    "/admin/categories/food",
    "/admin/routing",
    "/admin/routing?category=food&district=361102",
    "/admin/routing/1",
    "/admin/holidays",
    "/admin/users",
    "/admin/users/admin",
];

/// One valid change per POST endpoint, in an order that lets each apply (the clerk
/// `food-clerk` of `food-drug` must exist).
fn valid_posts() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        (
            "/admin/districts",
            vec![
                ("code", "361199"),
                ("name_zh_hans", "新区"),
                ("name_zh_hant", "新區"),
                ("name_en", "New District"),
            ],
        ),
        (
            "/admin/districts/361102",
            vec![
                ("name_zh_hans", "信州区"),
                ("name_zh_hant", "信州區"),
                ("name_en", "Xinzhou"),
                ("active", "on"),
            ],
        ),
        (
            "/admin/departments",
            vec![
                ("code", "weights-measures"),
                ("name_zh_hans", "计量所"),
                ("name_zh_hant", "計量所"),
                ("name_en", "Weights and Measures"),
                ("inbox_email", "weights@example.org"),
                ("district", ""),
            ],
        ),
        (
            "/admin/departments/food-drug",
            vec![
                ("name_zh_hans", "食品药品监督管理局"),
                ("name_zh_hant", "食品藥品監督管理局"),
                ("name_en", "Food and Drug Administration"),
                ("inbox_email", "food-drug@example.org"),
                ("district", ""),
                ("active", "on"),
            ],
        ),
        (
            "/admin/categories",
            vec![
                ("code", "toys"),
                ("name_zh_hans", "玩具"),
                ("name_zh_hant", "玩具"),
                ("name_en", "Toys"),
                ("complaint_accept_days", "7"),
                ("complaint_finish_days", "45"),
                ("report_accept_days", "15"),
                ("report_notify_days", "5"),
                ("assist_days", "5"),
                ("legal_basis", "SAMR Order 20"),
            ],
        ),
        (
            "/admin/categories/food",
            vec![
                ("name_zh_hans", "食品"),
                ("name_zh_hant", "食品"),
                ("name_en", "Food"),
                ("complaint_accept_days", "5"),
                ("complaint_finish_days", "45"),
                ("report_accept_days", "15"),
                ("report_notify_days", "5"),
                ("assist_days", "5"),
                ("legal_basis", "A local rule"),
                ("active", "on"),
            ],
        ),
        (
            "/admin/routing",
            vec![
                ("category", "other"),
                ("district", "361102"),
                ("lead", "market-regulation"),
            ],
        ),
        (
            "/admin/routing/1",
            vec![("lead", "quality-supervision"), ("active", "on")],
        ),
        (
            "/admin/holidays",
            vec![("from", "2027-01-01"), ("kind", "rest")],
        ),
        ("/admin/holidays/2026-10-01/delete", vec![]),
        (
            "/admin/holidays/years",
            vec![("year", "2027"), ("loaded", "on")],
        ),
        (
            "/admin/users",
            vec![
                ("username", "new-clerk"),
                ("role", "clerk"),
                ("department", "food-drug"),
                ("email", ""),
                ("password", "a-long-enough-password"),
            ],
        ),
        (
            "/admin/users/food-clerk",
            vec![
                ("role", "supervisor"),
                ("department", "food-drug"),
                ("email", ""),
            ],
        ),
        (
            "/admin/users/food-clerk/password",
            vec![("password", "another-long-password")],
        ),
        ("/admin/users/food-clerk/deactivate", vec![]),
        ("/admin/users/food-clerk/activate", vec![]),
        ("/admin/departments/market-regulation/office", vec![]),
    ]
}

#[tokio::test]
async fn only_administrators_see_and_use_the_management_pages() {
    let app = spawn_app().await;
    app.create_user("office-coordinator", "coordinator", "quality-office")
        .await;
    app.create_user("food-clerk", "clerk", "food-drug").await;
    let admin = Browser::admin(&app).await;
    let others = [
        Browser::of(&app, "office-coordinator", STAFF_PASSWORD).await,
        Browser::of(&app, "food-clerk", STAFF_PASSWORD).await,
    ];
    for page in PAGES {
        let (status, html) = admin.get(&app, page).await;
        assert_eq!(status, 200, "{page}: {html}");
        for other in &others {
            assert_eq!(other.get(&app, page).await.0, 403, "{page}");
        }
        let signed_out = app.get(page).await;
        assert_eq!(signed_out.status().as_u16(), 303, "{page}");
        assert_eq!(location(&signed_out), "/admin/login", "{page}");
    }
    // The frame links the landing page for administrators only.
    let (_, queue) = admin.get(&app, "/admin/password").await;
    assert!(queue.contains("href=\"/admin/manage\""));
    let (_, queue) = others[1].get(&app, "/admin/password").await;
    assert!(!queue.contains("href=\"/admin/manage\""));

    let before = stored_state(&app).await;
    for (path, fields) in valid_posts() {
        for other in &others {
            let response = other.post(&app, path, &fields).await;
            assert_eq!(response.status().as_u16(), 403, "{path}");
        }
        let fields: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let signed_out = app.post_form(path, &fields).await;
        assert_eq!(signed_out.status().as_u16(), 303, "{path}");
        assert_eq!(location(&signed_out), "/admin/login");
    }
    assert_eq!(stored_state(&app).await, before, "nothing was written");
}

#[tokio::test]
async fn without_the_session_token_every_change_is_refused_and_with_it_each_is_audited() {
    let app = spawn_app().await;
    app.create_user("food-clerk", "clerk", "food-drug").await;
    let admin = Browser::admin(&app).await;
    for (path, fields) in valid_posts() {
        let before = stored_state(&app).await;
        let missing = admin.post_raw(&app, path, &fields).await;
        assert_eq!(missing.status().as_u16(), 403, "{path} without a token");
        let mut forged = fields.clone();
        forged.push(("csrf_token", "forged"));
        let forged = admin.post_raw(&app, path, &forged).await;
        assert_eq!(forged.status().as_u16(), 403, "{path} with a forged token");
        assert_eq!(
            stored_state(&app).await,
            before,
            "{path}: nothing was written"
        );

        let audits_before = audit_trail(&app).await.len();
        let location = admin.change(&app, path, &fields).await;
        let list = path.split('/').take(3).collect::<Vec<_>>().join("/");
        assert!(location.starts_with(&list), "{path} → {location}");
        let trail = audit_trail(&app).await;
        assert!(trail.len() > audits_before, "{path} left no audit event");
        let admin_id = user_id(&app, "admin").await;
        for event in &trail[audits_before..] {
            assert_eq!(event.user_id.as_deref(), Some(admin_id.as_str()), "{path}");
            for (name, value) in &fields {
                if *name == "password" {
                    assert!(!event.detail.contains(value), "{path}: {}", event.detail);
                }
            }
        }
    }
    assert!(audited(&app).await.contains(&triple(
        "department",
        "market-regulation",
        "make_office"
    )));
}

#[tokio::test]
async fn districts_come_and_go_on_the_public_form() {
    let app = spawn_app().await;
    let admin = Browser::admin(&app).await;
    let location = admin
        .change(&app, "/admin/districts", &valid_posts()[0].1)
        .await;
    assert_eq!(location, "/admin/districts?saved=361199");
    let (_, list) = admin.get(&app, &location).await;
    assert!(select_attr(&list, "tr[data-key='361199']", "data-active").is_some());
    assert!(public_options(&app, "district")
        .await
        .contains(&"361199".to_owned()));

    let deactivate = [
        ("name_zh_hans", "信州区"),
        ("name_zh_hant", "信州區"),
        ("name_en", "Xinzhou District"),
    ];
    admin
        .change(&app, "/admin/districts/361102", &deactivate)
        .await;
    assert!(!public_options(&app, "district")
        .await
        .contains(&"361102".to_owned()));
    let refused = app.file_complaint(valid_complaint()).await;
    assert_eq!(
        refused.status().as_u16(),
        422,
        "an inactive district takes no complaints"
    );

    let mut reactivate = deactivate.to_vec();
    reactivate.push(("active", "on"));
    admin
        .change(&app, "/admin/districts/361102", &reactivate)
        .await;
    assert!(public_options(&app, "district")
        .await
        .contains(&"361102".to_owned()));
    app.file_valid(valid_complaint()).await;

    let trail = audited(&app).await;
    assert_eq!(
        trail,
        vec![
            triple("district", "361199", "create"),
            triple("district", "361102", "deactivate"),
            triple("district", "361102", "activate"),
        ]
    );
    let details = audit_trail(&app).await;
    assert!(
        details[1].detail.contains("active: true → false"),
        "{}",
        details[1].detail
    );
}

/// (path, fields, form id, field whose message must show)
type Malformed = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
    &'static str,
);

fn district(code: &'static str, en: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("code", code),
        ("name_zh_hans", "新区"),
        ("name_zh_hant", "新區"),
        ("name_en", en),
    ]
}

fn department(code: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("code", code),
        ("name_zh_hans", "计量所"),
        ("name_zh_hant", "計量所"),
        ("name_en", "Weights and Measures"),
        ("inbox_email", "weights@example.org"),
        ("district", "361102"),
    ]
}

fn category(days: (&'static str, &'static str)) -> Vec<(&'static str, &'static str)> {
    let mut fields = vec![
        ("code", "toys"),
        ("name_zh_hans", "玩具"),
        ("name_zh_hant", "玩具"),
        ("name_en", "Toys"),
        ("complaint_accept_days", "7"),
        ("complaint_finish_days", "45"),
        ("report_accept_days", "15"),
        ("report_notify_days", "5"),
        ("assist_days", "5"),
        ("legal_basis", "SAMR Order 20"),
    ];
    fields.retain(|(k, _)| *k != days.0);
    fields.push(days);
    fields
}

fn replaced(
    mut fields: Vec<(&'static str, &'static str)>,
    name: &'static str,
    value: &'static str,
) -> Vec<(&'static str, &'static str)> {
    fields.retain(|(k, _)| *k != name);
    fields.push((name, value));
    fields
}

fn user(username: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("username", username),
        ("role", "clerk"),
        ("department", "food-drug"),
        ("email", "clerk@example.org"),
        ("password", "a-long-enough-password"),
    ]
}

fn office_edit(is_office: bool, active: bool) -> Vec<(&'static str, &'static str)> {
    let mut fields = vec![
        ("name_zh_hans", "质量兴市领导小组办公室"),
        ("name_zh_hant", "質量興市領導小組辦公室"),
        ("name_en", "Quality Development Leading Group Office"),
        ("inbox_email", "quality-office@green-channel.invalid"),
        ("district", ""),
    ];
    if is_office {
        fields.push(("is_office", "on"));
    }
    if active {
        fields.push(("active", "on"));
    }
    fields
}

/// Deactivates `agriculture` through its page (its "active" box left unticked), for the
/// rules, users and office moves that must not name an inactive department.
async fn deactivate_agriculture(admin: &Browser, app: &TestApp) {
    admin
        .change(
            app,
            "/admin/departments/agriculture",
            &[
                ("name_zh_hans", "农业局"),
                ("name_zh_hant", "農業局"),
                ("name_en", "Agriculture Bureau"),
                ("inbox_email", "agriculture@green-channel.invalid"),
                ("district", ""),
            ],
        )
        .await;
}

fn malformed_inputs() -> Vec<Malformed> {
    let rule = |category, district, lead, co: &'static str| {
        let mut fields = vec![
            ("category", category),
            ("district", district),
            ("lead", lead),
        ];
        if !co.is_empty() {
            fields.push(("co_handlers", co));
        }
        fields
    };
    let holiday = |from, to, kind| {
        vec![
            ("from", from),
            ("to", to),
            ("kind", kind),
            ("note", "typed note"),
        ]
    };
    let food_drug_as_office = vec![
        ("name_zh_hans", "食品药品监督管理局"),
        ("name_zh_hant", "食品藥品監督管理局"),
        ("name_en", "Food and Drug Administration"),
        ("inbox_email", "food-drug@green-channel.invalid"),
        ("district", ""),
        ("is_office", "on"),
        ("active", "on"),
    ];
    vec![
        // Districts.
        (
            "/admin/districts",
            replaced(district("361199", "New"), "name_zh_hans", ""),
            "create",
            "name_zh_hans",
        ),
        (
            "/admin/districts",
            district("36119", "Five digits"),
            "create",
            "code",
        ),
        (
            "/admin/districts",
            district("36119x", "A letter"),
            "create",
            "code",
        ),
        (
            "/admin/districts",
            district("361102", "Taken"),
            "create",
            "code",
        ),
        (
            "/admin/districts",
            district("361199", "Two\nlines"),
            "create",
            "name_en",
        ),
        (
            "/admin/districts/361102",
            vec![
                ("name_zh_hans", "信州区"),
                ("name_zh_hant", "信州區"),
                ("name_en", " "),
                ("active", "on"),
            ],
            "edit",
            "name_en",
        ),
        // Departments.
        (
            "/admin/departments",
            department("Weights Measures"),
            "create",
            "code",
        ),
        (
            "/admin/departments",
            department("food-drug"),
            "create",
            "code",
        ),
        (
            "/admin/departments",
            replaced(department("weights"), "inbox_email", "not-an-email"),
            "create",
            "inbox_email",
        ),
        (
            "/admin/departments",
            replaced(department("weights"), "district", "999999"),
            "create",
            "district",
        ),
        (
            "/admin/departments",
            replaced(department("weights"), "is_office", "on"),
            "create",
            "is_office",
        ),
        (
            "/admin/departments",
            replaced(department("weights"), "name_en", ""),
            "create",
            "name_en",
        ),
        (
            "/admin/departments/quality-office",
            office_edit(false, true),
            "edit",
            "is_office",
        ),
        (
            "/admin/departments/quality-office",
            office_edit(true, false),
            "edit",
            "active",
        ),
        (
            "/admin/departments/food-drug",
            food_drug_as_office,
            "edit",
            "is_office",
        ),
        // Categories.
        (
            "/admin/categories",
            category(("complaint_accept_days", "seven")),
            "create",
            "complaint_accept_days",
        ),
        (
            "/admin/categories",
            category(("report_accept_days", "-1")),
            "create",
            "report_accept_days",
        ),
        (
            "/admin/categories",
            category(("assist_days", "0")),
            "create",
            "assist_days",
        ),
        (
            "/admin/categories",
            category(("complaint_finish_days", "4.5")),
            "create",
            "complaint_finish_days",
        ),
        (
            "/admin/categories",
            category(("report_notify_days", "")),
            "create",
            "report_notify_days",
        ),
        (
            "/admin/categories",
            category(("legal_basis", "")),
            "create",
            "legal_basis",
        ),
        (
            "/admin/categories",
            replaced(category(("assist_days", "5")), "code", "food"),
            "create",
            "code",
        ),
        (
            "/admin/categories",
            replaced(category(("assist_days", "5")), "name_zh_hant", ""),
            "create",
            "name_zh_hant",
        ),
        // Routing rules.
        (
            "/admin/routing",
            rule("other", "361102", "no-such-department", ""),
            "create",
            "lead",
        ),
        (
            "/admin/routing",
            rule("other", "361102", "agriculture", ""),
            "create",
            "lead",
        ),
        (
            "/admin/routing",
            rule("other", "361102", "market-regulation", "no-such-department"),
            "create",
            "co_handlers",
        ),
        (
            "/admin/routing",
            rule("other", "361102", "market-regulation", "market-regulation"),
            "create",
            "co_handlers",
        ),
        (
            "/admin/routing",
            rule("other", "361102", "market-regulation", "agriculture"),
            "create",
            "co_handlers",
        ),
        (
            "/admin/routing",
            rule("food", "", "market-regulation", ""),
            "create",
            "district",
        ),
        (
            "/admin/routing",
            rule("no-such-category", "", "market-regulation", ""),
            "create",
            "category",
        ),
        (
            "/admin/routing",
            rule("other", "999999", "market-regulation", ""),
            "create",
            "district",
        ),
        (
            "/admin/routing",
            rule("other", "361102", "", ""),
            "create",
            "lead",
        ),
        (
            "/admin/routing/1",
            vec![("lead", "no-such-department"), ("active", "on")],
            "edit",
            "lead",
        ),
        (
            "/admin/routing/1",
            vec![("lead", "agriculture"), ("active", "on")],
            "edit",
            "lead",
        ),
        // Holidays.
        (
            "/admin/holidays",
            holiday("2027-02-30", "", "rest"),
            "add",
            "from",
        ),
        ("/admin/holidays", holiday("", "", "rest"), "add", "from"),
        (
            "/admin/holidays",
            holiday("2027-01-04", "", "work"),
            "add",
            "kind",
        ),
        (
            "/admin/holidays",
            holiday("2027-01-01", "2027-03-01", "rest"),
            "add",
            "to",
        ),
        (
            "/admin/holidays",
            holiday("2027-01-05", "2027-01-04", "rest"),
            "add",
            "to",
        ),
        (
            "/admin/holidays",
            holiday("2027-01-01", "", "party"),
            "add",
            "kind",
        ),
        (
            "/admin/holidays",
            holiday("1999-01-01", "", "rest"),
            "add",
            "from",
        ),
        // Users.
        ("/admin/users", user("bad name"), "create", "username"),
        ("/admin/users", user("admin"), "create", "username"),
        (
            "/admin/users",
            replaced(user("new-clerk"), "password", "short"),
            "create",
            "password",
        ),
        (
            "/admin/users",
            replaced(user("new-clerk"), "role", "boss"),
            "create",
            "role",
        ),
        (
            "/admin/users",
            replaced(user("new-clerk"), "department", "no-such-department"),
            "create",
            "department",
        ),
        (
            "/admin/users",
            replaced(user("new-clerk"), "department", "agriculture"),
            "create",
            "department",
        ),
        (
            "/admin/users",
            replaced(user("new-clerk"), "role", "coordinator"),
            "create",
            "department",
        ),
        (
            "/admin/users",
            replaced(user("new-clerk"), "email", "nobody@"),
            "create",
            "email",
        ),
        (
            "/admin/users/admin",
            vec![
                ("role", "clerk"),
                ("department", "quality-office"),
                ("email", ""),
            ],
            "profile",
            "role",
        ),
        (
            "/admin/users/admin/password",
            vec![("password", "too-short")],
            "reset-password",
            "password",
        ),
    ]
}

#[tokio::test]
async fn malformed_input_is_answered_beside_its_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let admin = Browser::admin(&app).await;
    // An inactive department, for the rules and users that must not name it.
    deactivate_agriculture(&admin, &app).await;
    let before = stored_state(&app).await;
    for (path, fields, form, field) in malformed_inputs() {
        let response = admin.post(&app, path, &fields).await;
        let status = response.status().as_u16();
        let html = response.text().await.unwrap();
        assert_eq!(status, 422, "{path} {fields:?}");
        let message = select_text(&html, &format!("#{form}-{field}-error"));
        assert!(
            message.first().is_some_and(|m| !m.is_empty()),
            "{path}: no message beside {field} in {form}: {fields:?}"
        );
        assert!(
            !select_text(&html, ".error-summary").is_empty(),
            "{path}: no summary"
        );
        // What was typed is kept (passwords excepted).
        for (name, value) in &fields {
            let selector = format!("#{form}-{name}");
            match select_attr(&html, &selector, "type").as_deref() {
                Some("text") | Some("email") | Some("date") => {
                    let shown = select_attr(&html, &selector, "value").unwrap_or_default();
                    assert_eq!(shown.trim(), value.trim(), "{path}: {name} not kept");
                }
                Some("password") => {
                    assert_eq!(
                        select_attr(&html, &selector, "value"),
                        None,
                        "{path}: a password echoed"
                    );
                }
                _ => {}
            }
        }
        assert_eq!(
            stored_state(&app).await,
            before,
            "{path} {fields:?} wrote something"
        );
    }
}

#[tokio::test]
async fn the_office_mark_moves_in_one_step_and_unrouted_complaints_follow_it() {
    let app = spawn_app().await;
    let admin = Browser::admin(&app).await;
    let (_, page) = admin
        .get(&app, "/admin/departments/market-regulation")
        .await;
    assert!(select_attr(&page, "form#make-office", "action").is_some());
    admin
        .change(&app, "/admin/departments/market-regulation/office", &[])
        .await;
    let reference = reference(&app).await;
    let offices: Vec<&str> = reference
        .departments
        .iter()
        .filter(|d| d.is_office)
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(offices, vec!["market-regulation"]);
    let code = app
        .file_valid(with(valid_complaint(), "category", "other"))
        .await;
    assert_eq!(
        stored_complaint(&app, &code).await.lead_department,
        "market-regulation"
    );
    assert_eq!(
        audited(&app).await[..2],
        [
            triple("department", "quality-office", "update"),
            triple("department", "market-regulation", "make_office"),
        ]
    );
    // Asking twice changes nothing; an inactive department cannot take the mark.
    deactivate_agriculture(&admin, &app).await;
    let before = stored_state(&app).await;
    admin
        .change(&app, "/admin/departments/market-regulation/office", &[])
        .await;
    let inactive = admin
        .post(&app, "/admin/departments/agriculture/office", &[])
        .await;
    assert_eq!(inactive.status().as_u16(), 422);
    let html = inactive.text().await.unwrap();
    assert!(!select_text(&html, "#edit-active-error").is_empty());
    let unknown = admin
        .post(&app, "/admin/departments/nobody/office", &[])
        .await;
    assert_eq!(unknown.status().as_u16(), 404);
    assert_eq!(stored_state(&app).await, before);
}

#[tokio::test]
async fn a_new_department_can_lead_a_rule_at_once() {
    let app = spawn_app().await;
    let admin = Browser::admin(&app).await;
    admin
        .change(&app, "/admin/departments", &valid_posts()[2].1)
        .await;
    let (_, list) = admin.get(&app, "/admin/departments").await;
    assert!(select_attr(&list, "tr[data-key='weights-measures']", "data-active").is_some());
    admin
        .change(
            &app,
            "/admin/routing",
            &[
                ("category", "metrology"),
                ("district", ""),
                ("lead", "weights-measures"),
            ],
        )
        .await;
    // The district rules of metrology still win in their districts; a new district has none.
    admin
        .change(&app, "/admin/districts", &valid_posts()[0].1)
        .await;
    let code = app
        .file_valid(with(
            with(valid_complaint(), "category", "metrology"),
            "district",
            "361199",
        ))
        .await;
    assert_eq!(
        stored_complaint(&app, &code).await.lead_department,
        "weights-measures"
    );
    let code = app
        .file_valid(with(valid_complaint(), "category", "metrology"))
        .await;
    assert_eq!(
        stored_complaint(&app, &code).await.lead_department,
        "quality-supervision-361102"
    );
}

/// The routing page's answer for (category, district): lead, rule id, its text, the page.
async fn preview(
    admin: &Browser,
    app: &TestApp,
    category: &str,
    district: &str,
) -> (String, String, String, String) {
    let (status, html) = admin
        .get(
            app,
            &format!("/admin/routing?category={category}&district={district}"),
        )
        .await;
    assert_eq!(status, 200);
    (
        select_attr(&html, "#preview", "data-lead").expect("a preview"),
        select_attr(&html, "#preview", "data-rule").unwrap_or_default(),
        select_text(&html, "#preview").join(" "),
        html,
    )
}

#[tokio::test]
async fn a_routing_rule_changes_where_complaints_go_and_the_preview_says_why() {
    let app = spawn_app().await;
    let admin = Browser::admin(&app).await;
    let (lead, rule, _, html) = preview(&admin, &app, "other", "361102").await;
    assert_eq!((lead.as_str(), rule.as_str()), ("quality-office", ""));
    assert!(
        select_attr(&html, "[data-pair='other/361102']", "class").is_some(),
        "a fall-through pair"
    );
    assert!(
        select_attr(&html, "[data-pair='food/361102']", "class").is_none(),
        "food is routed"
    );
    let code = app
        .file_valid(with(valid_complaint(), "category", "other"))
        .await;
    let filed = stored_complaint(&app, &code).await;
    assert_eq!(
        (filed.lead_department.as_str(), filed.routing_rule_id),
        ("quality-office", None)
    );

    let location = admin
        .change(
            &app,
            "/admin/routing",
            &[
                ("category", "other"),
                ("district", "361102"),
                ("lead", "market-regulation"),
                ("co_handlers", "public-security"),
                ("co_handlers", "quality-supervision"),
            ],
        )
        .await;
    let id: i64 = location.rsplit('=').next().unwrap().parse().unwrap();
    let (lead, rule, text, html) = preview(&admin, &app, "other", "361102").await;
    assert_eq!((lead.as_str(), rule), ("market-regulation", id.to_string()));
    assert!(
        text.contains(&format!("#{id}")),
        "the preview names the rule: {text}"
    );
    assert!(select_attr(&html, "[data-pair='other/361102']", "class").is_none());
    assert!(select_attr(&html, "[data-pair='other/361103']", "class").is_some());

    let code = app
        .file_valid(with(valid_complaint(), "category", "other"))
        .await;
    let filed = stored_complaint(&app, &code).await;
    assert_eq!(
        (filed.lead_department.as_str(), filed.routing_rule_id),
        ("market-regulation", Some(id))
    );
    assert_eq!(
        co_handlers_of(&app, &filed.id).await,
        vec!["public-security", "quality-supervision"]
    );

    // Deactivated, the rule stops routing and the preview explains why it was not used.
    admin
        .change(
            &app,
            &format!("/admin/routing/{id}"),
            &[("lead", "market-regulation")],
        )
        .await;
    let (lead, _, text, _) = preview(&admin, &app, "other", "361102").await;
    assert_eq!(lead, "quality-office");
    assert!(text.contains(&format!("#{id}")), "{text}");
    let code = app
        .file_valid(with(valid_complaint(), "category", "other"))
        .await;
    assert_eq!(
        stored_complaint(&app, &code).await.lead_department,
        "quality-office"
    );

    // A deactivated lead department lets the case fall through too, as filing does.
    let food_drug = [
        ("name_zh_hans", "食品药品监督管理局"),
        ("name_zh_hant", "食品藥品監督管理局"),
        ("name_en", "Food and Drug Administration"),
        ("inbox_email", "food-drug@green-channel.invalid"),
        ("district", ""),
    ];
    admin
        .change(&app, "/admin/departments/food-drug", &food_drug)
        .await;
    let (lead, _, _, html) = preview(&admin, &app, "food", "361102").await;
    assert_eq!(lead, "quality-office");
    assert!(select_attr(&html, "[data-pair='food/361102']", "class").is_some());
    let code = app.file_valid(valid_complaint()).await;
    assert_eq!(
        stored_complaint(&app, &code).await.lead_department,
        "quality-office"
    );

    assert_eq!(
        audited(&app).await,
        vec![
            triple("routing_rule", &id.to_string(), "create"),
            triple("routing_rule", &id.to_string(), "deactivate"),
            triple("department", "food-drug", "deactivate"),
        ]
    );
}

#[tokio::test]
async fn an_unknown_preview_is_a_message_not_an_error() {
    let app = spawn_app().await;
    let admin = Browser::admin(&app).await;
    let (status, html) = admin
        .get(
            &app,
            "/admin/routing?category=nothing&district=%3Cscript%3E",
        )
        .await;
    assert_eq!(status, 200);
    assert!(select_attr(&html, "#preview", "data-lead").is_none());
    assert!(!select_text(&html, "#preview-form-category-error").is_empty());
    assert!(!select_text(&html, "#preview-form-district-error").is_empty());
    assert!(!html.contains("<script>"));
    for path in [
        "/admin/routing/abc",
        "/admin/routing/999",
        "/admin/districts/000000",
        "/admin/users/nobody",
        "/admin/categories/nothing",
        "/admin/departments/nothing",
    ] {
        assert_eq!(admin.get(&app, path).await.0, 404, "{path}");
    }
}

#[tokio::test]
async fn deadlines_follow_the_category_and_the_holiday_calendar() {
    let app = spawn_app().await;
    let admin = Browser::admin(&app).await;
    let today = city_today();
    let calendar = reference(&app).await.calendar;
    let code = app.file_valid(valid_complaint()).await;
    assert_eq!(
        stored_complaint(&app, &code).await.accept_due,
        calendar.add_working_days(today, 7)
    );

    let mut food = valid_posts()[5].1.clone();
    food = replaced(food, "complaint_accept_days", "3");
    admin.change(&app, "/admin/categories/food", &food).await;
    let code = app.file_valid(valid_complaint()).await;
    let before = stored_complaint(&app, &code).await.accept_due;
    assert_eq!(before, calendar.add_working_days(today, 3));

    // The next working day becomes a rest day: the deadline moves one working day later.
    let next = calendar.add_working_days(today, 1).to_string();
    let location = admin
        .change(
            &app,
            "/admin/holidays",
            &[("from", &next), ("kind", "rest"), ("note", "test closure")],
        )
        .await;
    assert!(location.starts_with("/admin/holidays?year="), "{location}");
    let (_, page) = admin.get(&app, &location).await;
    assert_eq!(
        select_attr(&page, &format!("tr[data-key='{next}']"), "data-working").as_deref(),
        Some("false")
    );
    let code = app.file_valid(valid_complaint()).await;
    let moved = stored_complaint(&app, &code).await.accept_due;
    let calendar = reference(&app).await.calendar;
    assert!(moved > before, "{moved} after {before}");
    assert_eq!(moved, calendar.add_working_days(today, 3));

    admin
        .change(&app, &format!("/admin/holidays/{next}/delete"), &[])
        .await;
    let code = app.file_valid(valid_complaint()).await;
    assert_eq!(stored_complaint(&app, &code).await.accept_due, before);
    let missing = admin
        .post(&app, &format!("/admin/holidays/{next}/delete"), &[])
        .await;
    assert_eq!(missing.status().as_u16(), 404);

    assert_eq!(
        audited(&app).await,
        vec![
            triple("category", "food", "update"),
            triple("holiday", &next, "create"),
            triple("holiday", &next, "delete"),
        ]
    );
}

#[tokio::test]
async fn a_run_of_days_and_make_up_working_days_are_entered_together() {
    let app = spawn_app().await;
    let admin = Browser::admin(&app).await;
    // Spring Festival 2027 (illustrative): rest Feb 6–12, make-up Saturday Feb 13.
    admin
        .change(
            &app,
            "/admin/holidays",
            &[
                ("from", "2027-02-06"),
                ("to", "2027-02-12"),
                ("kind", "rest"),
                ("note", "春节"),
            ],
        )
        .await;
    admin
        .change(
            &app,
            "/admin/holidays",
            &[("from", "2027-02-13"), ("kind", "work")],
        )
        .await;
    let calendar = reference(&app).await.calendar;
    let day = |d| NaiveDate::from_ymd_opt(2027, 2, d).unwrap();
    assert!(!calendar.is_working_day(day(8)), "a Monday off");
    assert!(calendar.is_working_day(day(13)), "a Saturday at work");
    // Setting a day again to what it is writes nothing; changing it is an update.
    let count = audit_trail(&app).await.len();
    admin
        .change(
            &app,
            "/admin/holidays",
            &[("from", "2027-02-13"), ("kind", "work")],
        )
        .await;
    assert_eq!(audit_trail(&app).await.len(), count);
    assert_eq!(count, 8);
}

async fn warnings(admin: &Browser, app: &TestApp, path: &str) -> Vec<String> {
    let (status, html) = admin.get(app, path).await;
    assert_eq!(status, 200);
    select_text(&html, "#warnings li")
}

#[tokio::test]
async fn the_admin_pages_warn_until_this_and_next_years_schedules_are_entered() {
    let app = spawn_app().await;
    let admin = Browser::admin(&app).await;
    let this_year = city_today().year();
    let shown = warnings(&admin, &app, "/admin/manage").await;
    let next = (this_year + 1).to_string();
    assert!(shown.iter().any(|w| w.contains(&next)), "{shown:?}");
    assert_eq!(shown, warnings(&admin, &app, "/admin/holidays").await);

    for year in [this_year, this_year + 1] {
        let year = year.to_string();
        admin
            .change(
                &app,
                "/admin/holidays/years",
                &[("year", &year), ("loaded", "on")],
            )
            .await;
        let (_, page) = admin
            .get(&app, &format!("/admin/holidays?year={year}"))
            .await;
        assert_eq!(
            select_attr(&page, "#schedule-state", "data-loaded").as_deref(),
            Some("true")
        );
    }
    assert!(warnings(&admin, &app, "/admin/manage").await.is_empty());

    admin
        .change(&app, "/admin/holidays/years", &[("year", &next)])
        .await;
    let shown = warnings(&admin, &app, "/admin/manage").await;
    assert!(shown.iter().any(|w| w.contains(&next)), "{shown:?}");
    let trail = audited(&app).await;
    assert_eq!(
        trail.last(),
        Some(&triple("calendar_year", &next, "mark_missing"))
    );

    let bad = admin
        .post(
            &app,
            "/admin/holidays/years",
            &[("year", "20x7"), ("loaded", "on")],
        )
        .await;
    assert_eq!(bad.status().as_u16(), 422);
}

#[tokio::test]
async fn a_created_user_signs_in_and_a_deactivated_one_is_out_at_once() {
    let app = spawn_app().await;
    let admin = Browser::admin(&app).await;
    admin
        .change(
            &app,
            "/admin/users",
            &[
                ("username", "li.si"),
                ("role", "clerk"),
                ("department", "food-drug"),
                ("email", "li.si@example.org"),
                ("password", "li-si-first-password"),
            ],
        )
        .await;
    let (_, list) = admin.get(&app, "/admin/users").await;
    assert_eq!(
        select_attr(&list, "tr[data-key='li.si']", "data-active").as_deref(),
        Some("true")
    );
    let clerk = Browser::of(&app, "li.si", "li-si-first-password").await;
    assert_eq!(clerk.get(&app, "/admin/password").await.0, 200);
    let trail = audit_trail(&app).await;
    assert_eq!(trail[0].entity_key, "li.si");
    assert!(
        trail[0].detail.contains("food-drug") && !trail[0].detail.contains("li-si-first-password")
    );

    admin
        .change(&app, "/admin/users/li.si/deactivate", &[])
        .await;
    assert_eq!(
        sessions_of(&app, "li.si").await,
        0,
        "revoked in the same transaction"
    );
    let refused = clerk
        .client
        .get(app.url("/admin/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 303);
    assert_eq!(location(&refused), "/admin/login");
    let again = clerk
        .post(&app, "/admin/password", &[("current", "x")])
        .await;
    assert_eq!(again.status().as_u16(), 303, "a POST is refused too");
    assert_login_fails(&app, "li.si", "li-si-first-password").await;

    admin.change(&app, "/admin/users/li.si/activate", &[]).await;
    Browser::of(&app, "li.si", "li-si-first-password").await;
    assert_eq!(
        audited(&app).await,
        vec![
            triple("user", "li.si", "create"),
            triple("user", "li.si", "deactivate"),
            triple("user", "li.si", "activate"),
        ]
    );
}

async fn assert_login_fails(app: &TestApp, username: &str, password: &str) {
    let (_, status) = crate::helpers::try_login_at(&app.address, username, password).await;
    assert_eq!(status, 401, "{username} signed in");
}

#[tokio::test]
async fn resetting_a_password_ends_every_session_of_the_account() {
    let app = spawn_app().await;
    app.create_user("food-clerk", "clerk", "food-drug").await;
    let first = Browser::of(&app, "food-clerk", STAFF_PASSWORD).await;
    let second = Browser::of(&app, "food-clerk", STAFF_PASSWORD).await;
    assert_eq!(sessions_of(&app, "food-clerk").await, 2);
    let admin = Browser::admin(&app).await;
    admin
        .change(
            &app,
            "/admin/users/food-clerk/password",
            &[("password", "a-brand-new-password")],
        )
        .await;
    assert_eq!(sessions_of(&app, "food-clerk").await, 0);
    for browser in [&first, &second] {
        let refused = browser
            .client
            .get(app.url("/admin/password"))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&refused), "/admin/login");
    }
    assert_login_fails(&app, "food-clerk", STAFF_PASSWORD).await;
    Browser::of(&app, "food-clerk", "a-brand-new-password").await;
    assert_eq!(
        audited(&app).await,
        vec![triple("user", "food-clerk", "reset_password")]
    );
}

#[tokio::test]
async fn role_and_department_changes_take_effect_and_the_last_administrator_stays() {
    let app = spawn_app().await;
    app.create_user("food-clerk", "clerk", "food-drug").await;
    let admin = Browser::admin(&app).await;
    let clerk = Browser::of(&app, "food-clerk", STAFF_PASSWORD).await;
    assert_eq!(clerk.get(&app, "/admin/manage").await.0, 403);
    admin
        .change(
            &app,
            "/admin/users/food-clerk",
            &[
                ("role", "admin"),
                ("department", "market-regulation"),
                ("email", "clerk@example.org"),
            ],
        )
        .await;
    // The role is read at every request: the open session has the new powers at once.
    assert_eq!(clerk.get(&app, "/admin/manage").await.0, 200);
    let stored = {
        let id = user_id(&app, "food-clerk").await;
        app.db
            .read(move |conn| green_channel::db::users::find_by_id(conn, &id))
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(
        (
            stored.role.as_str(),
            stored.department_code.as_str(),
            stored.email.as_deref()
        ),
        ("admin", "market-regulation", Some("clerk@example.org"))
    );
    let detail = &audit_trail(&app).await[0].detail;
    assert!(detail.contains("role: \"clerk\" → \"admin\""), "{detail}");

    // With two administrators, one may go; the last one may not.
    admin
        .change(&app, "/admin/users/admin/deactivate", &[])
        .await;
    let (status, _) = admin.get(&app, "/admin/manage").await;
    assert_eq!(status, 303, "the deactivated administrator is out");
    let before = stored_state(&app).await;
    let refused = clerk
        .post(&app, "/admin/users/food-clerk/deactivate", &[])
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(!select_text(&html, "#warnings li").is_empty());
    let demote = clerk
        .post(
            &app,
            "/admin/users/food-clerk",
            &[
                ("role", "clerk"),
                ("department", "market-regulation"),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(demote.status().as_u16(), 422);
    assert_eq!(stored_state(&app).await, before);
}

// `green-channel load-jurisdiction FILE`, run as the real binary.

const SMALL_JURISDICTION: &str = r#"
[[districts]]
code = "990101"
name_zh_hans = "东区"
name_zh_hant = "東區"
name_en = "East District"

[[districts]]
code = "990102"
name_zh_hans = "西区"
name_zh_hant = "西區"
name_en = "West District"

[[departments]]
code = "city-office"
name_zh_hans = "市质量办"
name_zh_hant = "市質量辦"
name_en = "City Quality Office"
inbox_email = "office@city.example"
is_office = true

[[departments]]
code = "city-market"
name_zh_hans = "市场监管局"
name_zh_hant = "市場監管局"
name_en = "Market Regulation"
inbox_email = "market@city.example"

[[departments]]
code = "market-990101"
name_zh_hans = "东区市场监管所"
name_zh_hant = "東區市場監管所"
name_en = "East District Market Station"
inbox_email = "east@city.example"
district = "990101"

[[categories]]
code = "food"
name_zh_hans = "食品"
name_zh_hant = "食品"
name_en = "Food"
complaint_accept_days = 7
complaint_finish_days = 45
report_accept_days = 15
report_notify_days = 5
assist_days = 5
legal_basis = "SAMR Order 20"

[[categories]]
code = "services"
name_zh_hans = "服务"
name_zh_hant = "服務"
name_en = "Services"
complaint_accept_days = 7
complaint_finish_days = 45
report_accept_days = 15
report_notify_days = 5
assist_days = 5
legal_basis = "SAMR Order 20"

[[routing_rules]]
category = "food"
lead = "city-market"
co_handlers = ["market-990101"]

[[routing_rules]]
category = "services"
district = "990101"
lead = "market-990101"
"#;

/// Runs `green-channel load-jurisdiction FILE` on the data folder: (success, stdout, stderr).
fn load_jurisdiction(data_dir: &Path, toml: &str) -> (bool, String, String) {
    let file = data_dir.join(format!("jurisdiction-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(&file, toml).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_green-channel"));
    command
        .arg("load-jurisdiction")
        .arg(&file)
        .env_remove("DATABASE_URL")
        .env_remove("SECRET_KEY")
        .env_remove("ADMIN_PASSWORD")
        .env_remove("SMTP_URL");
    let output = crate::test_database::binary_env(&mut command, data_dir)
        .output()
        .expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn open(data_dir: &Path) -> Database {
    let location = crate::test_database::database_for(data_dir);
    tokio::task::spawn_blocking(move || Database::open(&location, 1).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn load_jurisdiction_fills_an_empty_database_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout, stderr) = load_jurisdiction(dir.path(), SMALL_JURISDICTION);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("9 inserted, 0 updated, 0 unchanged"),
        "{stdout}"
    );

    let db = open(dir.path()).await;
    let (reference, trail) = db
        .read(|conn| {
            let trail: Vec<AuditEventRow> = audit_events::table
                .order(audit_events::id)
                .select(AuditEventRow::as_select())
                .load(conn)?;
            Ok::<_, DbError>((ReferenceData::load(conn)?, trail))
        })
        .await
        .unwrap();
    let codes: Vec<&str> = reference
        .districts
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, vec!["990101", "990102"], "the file, not the demo");
    assert_eq!(
        reference.office().map(|d| d.code.as_str()),
        Some("city-office")
    );
    assert_eq!(reference.rules.len(), 2);
    assert!(
        reference.calendar.has_schedule_for(2026),
        "the official calendar came along"
    );
    assert_eq!(trail.len(), 10);
    assert!(trail
        .iter()
        .all(|a| a.user_id.is_none() && a.detail.starts_with("load-jurisdiction ")));
    // Field by field: the department index is a HashMap, printed in no fixed order.
    let printed = |r: &ReferenceData| {
        format!(
            "{:?} {:?} {:?} {:?} {:?}",
            r.districts, r.departments, r.categories, r.rules, r.calendar
        )
    };
    let state = printed(&reference);
    drop(db);

    let (ok, stdout, stderr) = load_jurisdiction(dir.path(), SMALL_JURISDICTION);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("0 inserted, 0 updated, 9 unchanged"),
        "{stdout}"
    );
    let db = open(dir.path()).await;
    let (again, audits) = db
        .read(|conn| {
            let audits: i64 = audit_events::table.count().get_result(conn)?;
            Ok::<_, DbError>((ReferenceData::load(conn)?, audits))
        })
        .await
        .unwrap();
    assert_eq!(printed(&again), state);
    assert_eq!(audits, 10);
    drop(db);

    // The service then starts on it: the bootstrap admin is created, the demo is not loaded.
    let app = start(test_config(dir.path())).await;
    assert_eq!(
        public_options(&app, "district").await,
        vec!["990101", "990102"]
    );
    let code = app
        .file_valid(with(
            with(valid_complaint(), "district", "990102"),
            "category",
            "food",
        ))
        .await;
    let filed = stored_complaint(&app, &code).await;
    assert_eq!(filed.lead_department, "city-market");
    assert_eq!(co_handlers_of(&app, &filed.id).await, vec!["market-990101"]);
    Browser::admin(&app).await;
}

#[tokio::test]
async fn load_jurisdiction_updates_by_code_and_never_deletes() {
    let app = spawn_app().await;
    let admin = Browser::admin(&app).await;
    // An administrator's deactivation stands: the file does not carry `active`.
    let yushan = [
        ("name_zh_hans", "玉山县"),
        ("name_zh_hant", "玉山縣"),
        ("name_en", "Yushan County"),
    ];
    admin.change(&app, "/admin/districts/361123", &yushan).await;
    let file = r#"
[[districts]]
code = "361102"
name_zh_hans = "信州区"
name_zh_hant = "信州區"
name_en = "Xinzhou (renamed)"

[[districts]]
code = "361123"
name_zh_hans = "玉山县"
name_zh_hant = "玉山縣"
name_en = "Yushan County"

[[districts]]
code = "361199"
name_zh_hans = "新区"
name_zh_hant = "新區"
name_en = "New District"

[[departments]]
code = "quality-office"
name_zh_hans = "质量兴市领导小组办公室"
name_zh_hant = "質量興市領導小組辦公室"
name_en = "Quality Development Leading Group Office"
inbox_email = "quality-office@green-channel.invalid"
is_office = true

[[departments]]
code = "food-drug"
name_zh_hans = "食品药品监督管理局"
name_zh_hant = "食品藥品監督管理局"
name_en = "Food and Drug Administration"
inbox_email = "food-drug@city.example"

[[categories]]
code = "food"
name_zh_hans = "食品"
name_zh_hant = "食品"
name_en = "Food"
complaint_accept_days = 5
complaint_finish_days = 45
report_accept_days = 15
report_notify_days = 5
assist_days = 5
legal_basis = "A local rule"

[[routing_rules]]
category = "other"
district = "361199"
lead = "food-drug"
"#;
    let audits_before = audit_trail(&app).await.len();
    let (ok, stdout, stderr) = load_jurisdiction(&app.data_dir, file);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("2 inserted, 3 updated, 2 unchanged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("361123"),
        "the inactive district is noted: {stdout}"
    );

    let reference = reference(&app).await;
    assert_eq!(reference.districts.len(), 13, "nothing deleted");
    assert!(!reference.district("361123").unwrap().active);
    assert_eq!(
        reference.district("361102").unwrap().name_en,
        "Xinzhou (renamed)"
    );
    assert_eq!(
        reference.department("food-drug").unwrap().inbox_email,
        "food-drug@city.example"
    );
    assert_eq!(reference.departments.len(), 20);
    assert_eq!(reference.office().unwrap().code, "quality-office");
    assert_eq!(reference.category("food").unwrap().complaint_accept_days, 5);
    assert!(public_options(&app, "district")
        .await
        .contains(&"361199".to_owned()));
    let code = app
        .file_valid(with(
            with(valid_complaint(), "category", "other"),
            "district",
            "361199",
        ))
        .await;
    assert_eq!(
        stored_complaint(&app, &code).await.lead_department,
        "food-drug"
    );
    let trail = audit_trail(&app).await;
    assert_eq!(trail.len(), audits_before + 5);
    assert!(trail[audits_before..].iter().all(|a| a.user_id.is_none()));

    let state = stored_state(&app).await;
    let (ok, stdout, _) = load_jurisdiction(&app.data_dir, file);
    assert!(ok);
    assert!(
        stdout.contains("0 inserted, 0 updated, 7 unchanged"),
        "{stdout}"
    );
    assert_eq!(stored_state(&app).await, state);
}

#[tokio::test]
async fn a_bad_jurisdiction_file_is_refused_whole() {
    let app = spawn_app().await;
    let before = stored_state(&app).await;
    let bad = SMALL_JURISDICTION
        .replace("code = \"990102\"", "code = \"99010\"")
        .replace("lead = \"market-990101\"", "lead = \"nobody\"")
        .replace(
            "assist_days = 5\nlegal_basis = \"SAMR Order 20\"\n\n[[categories]]",
            "assist_days = -5\nlegal_basis = \"SAMR Order 20\"\n\n[[categories]]",
        )
        .replace(
            "inbox_email = \"east@city.example\"",
            "inbox_email = \"east\"",
        );
    let (ok, stdout, stderr) = load_jurisdiction(&app.data_dir, &bad);
    assert!(!ok, "{stdout}");
    for expected in [
        "99010",
        "nobody",
        "assist_days",
        "inbox_email",
        "nothing changed",
    ] {
        assert!(
            stderr.contains(expected),
            "{expected} missing from: {stderr}"
        );
    }
    let two_offices = SMALL_JURISDICTION.replace(
        "inbox_email = \"market@city.example\"",
        "inbox_email = \"market@city.example\"\nis_office = true",
    );
    let (ok, _, stderr) = load_jurisdiction(&app.data_dir, &two_offices);
    assert!(!ok);
    assert!(stderr.contains("exactly one department"), "{stderr}");
    let (ok, _, stderr) = load_jurisdiction(&app.data_dir, "[[districts]]\ncode = 1\n");
    assert!(!ok, "{stderr}");
    assert_eq!(stored_state(&app).await, before);
}

#[tokio::test]
async fn a_file_naming_another_office_moves_the_mark_as_the_page_does() {
    let app = spawn_app().await;
    let file = r#"
districts = []
categories = []

[[departments]]
code = "market-regulation"
name_zh_hans = "工商行政管理局"
name_zh_hant = "工商行政管理局"
name_en = "Administration for Industry and Commerce"
inbox_email = "market-regulation@green-channel.invalid"
is_office = true
"#;
    let (ok, stdout, stderr) = load_jurisdiction(&app.data_dir, file);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("0 inserted, 2 updated, 0 unchanged"),
        "{stdout}"
    );
    assert_eq!(
        reference(&app).await.office().map(|d| d.code.clone()),
        Some("market-regulation".to_owned())
    );
    assert_eq!(
        audited(&app).await,
        vec![
            triple("department", "quality-office", "update"),
            triple("department", "market-regulation", "make_office"),
        ]
    );

    // An inactive department cannot take the mark from a file either; nothing changes.
    let admin = Browser::admin(&app).await;
    deactivate_agriculture(&admin, &app).await;
    let before = stored_state(&app).await;
    let inactive = file
        .replace("market-regulation", "agriculture")
        .replace("工商行政管理局", "农业局")
        .replace(
            "Administration for Industry and Commerce",
            "Agriculture Bureau",
        );
    let (ok, stdout, stderr) = load_jurisdiction(&app.data_dir, &inactive);
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("nothing changed"), "{stderr}");
    assert_eq!(stored_state(&app).await, before);
}

#[tokio::test]
async fn create_user_on_the_command_line_follows_the_users_page_rules() {
    let app = spawn_app().await;
    let create = |username: &'static str, role: &'static str, department: &'static str| {
        let db = app.db.clone();
        tokio::task::spawn_blocking(move || {
            green_channel::services::users::create_user(
                &db,
                username,
                role,
                Some(department),
                None,
                STAFF_PASSWORD,
            )
        })
    };
    let refused = create("coordinator-x", "coordinator", "food-drug")
        .await
        .unwrap()
        .expect_err("a coordinator outside the office");
    assert!(refused.to_string().contains("department"), "{refused}");
    let refused = create("admin", "clerk", "food-drug")
        .await
        .unwrap()
        .expect_err("a name that is taken");
    assert!(refused.to_string().contains("username"), "{refused}");
    create("office-coordinator", "coordinator", "quality-office")
        .await
        .unwrap()
        .unwrap();
    assert!(
        audited(&app).await.is_empty(),
        "the command line leaves no trail"
    );
}
