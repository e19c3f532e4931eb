//! Durability across a restart: what was acknowledged is there after the service stops
//! and starts again on the same data, and a second start changes nothing.

use crate::helpers::{start, test_config, valid_complaint};

#[tokio::test]
async fn a_filed_complaint_survives_a_restart_and_the_second_start_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = start(test_config(dir.path())).await;
    let code = app.file_valid(valid_complaint()).await;
    let before = [
        app.count("districts").await,
        app.count("departments").await,
        app.count("users").await,
        app.count("routing_rules").await,
    ];
    app.stop().await;

    let app = start(test_config(dir.path())).await;
    let page = app.get_html(&format!("/track/{code}")).await;
    assert!(page.contains("data-state=\"assigned\""), "{page}");
    let after = [
        app.count("districts").await,
        app.count("departments").await,
        app.count("users").await,
        app.count("routing_rules").await,
    ];
    assert_eq!(before, after);
    assert_eq!(before, [12, 20, 1, 55]);
    assert_eq!(app.count("complaints").await, 1);
}
