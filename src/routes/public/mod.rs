//! The resident's side: no account, works without JavaScript.

mod complaint_form;
mod health;
mod home;
mod language;
mod track;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::show))
        .route("/healthz", web::get().to(health::check))
        .route("/static/app.css", web::get().to(home::stylesheet))
        .route("/lang/{tag}", web::get().to(language::switch))
        .route("/complaints/new", web::get().to(complaint_form::show))
        .route("/complaints", web::post().to(complaint_form::submit))
        .route("/track", web::get().to(track::lookup))
        .route("/track/{code}", web::get().to(track::show))
        .route("/track/{code}/withdraw", web::post().to(track::withdraw));
}
