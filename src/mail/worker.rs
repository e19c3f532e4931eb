//! The delivery worker: claims due outbox rows, sends them and records the result — sent,
//! retried later with backoff, failed, given up or suppressed. Rendering does not live here.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::NaiveDateTime;
use rand::Rng as _;
use tokio::sync::{watch, Notify};

use super::transport::{Mailer, SendError, SEND_TIMEOUT};
use super::RecipientKind;
use crate::clock::now_utc;
use crate::config::Config;
use crate::db::outbox::{self, OutboxRow, FAILED, GIVEN_UP, SUPPRESSED};
use crate::db::{Backend, Database};

/// Retries double from `OUTBOX_RETRY_BASE_SECS` up to this (the issue: "to one hour").
const MAX_RETRY_DELAY: Duration = Duration::from_secs(60 * 60);
/// How many rows one claim takes; they are sent concurrently. One SMTP hand-over waits for
/// the server's acknowledgement of the final dot, and lettre's sockets keep Nagle's algorithm
/// on, so each message costs a delayed ACK (about 40 ms on Linux) whatever the server's speed:
/// one at a time that is 25 messages a second (measured by the benchmark of issue 6).
const BATCH_SIZE: i64 = 32;
/// How long a claim keeps other workers off its rows. A batch goes out at once, so it needs
/// about one `SEND_TIMEOUT`; the rest is margin for a slow database.
const LEASE: Duration = Duration::from_secs(15 * 60);
/// The worker also looks for due rows this often, for retries that fall due and for rows
/// written by another instance (whose wake-up this instance never hears).
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How the worker treats failures and limits; from `Config`, or made up by tests.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub retry_base: Duration,
    pub give_up_after: chrono::Duration,
    /// Complainant messages one address may get in 24 hours; past it they are suppressed.
    pub per_recipient_per_day: u32,
    pub batch_size: i64,
    /// How long a claim keeps other workers off a row: a whole batch must fit in it.
    pub lease: chrono::Duration,
}

impl DeliverySettings {
    pub fn from_config(config: &Config) -> DeliverySettings {
        DeliverySettings::new(
            config.outbox_retry_base_secs,
            config.outbox_give_up_hours,
            config.mail_per_recipient_per_day,
        )
    }

    /// From the three settings of the environment; never panics, whatever their size.
    pub fn new(
        retry_base_secs: u64,
        give_up_hours: u64,
        per_recipient_per_day: u32,
    ) -> DeliverySettings {
        let batch_size = BATCH_SIZE;
        DeliverySettings {
            retry_base: Duration::from_secs(retry_base_secs.max(1)),
            // An absurdly large OUTBOX_GIVE_UP_HOURS means "never".
            give_up_after: i64::try_from(give_up_hours)
                .ok()
                .and_then(chrono::Duration::try_hours)
                .unwrap_or(chrono::Duration::MAX),
            per_recipient_per_day,
            batch_size,
            lease: chrono::Duration::from_std(LEASE.max(SEND_TIMEOUT * 2))
                .unwrap_or(chrono::Duration::hours(1)),
        }
    }
}

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub given_up: usize,
    pub suppressed: usize,
}

impl DeliveryReport {
    pub fn is_empty(&self) -> bool {
        *self == DeliveryReport::default()
    }

    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Sent => self.sent += 1,
            Outcome::Retried => self.retried += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::GivenUp => self.given_up += 1,
            Outcome::Suppressed => self.suppressed += 1,
            Outcome::SettledElsewhere => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    Retried,
    Failed,
    GivenUp,
    Suppressed,
    /// Another worker or an operator changed the row meanwhile; ours was not recorded.
    SettledElsewhere,
}

