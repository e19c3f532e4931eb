//! What the deadlines look like on the pages (issue 10): how far off each running date is,
//! the timeline's event markers, the office's escalated filter, a co-handler's own queue
//! and opinion deadline, exact look-ups, who may reassign, and the users page flag.

use scraper::{Html, Selector};

use crate::helpers::{spawn_app, valid_complaint, TestApp, ADMIN_PASSWORD, STAFF_PASSWORD};
use crate::sweeper::{counts, records, sweep_at};
use crate::triage::{act, complaint};
use green_channel::domain::deadlines::DeadlineKind;

async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> (u16, String) {
    let response = browser.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn html(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    let (status, body) = page(app, browser, path).await;
    assert_eq!(status, 200, "{path}");
    body
}

fn attrs(html: &str, selector: &str, attr: &str) -> Vec<String> {
    let document = Html::parse_document(html);
    document
        .select(&Selector::parse(selector).unwrap())
        .filter_map(|e| e.value().attr(attr).map(str::to_owned))
        .collect()
}

/// The admin ids of the queue's rows matching `selector` (e.g. `tr[data-escalated]`).
fn rows(html: &str, selector: &str) -> Vec<String> {
    attrs(html, &format!("tbody {selector} td:first-child a"), "href")
        .into_iter()
        .map(|href| href.trim_start_matches("/admin/complaints/").to_owned())
        .collect()
}

async fn filed(app: &TestApp) -> (String, String) {
    let code = app.file_valid(valid_complaint()).await;
    let id = complaint(app, &code).await.id.to_string();
    (code, id)
}

#[tokio::test]
async fn an_escalated_case_is_marked_on_the_timeline_and_found_by_the_office_filter() {
    let app = spawn_app().await;
    let (_, late) = filed(&app).await;
    let (_, on_time) = filed(&app).await;
    app.create_user("office", "coordinator", "quality-office")
        .await;
    let office = app.login("office", STAFF_PASSWORD).await;

    let due = complaint_due(&app, &late).await;
    let reference = app
        .db
        .read(green_channel::db::reference::ReferenceData::load)
        .await
        .unwrap();
    let escalation = reference
        .calendar
        .add_working_days(due.succ_opt().unwrap(), 2);
    // Both cases fall due on the same day; one answers in time, the other does not.
    let clerk = {
        app.create_user("clerk-food", "clerk", "food-drug").await;
        app.login("clerk-food", STAFF_PASSWORD).await
    };
    assert_eq!(
        act(&app, &clerk, &on_time, "accept", &[]).await.status(),
        303
    );
    assert_eq!(sweep_at(&app, escalation), counts(0, 1, 1, 0));

    let queue = html(&app, &office, "/admin?escalated=1").await;
    assert_eq!(rows(&queue, "tr"), vec![late.clone()]);
    assert_eq!(rows(&queue, "tr[data-escalated]"), vec![late.clone()]);
    let everything = html(&app, &office, "/admin").await;
    assert_eq!(rows(&everything, "tr[data-escalated]"), vec![late.clone()]);
    assert!(
        attrs(&everything, "input[name=escalated]", "value") == vec!["1"],
        "the filter is on the form"
    );

    let case = html(&app, &office, &format!("/admin/complaints/{late}")).await;
    let kinds = attrs(&case, "ol.timeline li", "data-event");
    assert_eq!(
        kinds,
        vec!["submitted", "routed", "overdue", "escalated"],
        "every entry carries its kind"
    );
    // The department's own queue marks it too; the case in time is not escalated.
    let mine = html(&app, &clerk, "/admin?state=all").await;
    assert_eq!(rows(&mine, "tr[data-escalated]"), vec![late.clone()]);
    assert!(records(&app, &on_time)
        .await
        .iter()
        .all(|d| d.escalated_at.is_none()));
}

async fn complaint_due(app: &TestApp, id: &str) -> chrono::NaiveDate {
    let id = id.to_owned();
    let rows: Vec<_> = records(app, &id).await;
    rows[0].due_on
}

#[tokio::test]
async fn running_dates_say_how_far_off_they_are_and_a_co_handler_sees_its_own() {
    let app = spawn_app().await;
    let (code, id) = filed(&app).await;
    app.create_user("clerk-food", "clerk", "food-drug").await;
    app.create_user("clerk-police", "clerk", "public-security")
        .await;
    app.create_user("clerk-farm", "clerk", "agriculture").await;
    let food = app.login("clerk-food", STAFF_PASSWORD).await;
    let police = app.login("clerk-police", STAFF_PASSWORD).await;
    let farm = app.login("clerk-farm", STAFF_PASSWORD).await;

    let case = html(&app, &food, &format!("/admin/complaints/{id}")).await;
    assert_eq!(
        attrs(&case, "[data-due-standing]", "data-due-standing"),
        vec!["due-in"],
        "the acceptance date is running"
    );
    // No consequential choice is made for the clerk: each select starts on "请选择".
    for select in ["#assist-department", "#assign-user"] {
        let chosen = attrs(&case, &format!("{select} option[selected]"), "value");
        assert_eq!(chosen, [""], "{select}");
        assert_eq!(attrs(&case, select, "required").len(), 1, "{select}");
    }
    let accept = crate::helpers::select_text(&case, "[data-due-standing]");
    assert!(accept[0].ends_with("个工作日后到期"), "{accept:?}");

    let assist = [("department", "public-security")];
    assert_eq!(act(&app, &food, &id, "assist", &assist).await.status(), 303);
    let opinion = records(&app, &id)
        .await
        .into_iter()
        .find(|d| d.kind == DeadlineKind::Opinion)
        .expect("an opinion deadline");
    let case = html(&app, &food, &format!("/admin/complaints/{id}")).await;
    assert_eq!(
        attrs(&case, "[data-due-standing]", "data-due-standing").len(),
        2,
        "acceptance and the co-handler's opinion"
    );

    // The co-handler's default queue holds the case, with its own opinion deadline.
    let queue = html(&app, &police, "/admin").await;
    assert_eq!(rows(&queue, "tr"), vec![id.clone()]);
    let cell = crate::helpers::select_text(&queue, "tbody td.deadline");
    assert!(
        cell[0].starts_with(&format!("意见期限 {}", opinion.due_on)),
        "{cell:?}"
    );
    assert_eq!(
        attrs(&queue, "tbody [data-due-standing]", "data-due-standing").len(),
        1
    );

    // An exact look-up finds the case whatever the other filters say — but only for
    // those who may see it.
    let lookup = format!("/admin?role=lead&state=closed&kind=report&q={code}");
    assert_eq!(
        rows(&html(&app, &police, &lookup).await, "tr"),
        vec![id.clone()]
    );
    let lookup_page = html(&app, &food, &lookup).await;
    assert_eq!(rows(&lookup_page, "tr"), vec![id.clone()]);
    assert!(lookup_page.contains("id=\"exact-lookup\""));
    assert!(rows(&html(&app, &farm, &lookup).await, "tr").is_empty());
    // Words are not exact: the filters still hold.
    let words = "/admin?state=closed&q=%E5%A5%B6%E7%B2%89";
    assert!(rows(&html(&app, &food, words).await, "tr").is_empty());

    // The tracking page shows the resident the same standing.
    let track = app.get_html(&format!("/track/{code}")).await;
    assert_eq!(
        attrs(&track, "[data-due-standing]", "data-due-standing"),
        vec!["due-in"]
    );
}

#[tokio::test]
async fn a_supervisor_reassigns_a_clerk_only_assigns_the_unassigned_or_hands_over_their_own() {
    let app = spawn_app().await;
    let (_, id) = filed(&app).await;
    for (name, role) in [
        ("clerk-a", "clerk"),
        ("clerk-b", "clerk"),
        ("sup", "supervisor"),
    ] {
        app.create_user(name, role, "food-drug").await;
    }
    let a = app.login("clerk-a", STAFF_PASSWORD).await;
    let b = app.login("clerk-b", STAFF_PASSWORD).await;
    let sup = app.login("sup", STAFF_PASSWORD).await;
    let to = |user: &'static str| [("user", user)];
    let path = format!("/admin/complaints/{id}");

    assert_eq!(
        act(&app, &a, &id, "assign", &to("clerk-a")).await.status(),
        303
    );
    // clerk-b may not take clerk-a's case, and is not offered the form.
    assert_eq!(
        act(&app, &b, &id, "assign", &to("clerk-b")).await.status(),
        403
    );
    assert!(!html(&app, &b, &path).await.contains("id=\"action-assign\""));
    assert!(html(&app, &a, &path).await.contains("id=\"action-assign\""));
    // The supervisor reassigns; the new holder may hand it back.
    assert_eq!(
        act(&app, &sup, &id, "assign", &to("clerk-b"))
            .await
            .status(),
        303
    );
    assert_eq!(
        act(&app, &a, &id, "assign", &to("clerk-a")).await.status(),
        403
    );
    assert_eq!(
        act(&app, &b, &id, "assign", &to("clerk-a")).await.status(),
        303
    );
    let holder = complaint_assignee(&app, &id).await;
    assert_eq!(holder.as_deref(), Some("clerk-a"));
}

async fn complaint_assignee(app: &TestApp, id: &str) -> Option<String> {
    use diesel::prelude::*;
    use green_channel::db::schema::{complaints, users};
    let id = id.to_owned();
    app.db
        .read(move |conn| {
            Ok(complaints::table
                .inner_join(users::table.on(complaints::assignee.eq(users::id.nullable())))
                .filter(complaints::id.eq(id))
                .select(users::username)
                .first::<String>(conn)
                .optional()?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_users_page_flags_a_supervisor_overdue_notices_cannot_reach() {
    let app = spawn_app().await;
    app.create_user("sup-silent", "supervisor", "food-drug")
        .await;
    app.create_user("clerk-silent", "clerk", "food-drug").await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let users = html(&app, &admin, "/admin/users").await;
    let flagged = attrs(&users, "tr:has([data-flag=no-email])", "data-key");
    assert_eq!(flagged, vec!["sup-silent"]);

    let token = app.admin_csrf(&admin, "/admin/users/sup-silent").await;
    let response = admin
        .post(app.url("/admin/users/sup-silent"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("role", "supervisor"),
            ("department", "food-drug"),
            ("email", "sup@dept.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let users = html(&app, &admin, "/admin/users").await;
    assert!(attrs(&users, "[data-flag=no-email]", "data-flag").is_empty());

    let categories = html(&app, &admin, "/admin/categories").await;
    assert!(
        categories.contains("改动的期限规则只适用于改动之后计算的期限"),
        "the rule about changed deadlines is stated"
    );
}
