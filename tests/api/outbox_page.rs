//! `/admin/outbox`: undelivered emails listed with their reason for the office and
//! administrators, complainants' addresses masked, and a retry that makes them pending.

use diesel::prelude::*;
use green_channel::db::schema::outbox;

use crate::helpers::{select_text, spawn_app, valid_complaint, STAFF_PASSWORD};

#[tokio::test]
async fn the_office_sees_undelivered_emails_with_the_reason_and_sends_one_again() {
    let mut app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    // The complainant's receipt was refused for good by the mail server, which echoed it.
    let reason = format!("550 mailbox unavailable ({code})");
    app.db
        .write(move |conn| {
            Ok::<_, green_channel::db::DbError>(
                diesel::update(outbox::table.filter(outbox::recipient_kind.eq("complainant")))
                    .set((
                        outbox::state.eq("failed"),
                        outbox::attempts.eq(1),
                        outbox::last_error.eq(Some(reason)),
                    ))
                    .execute(conn)?,
            )
        })
        .await
        .unwrap();
    let failed_id: i64 = app
        .db
        .read(|conn| {
            Ok(outbox::table
                .filter(outbox::state.eq("failed"))
                .select(outbox::id)
                .first(conn)?)
        })
        .await
        .unwrap();
    app.create_user("office", "coordinator", "quality-office")
        .await;
    app.create_user("clerk", "clerk", "food-drug").await;

    let clerk = app.login("clerk", STAFF_PASSWORD).await;
    assert_eq!(
        clerk
            .get(app.url("/admin/outbox"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );

    let office = app.login("office", STAFF_PASSWORD).await;
    let page = office.get(app.url("/admin/outbox")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    let row = select_text(&html, &format!("#outbox-{failed_id}"));
    assert_eq!(row.len(), 1, "the failed email is listed");
    assert!(row[0].contains("550 mailbox unavailable"), "{}", row[0]);
    assert!(
        row[0].contains("z***@example.com") && !html.contains("zhang.san@example.com"),
        "the address is masked"
    );
    // The tracking code (the resident's key) is in the subject and the reason: masked.
    assert!(!html.contains(&code), "no tracking code on the outbox page");
    assert!(
        row[0].contains(&format!("{}-*****-*****", &code[..5])),
        "{}",
        row[0]
    );

    // A retry without the session's token changes nothing; with it, the email is pending.
    let refused = office
        .post(app.url(&format!("/admin/outbox/{failed_id}/retry")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("csrf_token=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let token = app.admin_csrf(&office, "/admin/outbox").await;
    let retried = office
        .post(app.url(&format!("/admin/outbox/{failed_id}/retry")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status().as_u16(), 303);
    let state: String = app
        .db
        .read(move |conn| {
            Ok(outbox::table
                .filter(outbox::id.eq(failed_id))
                .select(outbox::state)
                .first(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(state, "pending");
    let again = office
        .post(app.url(&format!("/admin/outbox/{failed_id}/retry")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status().as_u16(),
        404,
        "already pending: nothing to retry"
    );
    app.dispatch_all_pending_emails().await;
    app.assert_no_unsent_emails().await;
    app.check_emails_on_drop = true;
}

/// The harness itself: a test that leaves an email that cannot be sent fails.
#[tokio::test]
#[should_panic(expected = "could not be sent")]
async fn a_test_that_leaves_an_unsendable_email_behind_fails() {
    let app = spawn_app().await;
    app.db
        .write(|conn| {
            let now = green_channel::services::now_utc();
            green_channel::db::outbox::insert(
                conn,
                &green_channel::db::outbox::NewOutboxRow {
                    complaint_id: None,
                    recipient: "not an address".into(),
                    recipient_kind: "department".into(),
                    template: "new_case".into(),
                    locale: "zh-Hans".into(),
                    subject: "s".into(),
                    text_body: "t".into(),
                    html_body: "h".into(),
                    state: "pending".into(),
                    attempts: 0,
                    due_at: now,
                    created_at: now,
                },
            )
        })
        .await
        .unwrap();
}
