//! The database: one connection type for SQLite and PostgreSQL, a read pool, and on SQLite
//! the single writer that every write transaction queues for. Queries live in the modules
//! below, one per aggregate; nothing here knows about HTTP.

pub mod api_keys;
pub mod attachments;
pub mod bulk;
pub mod bulletin;
pub mod businesses;
mod checkpointer;
pub mod complaints;
pub mod deadlines;
mod deferred;
pub mod joint_actions;
pub mod manage;
pub mod open311;
pub mod outbox;
pub mod password_resets;
pub mod queue;
pub mod rate_limits;
pub mod recovery;
pub mod reference;
pub mod schema;
pub mod seed;
pub mod sessions;
pub mod totp;
mod types;
pub mod users;
pub mod views;
mod writer;

pub use deferred::DeferredWrites;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{CustomizeConnection, ManageConnection, R2D2Connection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database query failed")]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available")]
    Pool(#[from] r2d2::Error),
    #[error("the database writer has stopped")]
    WriterGone,
}

impl DbError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the data lives, parsed from `DATABASE_URL`; an unknown scheme is refused here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    SqliteFile(PathBuf),
    Postgres(String),
}

impl DatabaseLocation {
    pub fn parse(url: &str) -> anyhow::Result<DatabaseLocation> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseLocation::Postgres(url.to_owned()));
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            anyhow::ensure!(!path.is_empty(), "DATABASE_URL names no SQLite file");
            return Ok(DatabaseLocation::SqliteFile(PathBuf::from(path)));
        }
        anyhow::bail!(
            "DATABASE_URL must start with sqlite:// or postgres:// (got a URL with another scheme)"
        )
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseLocation::SqliteFile(_) => Backend::Sqlite,
            DatabaseLocation::Postgres(_) => Backend::Postgres,
        }
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Connects to the backend the location names, keeping the driver's own error message
/// (diesel's `MultiConnection::establish` replaces it with a generic one).
#[derive(Debug)]
pub struct ConnectionManager {
    location: DatabaseLocation,
}

impl ConnectionManager {
    fn establish(location: &DatabaseLocation) -> ConnectionResult<AnyConnection> {
        match location {
            DatabaseLocation::Postgres(url) => {
                PgConnection::establish(url).map(AnyConnection::Postgresql)
            }
            DatabaseLocation::SqliteFile(path) => {
                SqliteConnection::establish(&path.to_string_lossy()).map(AnyConnection::Sqlite)
            }
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        Self::establish(&self.location).map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        conn.is_broken()
    }
}

/// Runs `$body` with `$c` bound to the backend's own connection instead of `AnyConnection`,
/// for the hottest reads. Through `AnyConnection` diesel cannot key its statement cache by
/// the query's type, so it writes the whole SQL text out again on every execution just to
/// look the statement up (for `ComplaintRow`'s columns that was a fifth of the tracking
/// page's time); on the backend's connection the key is the type. Same SQL, same result.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Sqlite($c) => $body,
            $crate::db::AnyConnection::Postgresql($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Durability settings of every SQLite connection (DESIGN §2 and the intake issue):
/// WAL, `synchronous=FULL` so an acknowledged complaint survives a power cut.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";

#[derive(Debug)]
struct ReadConnectionSettings;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for ReadConnectionSettings {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        if let AnyConnection::Sqlite(c) = conn {
            // Readers never write: the single writer is the only way in.
            c.batch_execute(SQLITE_PRAGMAS)
                .and_then(|_| c.batch_execute("PRAGMA query_only = ON;"))
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

/// Dropped in this order: the writer goes last, so that its connection is the last to
/// close and leaves the file checkpointed and free (`writer::Writer`'s `Drop`).
struct Inner {
    backend: Backend,
    pool: Pool,
    /// Held for its `Drop`, which stops the thread.
    _checkpointer: Option<checkpointer::Checkpointer>,
    writer: Option<writer::Writer>,
}

impl Database {
    /// Opens the database, creating the SQLite file's folder, and applies pending migrations.
    pub fn open(location: &DatabaseLocation, read_pool_size: u32) -> anyhow::Result<Database> {
        let sqlite_threads = match location {
            DatabaseLocation::SqliteFile(path) => {
                create_parent_dir(path)?;
                crate::private_files::prepare_sqlite_file(path)?;
                let mut conn = ConnectionManager::establish(location)
                    .with_context(|| format!("opening SQLite database {}", path.display()))?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .context("setting SQLite pragmas")?;
                run_migrations(&mut conn)?;
                // Checkpoints happen on their own thread (checkpointer.rs), not in a commit;
                // the WAL is cut back to this size when it restarts.
                conn.batch_execute(
                    "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;",
                )
                .context("setting SQLite pragmas")?;
                let mut checkpoints = SqliteConnection::establish(&path.to_string_lossy())
                    .with_context(|| format!("opening SQLite database {}", path.display()))?;
                checkpoints
                    .batch_execute(SQLITE_PRAGMAS)
                    .context("setting SQLite pragmas")?;
                Some((
                    checkpointer::Checkpointer::start(checkpoints),
                    writer::Writer::start(conn),
                ))
            }
            DatabaseLocation::Postgres(_) => {
                let mut conn =
                    ConnectionManager::establish(location).context("connecting to PostgreSQL")?;
                run_migrations(&mut conn)?;
                None
            }
        };
        let (checkpointer, writer) = sqlite_threads.unzip();
        // Connections are made when first needed, not at start: r2d2 makes them on its own
        // threads, and one made at start could outlive a `Database` dropped at once (a CLI
        // command, a test), holding the file open after `open` and drop have returned.
        let pool = r2d2::Pool::builder()
            .max_size(read_pool_size)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(10))
            // No `SELECT 1` before every use: on PostgreSQL a round trip per request. A
            // connection found broken in use is dropped (`has_broken`) and the request fails
            // with a retryable error; nothing is half-written (every write is a transaction).
            .test_on_check_out(false)
            .connection_customizer(Box::new(ReadConnectionSettings))
            .build(ConnectionManager {
                location: location.clone(),
            })
            .context("building the connection pool")?;
        Ok(Database {
            inner: Arc::new(Inner {
                backend: location.backend(),
                pool,
                _checkpointer: checkpointer,
                writer,
            }),
        })
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// Runs `f` on a pooled connection off the async runtime.
    pub async fn read<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.inner.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|_| DbError::WriterGone)?
    }

    /// Runs `f` in a write transaction and answers only after it is committed. On SQLite
    /// the transaction queues for the single writer (and may share a commit with others).
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        match &self.inner.writer {
            Some(writer) => writer.submit(f).await,
            None => {
                let pool = self.inner.pool.clone();
                tokio::task::spawn_blocking(move || {
                    let mut conn = pool.get().map_err(DbError::from)?;
                    writer::in_transaction(&mut conn, f)
                })
                .await
                .map_err(|_| E::from(DbError::WriterGone))?
            }
        }
    }

    /// `write` for a transaction that leaves some writes (`DeferredWrites`) to the end of
    /// its group commit on SQLite; on PostgreSQL they end its own transaction.
    pub async fn write_deferring<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<(T, DeferredWrites), E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        match &self.inner.writer {
            Some(writer) => writer.submit_deferring(f).await,
            None => {
                self.write(move |conn| {
                    let (value, deferred) = f(conn)?;
                    deferred.write(conn)?;
                    Ok(value)
                })
                .await
            }
        }
    }

