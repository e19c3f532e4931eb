//! The resident's side: no account, works without JavaScript.

pub(crate) mod complaint_form;
mod health;
mod home;
mod language;
mod privacy;
mod recover;
mod stats;
mod track;

use actix_web::web;

use super::resource;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let get = web::get;
    let post = web::post;
    cfg.service(resource("/").route(get().to(home::show)))
        .service(resource("/healthz").route(get().to(health::check)))
        .service(resource("/stats").route(get().to(stats::show)))
        .service(resource(privacy::PATH).route(get().to(privacy::show)))
        .service(resource("/static/app.css").route(get().to(home::stylesheet)))
        .service(resource("/lang/{tag}").route(get().to(language::switch)))
        .service(resource("/complaints/new").route(get().to(complaint_form::show)))
        .service(resource("/complaints").route(post().to(complaint_form::submit)))
        .service(resource("/track").route(get().to(track::lookup)))
        // Before `/track/{code}`, which would take "recover" for a code.
        .service(
            resource(recover::PATH)
                .route(get().to(recover::show))
                .route(post().to(recover::submit)),
        )
        .service(resource("/track/{code}").route(get().to(track::show)))
        .service(
            resource("/track/{code}/withdraw")
                .route(get().to(track::confirm_withdraw))
                .route(post().to(track::withdraw)),
        )
        .service(resource("/track/{code}/info").route(post().to(track::supply_info)))
        .service(resource("/track/{code}/rating").route(post().to(track::rate)));
}
