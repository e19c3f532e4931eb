//! The database each test runs on: a SQLite file in its data folder, or, when
//! `TEST_DATABASE_URL=postgres://…` is set, a fresh PostgreSQL database of its own.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use diesel::prelude::*;
use green_channel::db::DatabaseLocation;

/// The variable that moves the whole suite to PostgreSQL.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// The key `test_config` gives every app; the real binary needs it on PostgreSQL.
pub const TEST_SECRET_KEY: [u8; 64] = [42; 64];

/// The file in a data folder that names the PostgreSQL database going with it, so that a
/// restart on the same folder finds the same data, as it finds the same SQLite file.
const DATABASE_RECORD: &str = "test-database-url";

/// The PostgreSQL server the suite runs on, if it runs on PostgreSQL.
pub fn postgres_server() -> Option<String> {
    std::env::var(TEST_DATABASE_URL)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

pub fn on_postgres() -> bool {
    postgres_server().is_some()
}

/// For the tests that only mean something on PostgreSQL: the server, or `None` after saying
/// so on the process's stderr (not the test's captured output), so that the skip is seen.
pub fn postgres_only(test: &str) -> Option<String> {
    let server = postgres_server();
    if server.is_none() {
        // One write, on a line of its own: the harness prints its results beside it.
        let line = format!(
            "\nSKIPPED {test}: PostgreSQL only; set {TEST_DATABASE_URL}=postgres://… to run it\n"
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
    server
}

/// The database of a data folder: the SQLite file in it, or on PostgreSQL a database created
/// on first use and found again through the folder afterwards.
pub fn database_for(data_dir: &Path) -> DatabaseLocation {
    let Some(server) = postgres_server() else {
        return DatabaseLocation::SqliteFile(data_dir.join("green-channel.db"));
    };
    let record = data_dir.join(DATABASE_RECORD);
    if let Ok(url) = std::fs::read_to_string(&record) {
        return DatabaseLocation::Postgres(url);
    }
    sweep_leftovers(&server);
    let url = create_database(&server, "");
    // The folder, noted on the database, tells a later sweep whether the test is over.
    let mut admin = diesel::PgConnection::establish(&server).unwrap();
    let folder = data_dir.to_string_lossy().replace('\'', "''");
    diesel::sql_query(format!(
        "COMMENT ON DATABASE {} IS '{folder}'",
        database_name(&url)
    ))
    .execute(&mut admin)
    .unwrap();
    std::fs::create_dir_all(data_dir).unwrap();
    std::fs::write(&record, &url).unwrap();
    DatabaseLocation::Postgres(url)
}

#[derive(QueryableByName)]
struct Leftover {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    folder: Option<String>,
}

/// Once per test process: drops the test databases whose data folder is gone (a test's
/// folder is removed when it ends), left by tests that kept their folder themselves, by
/// failures, or by a run that was stopped. A database still being made has no note yet
/// and is left alone.
fn sweep_leftovers(server: &str) {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        let Ok(mut admin) = diesel::PgConnection::establish(server) else {
            return;
        };
        let leftovers: Vec<Leftover> = diesel::sql_query(
            "SELECT datname::text AS name, shobj_description(oid, 'pg_database') AS folder \
             FROM pg_database WHERE datname LIKE 'gc\\_t\\_%' \
             AND pg_get_userbyid(datdba) = current_user",
        )
        .load(&mut admin)
        .unwrap_or_default();
        for leftover in leftovers {
            if leftover.folder.is_some_and(|f| !Path::new(&f).exists()) {
                let _ = diesel::sql_query(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    leftover.name
                ))
                .execute(&mut admin);
            }
        }
    });
}

/// The database a URL made by `create_database` names.
fn database_name(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.path().trim_start_matches('/').to_owned())
        .unwrap_or_default()
}

/// Creates an empty database `gc_t_<random>` on `server` and returns its URL. `options` are
/// appended to `CREATE DATABASE … TEMPLATE template0` (an encoding, a locale).
pub fn create_database(server: &str, options: &str) -> String {
    let name = format!("gc_t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = diesel::PgConnection::establish(server)
        .unwrap_or_else(|e| panic!("{TEST_DATABASE_URL}: cannot connect: {e}"));
    // template0: never in use by anyone (template1 may be, which makes CREATE fail), and
    // free of whatever was installed into template1.
    diesel::sql_query(format!(
        "CREATE DATABASE {name} TEMPLATE template0 {options}"
    ))
    .execute(&mut admin)
    .unwrap_or_else(|e| {
        panic!("{TEST_DATABASE_URL}: cannot create a database (the role needs CREATEDB): {e}")
    });
    with_database(server, &name)
}

/// `server` with its database replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let mut url =
        url::Url::parse(server).unwrap_or_else(|e| panic!("{TEST_DATABASE_URL} is not a URL: {e}"));
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Drops a database made by `create_database`; best effort (a leftover does no harm).
pub fn drop_database(url: &str) {
    let Some(server) = postgres_server() else {
        return;
    };
    let name = database_name(url);
    if !name.starts_with("gc_t_") {
        return;
    }
    if let Ok(mut admin) = diesel::PgConnection::establish(&server) {
        // FORCE: the test's server may still hold pooled connections.
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin);
    }
}

/// Drops the PostgreSQL database of a data folder when the test owning the folder ends;
/// after a failure it is kept (and named) for a look.
pub struct DatabaseGuard {
    url: Option<String>,
}

impl DatabaseGuard {
    pub fn of(data_dir: &Path) -> DatabaseGuard {
        DatabaseGuard {
            url: std::fs::read_to_string(data_dir.join(DATABASE_RECORD)).ok(),
        }
    }
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        let Some(url) = self.url.take() else { return };
        if std::thread::panicking() {
            eprintln!("kept the failed test's database until the next run: {url}");
        } else {
            drop_database(&url);
        }
    }
}

/// Points the real binary at the database of `data_dir`; on PostgreSQL with the database's
/// URL and the shared `SECRET_KEY` the service requires there.
pub fn binary_env<'c>(command: &'c mut Command, data_dir: &Path) -> &'c mut Command {
    // Tests run the sweeper (and the digest with it) themselves, at moments of their
    // choosing, never at the whim of the day of the week the suite runs on.
    command
        .env("DATA_DIR", data_dir)
        .env("SWEEP_INTERVAL_SECONDS", "0")
        // As `spawn_app`: signing in as admin takes the password alone (`totp.rs` tests
        // the second factor).
        .env("REQUIRE_TOTP_ROLES", "");
    if let DatabaseLocation::Postgres(url) = database_for(data_dir) {
        command.env("DATABASE_URL", url).env(
            "SECRET_KEY",
            base64::engine::general_purpose::STANDARD.encode(TEST_SECRET_KEY),
        );
    }
    command
}
