//! Black-box tests over HTTP against the spawned service with a real SQLite file.

mod attachments;
mod browser;
mod email;
mod filing;
mod helpers;
mod i18n;
mod isolation;
mod manage;
mod queue;
mod restart;
mod security;
mod sessions;
mod smtp_server;
mod tracking;
mod triage;
mod validation;
