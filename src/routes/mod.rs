//! actix handlers, one file per page or action, grouped by who uses them. Handlers are
//! thin: parse the request, call a service or a query, render a page.

pub mod admin;
pub mod public;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    public::configure(cfg);
    admin::configure(cfg);
}
