//! Black-box tests over HTTP against the spawned service with a real SQLite file.

mod filing;
mod helpers;
mod i18n;
mod restart;
mod security;
mod tracking;
mod validation;
