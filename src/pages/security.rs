//! The staff security pages: password reset by email and two-step sign-in (TOTP).

use askama::Template;

use super::admin::AdminContext;

/// `GET|POST /admin/password-reset`: the same page whether or not the account exists.
#[derive(Template)]
#[template(path = "admin/password_reset.html")]
pub struct ResetRequestPage {
    pub admin: AdminContext,
    pub csrf_token: String,
    pub username: String,
    pub error: Option<String>,
    pub sent: bool,
}

/// `GET|POST /admin/password-reset/{token}`: the new password, or why the link is dead.
#[derive(Template)]
#[template(path = "admin/password_reset_new.html")]
pub struct ResetPasswordPage {
    pub admin: AdminContext,
    pub csrf_token: String,
    /// `None`: the link is unknown, used or expired.
    pub action: Option<String>,
    pub error: Option<String>,
}