    /// `write` for code outside the async runtime (CLI commands, start-up).
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        match &self.inner.writer {
            Some(writer) => writer.submit_blocking(f),
            None => {
                let mut conn = self.inner.pool.get().map_err(DbError::from)?;
                writer::in_transaction(&mut conn, f)
            }
        }
    }

    /// Copies the whole WAL back into the SQLite file and empties it, waiting for the writer
    /// and readers (nothing on PostgreSQL). For batch jobs (seeding, relinking), whose
    /// write transactions follow each other too closely for the passive checkpoints to
    /// catch up: without it the WAL grows by everything they write (15 GB at a million).
    pub fn checkpoint_blocking(&self) -> Result<(), DbError> {
        if self.inner.backend != Backend::Sqlite {
            return Ok(());
        }
        let mut conn = self.inner.pool.get()?;
        // `query_only` still allows checkpoints.
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    /// `read` for code outside the async runtime.
    pub fn read_blocking<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, DbError>,
    {
        let mut conn = self.inner.pool.get()?;
        f(&mut conn)
    }
}

fn create_parent_dir(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            crate::private_files::create_private_dir(dir)
                .with_context(|| format!("creating the data folder {}", dir.display()))?;
        }
    }
    Ok(())
}

/// Makes the first-start bootstrap (demo data, the admin account) one instance's job when
/// several start together on an empty PostgreSQL database: the others wait here until its
/// transaction commits, then find the data there. Call first in the write transaction.
/// SQLite needs nothing: its write transactions are `BEGIN IMMEDIATE` already.
pub fn lock_bootstrap(conn: &mut AnyConnection) -> Result<(), DbError> {
    const BOOTSTRAP_LOCK: i64 = 0x4743_424f_4f54; // "GCBOOT"
    if let AnyConnection::Postgresql(pg) = conn {
        pg.batch_execute(&format!("SELECT pg_advisory_xact_lock({BOOTSTRAP_LOCK})"))?;
    }
    Ok(())
}

/// Applies the migrations of the connection's backend; on PostgreSQL under an advisory
/// lock so that instances starting together do not race.
fn run_migrations(conn: &mut AnyConnection) -> anyhow::Result<()> {
    const MIGRATION_LOCK: i64 = 0x4743_4d49_4752; // "GCMIGR"
    let migrations = match conn {
        AnyConnection::Postgresql(_) => POSTGRES_MIGRATIONS,
        AnyConnection::Sqlite(_) => SQLITE_MIGRATIONS,
    };
    let is_postgres = matches!(conn, AnyConnection::Postgresql(_));
    if is_postgres {
        conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
    }
    let result = conn
        .run_pending_migrations(migrations)
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("applying migrations: {e}"))
        .and_then(|()| {
            bulletin::build_tallies_once(conn)
                .map_err(|e| anyhow::anyhow!("computing the bulletin's day tallies: {e:?}"))
        });
    if is_postgres {
        conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
    }
    result
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = Text)]
        compile_options: String,
    }

    /// `.cargo/config.toml` builds the bundled SQLite with the query planner stability
    /// guarantee; without it every `.first()` on SQLite is parsed and planned anew.
    #[test]
    fn the_bundled_sqlite_keeps_its_plans_whatever_the_bound_values() {
        let mut conn = diesel::SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
            .load::<CompileOption>(&mut conn)
            .expect("compile options")
            .into_iter()
            .map(|o| o.compile_options)
            .collect();
        assert!(
            options.iter().any(|o| o == "ENABLE_QPSG"),
            "SQLite was built without SQLITE_ENABLE_QPSG: {options:?}"
        );
    }
}
