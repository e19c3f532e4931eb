//! SQLite's single writer: one thread owns the only writing connection and runs queued
//! transactions. Jobs that arrive together share one `BEGIN IMMEDIATE … COMMIT` (group
//! commit), each inside its own savepoint, and each caller is answered only after the commit.
//! What they leave to the end of the group (`DeferredWrites`) is written once, after them.

use std::sync::mpsc;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;
use tokio::sync::oneshot;

use super::{AnyConnection, DbError, DeferredWrites};

/// How many queued transactions may share one commit.
const MAX_GROUP: usize = 64;

type AnyTransactionManager = <AnyConnection as Connection>::TransactionManager;

/// A queued write: runs once inside the group transaction, then learns whether the group
/// committed.
trait Job: Send {
    /// Runs the job in its savepoint; what it defers (if it succeeded) joins `deferred`.
    fn run(
        self: Box<Self>,
        conn: &mut AnyConnection,
        deferred: &mut DeferredWrites,
    ) -> Box<dyn Completion>;
    fn abort(self: Box<Self>, error: DbError);
}

trait Completion: Send {
    fn complete(self: Box<Self>, committed: Result<(), DbError>);
}

struct WriteJob<F, T, E> {
    work: F,
    reply: oneshot::Sender<Result<T, E>>,
}

struct RanJob<T, E> {
    outcome: Result<T, E>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<F, T, E> Job for WriteJob<F, T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    fn run(
        self: Box<Self>,
        conn: &mut AnyConnection,
        _deferred: &mut DeferredWrites,
    ) -> Box<dyn Completion> {
        let outcome = in_transaction(conn, self.work);
        Box::new(RanJob {
            outcome,
            reply: self.reply,
        })
    }

    fn abort(self: Box<Self>, error: DbError) {
        let _ = self.reply.send(Err(E::from(error)));
    }
}

/// A job whose work also returns writes for the end of the group.
struct DeferringJob<F, T, E> {
    work: F,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<F, T, E> Job for DeferringJob<F, T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<(T, DeferredWrites), E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    fn run(
        self: Box<Self>,
        conn: &mut AnyConnection,
        deferred: &mut DeferredWrites,
    ) -> Box<dyn Completion> {
        let outcome = in_transaction(conn, self.work).map(|(value, writes)| {
            deferred.merge(writes);
            value
        });
        Box::new(RanJob {
            outcome,
            reply: self.reply,
        })
    }

    fn abort(self: Box<Self>, error: DbError) {
        let _ = self.reply.send(Err(E::from(error)));
    }
}

impl<T: Send, E: From<DbError> + Send> Completion for RanJob<T, E> {
    fn complete(self: Box<Self>, committed: Result<(), DbError>) {
        let answer = match (self.outcome, committed) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(error)) => Err(E::from(error)),
            (Err(error), _) => Err(error),
        };
        // The caller may have gone away (client disconnected); the write stands.
        let _ = self.reply.send(answer);
    }
}

pub(super) struct Writer {
    /// `None` only while dropping: closing the queue is what stops the thread.
    queue: Option<mpsc::Sender<Box<dyn Job>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    pub(super) fn start(conn: AnyConnection) -> Writer {
        let (queue, jobs) = mpsc::channel::<Box<dyn Job>>();
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, jobs))
            .expect("spawning the SQLite writer thread");
        Writer {
            queue: Some(queue),
            thread: Some(thread),
        }
    }

    fn enqueue<F, T, E>(&self, work: F) -> Result<oneshot::Receiver<Result<T, E>>, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.send(Box::new(WriteJob { work, reply }))?;
        Ok(answer)
    }

    fn send<E: From<DbError>>(&self, job: Box<dyn Job>) -> Result<(), E> {
        self.queue
            .as_ref()
            .ok_or(DbError::WriterGone)?
            .send(job)
            .map_err(|_| E::from(DbError::WriterGone))
    }

    pub(super) async fn submit_deferring<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<(T, DeferredWrites), E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.send::<E>(Box::new(DeferringJob { work, reply }))?;
        answer
            .await
            .unwrap_or_else(|_| Err(E::from(DbError::WriterGone)))
    }

    pub(super) async fn submit<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.enqueue(work)?
            .await
            .unwrap_or_else(|_| Err(E::from(DbError::WriterGone)))
    }

    pub(super) fn submit_blocking<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.enqueue(work)?
            .blocking_recv()
            .unwrap_or_else(|_| Err(E::from(DbError::WriterGone)))
    }
}

/// The last handle waits for the queued writes and for the connection to close, so that
/// whoever opens the file next (a CLI command, a restarted service, a test) finds it free:
/// closing the last WAL connection checkpoints and locks the file for a moment.
impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            // A job that held the last handle would be waiting for itself.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

fn run(mut conn: AnyConnection, jobs: mpsc::Receiver<Box<dyn Job>>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if let Err(error) = begin_immediate(&mut conn) {
            tracing::error!(error = %error, "could not begin a write transaction");
            let _ = AnyTransactionManager::rollback_transaction(&mut conn);
            for job in group {
                job.abort(DbError::Query(
                    diesel::result::Error::BrokenTransactionManager,
                ));
            }
            continue;
        }
        let mut deferred = DeferredWrites::default();
        let ran: Vec<_> = group
            .into_iter()
            .map(|job| job.run(&mut conn, &mut deferred))
            .collect();
        // Deferred writes failing fail the group: what its jobs did is rolled back with them.
        let committed = deferred
            .write(&mut conn)
            .map_err(|error| match error {
                DbError::Query(error) => error,
                other => diesel::result::Error::QueryBuilderError(other.to_string().into()),
            })
            .and_then(|()| AnyTransactionManager::commit_transaction(&mut conn));
        if let Err(error) = &committed {
            tracing::error!(error = %error, "group commit failed");
            let _ = AnyTransactionManager::rollback_transaction(&mut conn);
        }
        let failed = committed.is_err();
        for job in ran {
            job.complete(if failed {
                Err(DbError::Query(diesel::result::Error::RollbackTransaction))
            } else {
                Ok(())
            });
        }
    }
}

fn begin_immediate(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        AnyConnection::Postgresql(_) => AnyTransactionManager::begin_transaction(conn),
    }
}

/// Runs `work` in a transaction, or in a savepoint when one is already open.
pub(super) fn in_transaction<F, T, E>(conn: &mut AnyConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<DbError>,
{
    AnyTransactionManager::begin_transaction(conn).map_err(|e| E::from(e.into()))?;
    match work(conn) {
        Ok(value) => {
            AnyTransactionManager::commit_transaction(conn).map_err(|e| E::from(e.into()))?;
            Ok(value)
        }
        Err(error) => {
            if let Err(rollback) = AnyTransactionManager::rollback_transaction(conn) {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(error)
        }
    }
}
