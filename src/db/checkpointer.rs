//! SQLite's WAL checkpoints, off the writer's path. By default the connection that commits
//! the transaction that crosses 1,000 WAL pages copies them into the database file and
//! syncs it, inside its commit: with one writer serving every request, each such commit
//! (several a second under load) stalls every request queued behind it. The writer turns
//! that off, and this thread checkpoints in passive mode on its own connection instead:
//! it copies what no reader still needs and never blocks the writer.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::SqliteConnection;

/// How often the WAL is copied back: short enough to keep the WAL small under load.
const EVERY: Duration = Duration::from_millis(250);

pub(super) struct Checkpointer {
    /// Closing this stops the thread.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub(super) fn start(mut conn: SqliteConnection) -> Checkpointer {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                // A message or a closed channel (the `Database` is gone) ends it.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    if let Err(error) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
                        tracing::warn!(error = %error, "WAL checkpoint failed");
                    }
                }
            })
            .expect("spawning the SQLite checkpoint thread");
        Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