/// The wait before the next attempt after `failed_attempts` failures: the base doubling per
/// failure, at most an hour, then shortened by up to a fifth (`jitter` in `[0, 1)`) so that
/// messages that failed together do not all come back together.
pub fn backoff(base: Duration, failed_attempts: i32, jitter: f64) -> Duration {
    let doublings = u32::try_from(failed_attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let ceiling = MAX_RETRY_DELAY.max(base);
    let delay = base.saturating_mul(1 << doublings).min(ceiling);
    delay.mul_f64(1.0 - 0.2 * jitter.clamp(0.0, 1.0))
}

/// Sends every row that is due at `now`, in batches, until none is left; returns what
/// happened. The worker calls it on every wake-up; tests call it to deliver deterministically
/// (and to pretend that time has passed, by giving a later `now`).
pub async fn deliver_due(
    db: &Database,
    mailer: &Mailer,
    settings: &DeliverySettings,
    now: NaiveDateTime,
) -> anyhow::Result<DeliveryReport> {
    deliver(db, mailer, settings, || now, || false).await
}

async fn deliver<C, S>(
    db: &Database,
    mailer: &Mailer,
    settings: &DeliverySettings,
    clock: C,
    stopping: S,
) -> anyhow::Result<DeliveryReport>
where
    C: Fn() -> NaiveDateTime,
    S: Fn() -> bool,
{
    let mut report = DeliveryReport::default();
    loop {
        let now = clock();
        let lease_until = now + settings.lease;
        let limit = settings.batch_size;
        let batch = db
            .write(move |conn| outbox::claim_due(conn, now, lease_until, limit))
            .await
            .context("claiming due emails")?;
        if batch.is_empty() {
            return Ok(report);
        }
        if stopping() {
            let unsent: Vec<i64> = batch.iter().map(|r| r.id).collect();
            db.write(move |conn| outbox::release(conn, &unsent))
                .await
                .context("releasing claimed emails")?;
            return Ok(report);
        }
        // The whole batch at once, so that the waits of one hand-over overlap the others';
        // but one complainant's messages one after the other, in order, so that each sees
        // the ones before it in the daily cap (department inboxes have no cap).
        let now = clock();
        let capped = RecipientKind::Complainant.as_str();
        let mut by_recipient: Vec<Vec<&OutboxRow>> = Vec::new();
        for row in &batch {
            let queue = (row.recipient_kind == capped)
                .then(|| {
                    by_recipient.iter_mut().find(|rows| {
                        rows[0].recipient_kind == capped && rows[0].recipient == row.recipient
                    })
                })
                .flatten();
            match queue {
                Some(rows) => rows.push(row),
                None => by_recipient.push(vec![row]),
            }
        }
        let outcomes =
            futures_util::future::join_all(by_recipient.into_iter().map(|rows| async move {
                let mut outcomes = Vec::with_capacity(rows.len());
                for row in rows {
                    outcomes.push(deliver_one(db, mailer, settings, now, row).await);
                }
                outcomes
            }))
            .await;
        for outcome in outcomes.into_iter().flatten() {
            report.add(outcome?);
        }
    }
}

/// Delivery is at least once: a row is marked only after the transport took it, so a crash
/// in between sends it again, with the same `Message-ID`.
async fn deliver_one(
    db: &Database,
    mailer: &Mailer,
    settings: &DeliverySettings,
    now: NaiveDateTime,
    row: &OutboxRow,
) -> anyhow::Result<Outcome> {
    let id = row.id;
    if row.recipient_kind == RecipientKind::Complainant.as_str() {
        let recipient = row.recipient.clone();
        let since = now - chrono::Duration::hours(24);
        let already = db
            .read(move |conn| outbox::complainant_mail_sent_since(conn, &recipient, since))
            .await
            .context("counting messages to the recipient")?;
        if already >= i64::from(settings.per_recipient_per_day) {
            let error = format!(
                "not sent: {} messages already went to this address in 24 hours (MAIL_PER_RECIPIENT_PER_DAY)",
                settings.per_recipient_per_day
            );
            tracing::warn!(
                outbox_id = id,
                "email suppressed: recipient's daily cap reached"
            );
            return settle(db, id, SUPPRESSED, now, false, error, Outcome::Suppressed).await;
        }
    }
    match mailer.send(row).await {
        Ok(()) => {
            let marked = db
                .write(move |conn| outbox::mark_sent(conn, id, now))
                .await
                .context("marking an email sent")?;
            Ok(if marked {
                Outcome::Sent
            } else {
                Outcome::SettledElsewhere
            })
        }
        Err(error) => failed(db, settings, now, row, error).await,
    }
}

async fn failed(
    db: &Database,
    settings: &DeliverySettings,
    now: NaiveDateTime,
    row: &OutboxRow,
    error: SendError,
) -> anyhow::Result<Outcome> {
    let id = row.id;
    let attempts = row.attempts.saturating_add(1);
    // Logs get the kind and the reply code only: the server's text may name the recipient.
    if error.permanent {
        tracing::warn!(outbox_id = id, attempts, kind = error.kind, code = ?error.code, "email refused permanently");
        return settle(
            db,
            id,
            FAILED,
            now,
            true,
            error.to_string(),
            Outcome::Failed,
        )
        .await;
    }
    if now - row.window_started_at() >= settings.give_up_after {
        tracing::warn!(outbox_id = id, attempts, kind = error.kind, code = ?error.code, "email given up");
        let detail = format!(
            "gave up after {} hours of temporary failures; last: {error}",
            settings.give_up_after.num_hours()
        );
        return settle(db, id, GIVEN_UP, now, true, detail, Outcome::GivenUp).await;
    }
    let wait = backoff(settings.retry_base, attempts, rand::rng().random::<f64>());
    let due_at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
    tracing::info!(outbox_id = id, attempts, kind = error.kind, code = ?error.code, retry_in_secs = wait.as_secs(), "email delivery failed; will retry");
    let detail = error.to_string();
    let marked = db
        .write(move |conn| outbox::mark_retry(conn, id, now, due_at, &detail))
        .await
        .context("recording a failed attempt")?;
    Ok(if marked {
        Outcome::Retried
    } else {
        Outcome::SettledElsewhere
    })
}

async fn settle(
    db: &Database,
    id: i64,
    state: &'static str,
    now: NaiveDateTime,
    attempted: bool,
    error: String,
    outcome: Outcome,
) -> anyhow::Result<Outcome> {
    let marked = db
        .write(move |conn| outbox::mark_settled(conn, id, state, now, attempted, &error))
        .await
        .with_context(|| format!("marking an email {state}"))?;
    Ok(if marked {
        outcome
    } else {
        Outcome::SettledElsewhere
    })
}

/// The background task: delivers on every wake-up (a commit that wrote rows) and every
/// `POLL_INTERVAL`, until told to stop.
pub struct MailWorker {
    db: Database,
    mailer: Mailer,
    settings: DeliverySettings,
    wakeup: Arc<Notify>,
}

impl MailWorker {
    pub fn new(
        db: Database,
        mailer: Mailer,
        settings: DeliverySettings,
        wakeup: Arc<Notify>,
    ) -> MailWorker {
        MailWorker {
            db,
            mailer,
            settings,
            wakeup,
        }
    }

    /// Runs until `stop` turns true (or its sender is gone). Messages being sent when the
    /// stop comes are finished; a batch claimed but not started is released for the next start.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        if self.db.backend() == Backend::Sqlite {
            match self.db.write(outbox::release_all_leases).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    rows = n,
                    "sending again emails claimed by a process that stopped"
                ),
                Err(error) => tracing::error!(error = %error, "could not release old leases"),
            }
        }
        tracing::info!(transport = self.mailer.describe(), "email delivery started");
        loop {
            if *stop.borrow() {
                break;
            }
            let result = deliver(&self.db, &self.mailer, &self.settings, now_utc, || {
                *stop.borrow()
            })
            .await;
            match result {
                Ok(report) if !report.is_empty() => tracing::info!(
                    sent = report.sent,
                    retried = report.retried,
                    failed = report.failed,
                    given_up = report.given_up,
                    suppressed = report.suppressed,
                    "email delivery pass"
                ),
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(error = format!("{error:#}"), "email delivery pass failed")
                }
            }
            tokio::select! {
                _ = self.wakeup.notified() => {}
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
        tracing::info!("email delivery stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_an_hour_with_downward_jitter() {
        let base = Duration::from_secs(60);
        assert_eq!(backoff(base, 1, 0.0), Duration::from_secs(60));
        assert_eq!(backoff(base, 2, 0.0), Duration::from_secs(120));
        assert_eq!(backoff(base, 6, 0.0), Duration::from_secs(1920));
        assert_eq!(backoff(base, 7, 0.0), Duration::from_secs(3600));
        assert_eq!(backoff(base, 500, 0.0), Duration::from_secs(3600));
        assert_eq!(backoff(base, 1, 0.5), Duration::from_secs(54));
        for failed in 1..40 {
            for jitter in [0.0, 0.3, 0.999] {
                let wait = backoff(base, failed, jitter);
                assert!(wait <= MAX_RETRY_DELAY, "{failed} {jitter}");
                assert!(wait >= Duration::from_secs(48), "{failed} {jitter}");
            }
        }
        assert_eq!(
            backoff(Duration::from_secs(1), 0, 0.0),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn extreme_settings_do_not_overflow() {
        let settings = DeliverySettings::new(u64::MAX, u64::MAX, 0);
        assert_eq!(settings.give_up_after, chrono::Duration::MAX);
        assert!(backoff(settings.retry_base, 40, 0.5) > MAX_RETRY_DELAY);
        assert_eq!(
            DeliverySettings::new(60, 120, 30).give_up_after,
            chrono::Duration::hours(120)
        );
        assert_eq!(
            DeliverySettings::new(0, 1, 30).retry_base,
            Duration::from_secs(1)
        );
    }
}
