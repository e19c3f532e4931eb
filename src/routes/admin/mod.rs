//! The staff side under `/admin`: sign-in, the queue, a complaint's page and its actions,
//! filing on behalf of a caller, and the management pages. Every POST checks the
//! session's CSRF token (`extract::form::StaffForm`); every query is limited to what the
//! member may see.

mod api_keys;
mod attachment;
pub(crate) mod bulk;
mod case_links;
mod complaint;
mod file_complaint;
mod hotspots;
mod joint_actions;
mod lockouts;
mod login;
mod manage;
mod outbox;
mod password;
mod password_reset;

pub use password_reset::ResetLimits;
mod queue;
mod reports;
mod totp;
mod views;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(queue::show))
        .route("/admin/bulk", web::post().to(bulk::submit))
        .route("/admin/views", web::post().to(views::save))
        .route("/admin/views/{id}/delete", web::post().to(views::delete));
    cfg.route("/admin/login", web::get().to(login::show))
        .route("/admin/login", web::post().to(login::submit))
        .route("/admin/logout", web::post().to(login::logout))
        .route("/admin/password", web::get().to(password::show))
        .route("/admin/password", web::post().to(password::submit))
        .route(totp::SECURITY_PATH, web::get().to(totp::show_security))
        .route(totp::SECURITY_PATH, web::post().to(totp::submit_security))
        .route(totp::STEP_PATH, web::get().to(totp::show_step))
        .route(totp::STEP_PATH, web::post().to(totp::submit_step))
        .route(password_reset::PATH, web::get().to(password_reset::show))
        .route(password_reset::PATH, web::post().to(password_reset::submit))
        .route(
            "/admin/password-reset/{token}",
            web::get().to(password_reset::show_token),
        )
        .route(
            "/admin/password-reset/{token}",
            web::post().to(password_reset::submit_token),
        )
        .route("/admin/outbox", web::get().to(outbox::show))
        .route("/admin/reports", web::get().to(reports::show))
        .route(
            "/admin/reports/weights",
            web::get().to(reports::weights_show),
        )
        .route(
            "/admin/reports/weights",
            web::post().to(reports::weights_submit),
        )
        .route("/admin/lockouts", web::get().to(lockouts::show))
        .route("/admin/api-keys", web::get().to(api_keys::show))
        .route("/admin/api-keys", web::post().to(api_keys::create))
        .route(
            "/admin/api-keys/{id}/revoke",
            web::post().to(api_keys::revoke),
        )
        .route("/admin/hotspots", web::get().to(hotspots::show))
        .route("/admin/businesses/{id}", web::get().to(hotspots::business))
        .route(
            "/admin/businesses/{id}/merge",
            web::post().to(hotspots::merge),
        )
        .route("/admin/joint-actions", web::get().to(joint_actions::list))
        .route("/admin/joint-actions", web::post().to(joint_actions::open))
        .route(
            "/admin/joint-actions/{id}",
            web::get().to(joint_actions::show),
        )
        .route(
            "/admin/joint-actions/{id}/{action}",
            web::post().to(joint_actions::act),
        )
        .route("/admin/outbox/{id}/retry", web::post().to(outbox::retry))
        .route("/admin/complaints/new", web::get().to(file_complaint::show))
        .route(
            "/admin/complaints/new",
            web::post().to(file_complaint::submit),
        )
        .route("/admin/complaints/{id}", web::get().to(complaint::show))
        .route(
            "/admin/attachments/{id}",
            web::get().to(attachment::download),
        )
        // Issue 16: what the resident will receive, before the action is taken.
        .route(
            "/admin/complaints/{id}/{action}/preview",
            web::post().to(complaint::preview),
        )
        // Issue 13, before the generic action route that would answer them 404.
        .route(
            "/admin/complaints/{id}/merge",
            web::post().to(case_links::act),
        )
        .route(
            "/admin/complaints/{id}/link",
            web::post().to(case_links::act),
        )
        .route(
            "/admin/complaints/{id}/unlink",
            web::post().to(case_links::act),
        )
        .route(
            "/admin/complaints/{id}/{action}",
            web::post().to(complaint::act),
        );
    manage::configure(cfg);
}

/// Every `name=value` pair of a urlencoded body, repeated names kept. (A form's POST goes
/// through `extract::form`, which checks its size and token first.)
pub(crate) fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// The first value of `name`, if sent.
pub(crate) use crate::extract::form_body::first_value as field;
