//! The resident's side: no account, works without JavaScript.

pub(crate) mod complaint_form;
mod health;
mod home;
mod language;
mod recover;
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
        // Before `/track/{code}`, which would take "recover" for a code.
        .route(recover::PATH, web::get().to(recover::show))
        .route(recover::PATH, web::post().to(recover::submit))
        .route("/track/{code}", web::get().to(track::show))
        .route("/track/{code}/withdraw", web::post().to(track::withdraw))
        .route("/track/{code}/info", web::post().to(track::supply_info))
        .route("/track/{code}/rating", web::post().to(track::rate));
}
