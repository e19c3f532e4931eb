//! Request plumbing: the visitor's language, the client address, the stateless CSRF pair
//! of the public forms, rate limits and security headers. No page or database logic here.

pub mod client;
pub mod csrf;
pub mod form_body;
pub mod headers;
pub mod locale;
pub mod rate_limit;
pub mod session;
