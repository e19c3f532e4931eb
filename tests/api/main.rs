//! Black-box tests over HTTP against the spawned service with a real SQLite file, or with a
//! fresh PostgreSQL database per test when `TEST_DATABASE_URL=postgres://…` is set.

mod attachments;
mod backends;
mod browser;
mod browser_desk;
mod bulletin;
mod businesses;
mod deadline_pages;
mod desk;
mod email;
mod file_modes;
mod filing;
mod hardening;
mod helpers;
mod i18n;
mod instances;
mod isolation;
mod manage;
mod metrics_access;
mod open311;
mod outbox_page;
mod queue;
mod restart;
mod security;
mod sessions;
mod smtp_server;
mod sweeper;
mod test_database;
mod throttles;
mod tracking;
mod triage;
mod validation;
