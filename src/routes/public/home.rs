//! `GET /`: what the channel is for, and the stylesheet.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::errors::AppError;
use crate::pages::public::HomePage;
use crate::pages::{render, PageContext};
use crate::state::{AppState, DefaultDeadlines};

#[tracing::instrument(skip_all)]
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let ctx = PageContext::new(&req, "/");
    let days = DefaultDeadlines::of(&*state.reference().await?);
    let page = HomePage {
        accept_text: ctx.t_args("home.next.accept", &days.args()),
        finish_text: ctx.t_args("home.next.finish", &days.args()),
        ctx,
    };
    Ok(render(StatusCode::OK, &page))
}

const STYLESHEET: &str = include_str!("../../../static/app.css");

#[tracing::instrument(skip_all)]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}
