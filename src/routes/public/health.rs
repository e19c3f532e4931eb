//! `GET /healthz`: `200` when the database answers.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;

use crate::state::AppState;

#[tracing::instrument(skip_all)]
pub async fn check(state: web::Data<AppState>) -> HttpResponse {
    let answered = state
        .db
        .read(|conn| Ok(conn.batch_execute("SELECT 1")?))
        .await;
    match answered {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ok"),
        Err(error) => {
            tracing::error!(error = %error, "health check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}
