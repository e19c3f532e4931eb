//! actix handlers, one file per page or action, grouped by who uses them. Handlers are
//! thin: parse the request, call a service or a query, render a page.

pub mod admin;
pub mod bridge;
pub mod open311;
pub mod public;

use actix_web::web;

/// A path's resource: a method it does not serve is `405`, not the app's `404`.
pub fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        actix_web::HttpResponse::MethodNotAllowed().finish()
    }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    public::configure(cfg);
    admin::configure(cfg);
    open311::configure(cfg);
}
