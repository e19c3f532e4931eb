//! The admin pages' shared frame (`AdminContext`: language, the signed-in staff member,
//! a one-time message) and the page structs of sign-in and password change.

use askama::Template;

use super::PageContext;
use crate::db::reference::{Named, ReferenceData};
use crate::domain::access::{self};
use crate::extract::session::Staff;

/// The signed-in staff member as the frame shows them.
pub struct StaffView {
    pub username: String,
    pub department: String,
    pub csrf_token: String,
    pub may_manage: bool,
    pub may_see_outbox: bool,
    pub may_see_reports: bool,
}

pub struct AdminContext {
    pub ctx: PageContext,
    pub staff: Option<StaffView>,
    pub flash: Option<String>,
}

impl AdminContext {
    pub fn new(
        ctx: PageContext,
        staff: Option<&Staff>,
        reference: Option<&ReferenceData>,
    ) -> AdminContext {
        let locale = ctx.locale;
        let staff = staff.map(|s| StaffView {
            username: s.username.clone(),
            department: reference
                .and_then(|r| r.department(&s.department))
                .map_or(s.department.clone(), |d| d.name(locale).to_owned()),
            csrf_token: s.csrf_token.clone(),
            may_manage: access::may_manage(s.role),
            may_see_outbox: access::may_see_outbox(s.role),
            may_see_reports: access::bulletin_view(s.role).is_some(),
        });
        AdminContext {
            ctx,
            staff,
            flash: None,
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.ctx.t(key)
    }

    /// The signed-in member's CSRF token, for the forms of a page.
    pub fn csrf_token(&self) -> &str {
        self.staff.as_ref().map_or("", |s| s.csrf_token.as_str())
    }
}

#[derive(Template)]
#[template(path = "admin/login.html")]
pub struct LoginPage {
    pub admin: AdminContext,
    pub csrf_token: String,
    pub username: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/password.html")]
pub struct PasswordPage {
    pub admin: AdminContext,
    pub error: Option<String>,
}

/// Staff filing for a caller: the public form's fields plus the channel.
#[derive(Template)]
#[template(path = "admin/file_complaint.html")]
pub struct FileComplaintPage {
    pub admin: AdminContext,
    pub ctx: PageContext,
    pub form: super::public::ComplaintFormParts,
    pub channel: String,
}

/// After filing for a caller: the code to read out.
#[derive(Template)]
#[template(path = "admin/filed.html")]
pub struct FiledPage {
    pub admin: AdminContext,
    pub code: String,
}

/// A message the worker will not deliver without an operator.
pub struct UndeliveredRow {
    pub id: i64,
    pub created: String,
    /// A department inbox in full; a complainant's address masked.
    pub recipient: String,
    pub subject: String,
    pub state: String,
    pub attempts: i32,
    pub reason: String,
}

/// A row of `/admin/lockouts`.
pub struct LockoutRow {
    pub username: String,
    /// `None`: the username is locked at every address that failed.
    pub address: Option<String>,
    pub failures: i32,
    pub last_failure: String,
    pub locked_until: String,
    pub still_locked: bool,
}

#[derive(Template)]
#[template(path = "admin/lockouts.html")]
pub struct LockoutsPage {
    pub admin: AdminContext,
    pub rows: Vec<LockoutRow>,
}

#[derive(Template)]
#[template(path = "admin/outbox.html")]
pub struct OutboxPage {
    pub admin: AdminContext,
    pub counts: Vec<(&'static str, i64)>,
    pub rows: Vec<UndeliveredRow>,
    pub next_before: Option<i64>,
}
