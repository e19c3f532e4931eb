//! The isolation matrix of DESIGN §4 "Who may do what": every role × every complaint
//! action × own, co-handled and other departments' complaints, each on a fresh complaint,
//! asserting the status and that a refused action changed nothing.

use diesel::prelude::*;
use green_channel::db::schema::complaints;

use crate::helpers::{select_attr, spawn_app, valid_complaint, with, TestApp, STAFF_PASSWORD};

const ACTIONS: [&str; 12] = [
    "accept",
    "reject",
    "return",
    "transfer",
    "assist",
    "assign",
    "request-info",
    "pause",
    "resume",
    "reply",
    "note",
    "reopen",
];

/// Who stands how to the complaint, and what DESIGN §4 lets them do with a fresh
/// (`assigned`) one: 303 done, 403 forbidden for the role, 404 not theirs to see, 409
/// not possible in this state.
fn expected(who: &str, action: &str) -> u16 {
    let in_assigned_state = [
        "accept", "reject", "return", "transfer", "assist", "assign", "note",
    ]
    .contains(&action);
    let state_gate = if in_assigned_state { 303 } else { 409 };
    match who {
        "lead" => match action {
            "transfer" | "reopen" => 403,
            _ => state_gate,
        },
        "co-handler" => match action {
            "note" => 303,
            _ => 403,
        },
        "unrelated" => 404,
        "office" | "admin" => match action {
            "return" => 403,
            _ => state_gate,
        },
        other => unreachable!("{other}"),
    }
}

fn fields_for(action: &str, lead_clerk: &str) -> Vec<(&'static str, String)> {
    let text = |name: &'static str| vec![(name, "理由说明".to_owned())];
    match action {
        "accept" | "resume" => vec![],
        "reject" | "return" | "pause" | "reopen" => text("reason"),
        "transfer" => vec![
            ("department", "agriculture".into()),
            ("reason", "农资问题".into()),
        ],
        "assist" => vec![("department", "agriculture".into())],
        "assign" => vec![("user", lead_clerk.to_owned())],
        "request-info" => text("message"),
        "reply" => vec![("message", "答复".into()), ("outcome", "refund".into())],
        "note" => text("note"),
        other => unreachable!("{other}"),
    }
}

async fn state_and_version(app: &TestApp, code: &str) -> (String, i32) {
    let code = code.to_owned();
    app.db
        .read(move |conn| {
            Ok(complaints::table
                .filter(complaints::tracking_code.eq(code))
                .select((complaints::state, complaints::version))
                .first(conn)?)
        })
        .await
        .unwrap()
}

async fn id_of(app: &TestApp, code: &str) -> String {
    let code = code.to_owned();
    app.db
        .read(move |conn| {
            Ok(complaints::table
                .filter(complaints::tracking_code.eq(code))
                .select(complaints::id)
                .first(conn)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn every_role_may_do_exactly_what_the_table_says_on_every_kind_of_complaint() {
    let app = spawn_app().await;
    // A counterfeits case: market-regulation leads, public-security co-handles.
    for (user, role, department) in [
        ("lead-clerk", "clerk", "market-regulation"),
        ("lead-supervisor", "supervisor", "market-regulation"),
        ("co-clerk", "clerk", "public-security"),
        ("other-clerk", "clerk", "food-drug"),
        ("other-supervisor", "supervisor", "agriculture"),
        ("office", "coordinator", "quality-office"),
    ] {
        app.create_user(user, role, department).await;
    }
    let mut browsers = Vec::new();
    for (user, password, who) in [
        ("lead-clerk", STAFF_PASSWORD, "lead"),
        ("lead-supervisor", STAFF_PASSWORD, "lead"),
        ("co-clerk", STAFF_PASSWORD, "co-handler"),
        ("other-clerk", STAFF_PASSWORD, "unrelated"),
        ("other-supervisor", STAFF_PASSWORD, "unrelated"),
        ("office", STAFF_PASSWORD, "office"),
        ("admin", "admin-password-for-tests", "admin"),
    ] {
        let browser = app.login(user, password).await;
        let token = app.admin_csrf(&browser, "/admin/password").await;
        browsers.push((user, who, browser, token));
    }
    let counterfeit = with(valid_complaint(), "category", "counterfeits");
    for (user, who, browser, token) in &browsers {
        // Seeing the complaint.
        let code = app.file_valid(counterfeit.clone()).await;
        let id = id_of(&app, &code).await;
        let page = browser
            .get(app.url(&format!("/admin/complaints/{id}")))
            .send()
            .await
            .unwrap();
        let seen = if *who == "unrelated" { 404 } else { 200 };
        assert_eq!(
            page.status().as_u16(),
            seen,
            "{user} sees the complaint page"
        );
        if seen == 200 {
            let html = page.text().await.unwrap();
            assert_eq!(
                select_attr(&html, "#state", "data-state").as_deref(),
                Some("assigned")
            );
        }
        // Each action on a fresh complaint, so one action's effect cannot hide another's.
        for action in ACTIONS {
            let code = app.file_valid(counterfeit.clone()).await;
            let id = id_of(&app, &code).await;
            let before = state_and_version(&app, &code).await;
            let mut body = vec![("csrf_token", token.clone()), ("version", "1".to_owned())];
            body.extend(fields_for(action, "lead-clerk"));
            let response = browser
                .post(app.url(&format!("/admin/complaints/{id}/{action}")))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(&body).unwrap())
                .send()
                .await
                .unwrap();
            let want = expected(who, action);
            assert_eq!(
                response.status().as_u16(),
                want,
                "{user} ({who}) → {action}"
            );
            let after = state_and_version(&app, &code).await;
            if want == 303 {
                assert_eq!(after.1, before.1 + 1, "{user} → {action} is recorded");
            } else {
                assert_eq!(after, before, "{user} → {action} changed nothing");
            }
        }
    }
    // Every action (a co-handler added by "assist" among them) left the co-handling rows'
    // copy of the case's state in step.
    let (differing, compared) = crate::helpers::co_handled_copies_out_of_step(&app).await;
    assert!(compared > 50, "{compared}");
    assert!(differing.is_empty(), "{differing:?}");
}

#[tokio::test]
async fn an_unknown_action_or_complaint_is_404_and_an_admin_path_needs_a_session() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let id = id_of(&app, &code).await;
    let signed_out = crate::helpers::client();
    for path in [
        "/admin",
        &format!("/admin/complaints/{id}"),
        "/admin/complaints/new",
        "/admin/password",
    ] {
        let response = signed_out.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 303, "{path}");
        assert_eq!(response.headers()["location"], "/admin/login");
    }
    let response = signed_out
        .post(app.url(&format!("/admin/complaints/{id}/accept")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("version=1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(state_and_version(&app, &code).await.1, 1);

    let admin = app.login("admin", "admin-password-for-tests").await;
    let token = app.admin_csrf(&admin, "/admin/password").await;
    for path in [
        format!("/admin/complaints/{id}/delete"),
        format!("/admin/complaints/{}/accept", uuid::Uuid::new_v4()),
        "/admin/complaints/not-a-uuid/accept".to_owned(),
    ] {
        let response = admin
            .post(app.url(&path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf_token={token}&version=1"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404, "{path}");
    }
    // The tracking code is never an admin id.
    let by_code = admin
        .get(app.url(&format!("/admin/complaints/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(by_code.status().as_u16(), 404);
}
