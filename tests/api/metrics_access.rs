//! Who may read `/metrics` (issue 14, item 6): on the public address only a scraper with
//! `Authorization: Bearer METRICS_TOKEN` (`401` otherwise, `404` when no token is set); on
//! the private `METRICS_ADDR` anyone who can reach it, and nothing else is served there.

use crate::helpers::{client, spawn_app_with, METRICS_TOKEN};

#[tokio::test]
async fn public_metrics_answer_only_the_bearer_of_the_token() {
    let app = spawn_app_with(|_| {}).await;
    let get = |authorization: Option<String>| {
        let mut request = client().get(app.url("/metrics"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request.send()
    };
    for (case, authorization) in [
        ("no header", None),
        ("empty", Some(String::new())),
        ("bearer alone", Some("Bearer".into())),
        ("bearer and nothing", Some("Bearer ".into())),
        ("wrong token", Some("Bearer not-the-token-at-all".into())),
        (
            "a prefix of it",
            Some(format!("Bearer {}", &METRICS_TOKEN[..10])),
        ),
        ("longer", Some(format!("Bearer {METRICS_TOKEN}x"))),
        ("basic", Some(format!("Basic {METRICS_TOKEN}"))),
        ("lower-case scheme", Some(format!("bearer{METRICS_TOKEN}"))),
        ("not ASCII", Some("Bearer 令牌".into())),
    ] {
        let response = get(authorization).await.unwrap();
        assert_eq!(response.status().as_u16(), 401, "{case}");
        assert_eq!(
            response.headers()["www-authenticate"].to_str().unwrap(),
            "Bearer",
            "{case}"
        );
        let body = response.text().await.unwrap();
        assert!(!body.contains("green_channel_"), "{case}: no figures");
    }
    let response = get(Some(format!("Bearer {METRICS_TOKEN}"))).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("green_channel_outbox_messages"));
}

#[tokio::test]
async fn without_a_token_public_metrics_do_not_exist() {
    let app = spawn_app_with(|c| c.metrics_token = None).await;
    for authorization in ["", "Bearer ", "Bearer anything-at-all-here"] {
        let response = client()
            .get(app.url("/metrics"))
            .header("authorization", authorization)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404, "{authorization:?}");
    }
}

#[tokio::test]
async fn the_private_address_serves_metrics_without_a_token_and_nothing_else() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|c| {
        c.metrics_token = None;
        c.metrics_addr = Some(format!("127.0.0.1:{port}"));
    })
    .await;
    let private = format!("http://127.0.0.1:{port}");
    let response = client()
        .get(format!("{private}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("green_channel_http_requests_total"));
    for path in [
        "/",
        "/admin/login",
        "/complaints/new",
        "/healthz",
        "/metrics/x",
    ] {
        let response = client()
            .get(format!("{private}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            404,
            "{path} on the private address"
        );
    }
    // The public address still refuses it, and serves the rest.
    assert_eq!(app.get("/metrics").await.status().as_u16(), 404);
    assert_eq!(app.get("/complaints/new").await.status().as_u16(), 200);
}
