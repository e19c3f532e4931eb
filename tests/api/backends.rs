//! One binary, two backends: the migration folders match, the schema each backend builds
//! matches `schema.rs`, and start-up refuses a database it cannot run on.

use green_channel::domain::ids::ComplaintId;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use green_channel::db::{Backend, Database, DatabaseLocation};

use crate::helpers::{spawn_app, spawn_app_with, stored_complaint, valid_complaint, with, TestApp};
use crate::test_database::{
    create_database, database_for, drop_database, on_postgres, postgres_only, DatabaseGuard,
};

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn migration_folders(backend: &str) -> Vec<String> {
    let dir = crate_root().join("migrations").join(backend);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migration_folders() {
    let sqlite = migration_folders("sqlite");
    let postgres = migration_folders("postgres");
    assert!(!sqlite.is_empty());
    // The same names mean the same versions in `__diesel_schema_migrations` on either
    // backend: a change made for one only still needs its (possibly empty) twin.
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres"
    );
    for backend in ["sqlite", "postgres"] {
        for name in &sqlite {
            for file in ["up.sql", "down.sql"] {
                let path = crate_root()
                    .join("migrations")
                    .join(backend)
                    .join(name)
                    .join(file);
                assert!(path.is_file(), "{} is missing", path.display());
            }
        }
    }
}

/// A column as `schema.rs` declares it: its diesel type without `Nullable<…>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Declared {
    sql_type: String,
    nullable: bool,
}

#[derive(Debug, Clone, Default)]
struct DeclaredTable {
    primary_key: Vec<String>,
    columns: BTreeMap<String, Declared>,
}

/// The `diesel::table!` blocks of src/db/schema.rs, read as text.
fn declared_schema() -> BTreeMap<String, DeclaredTable> {
    let text = std::fs::read_to_string(crate_root().join("src/db/schema.rs")).unwrap();
    let mut tables = BTreeMap::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line != "diesel::table! {" {
            continue;
        }
        // `name (key, key) {`
        let header = lines.next().expect("a table header");
        let (name, rest) = header.split_once(' ').expect("name (key) {");
        let key = rest
            .trim_start_matches('(')
            .split_once(')')
            .expect("a primary key")
            .0;
        let mut table = DeclaredTable {
            primary_key: key.split(',').map(|k| k.trim().to_owned()).collect(),
            ..DeclaredTable::default()
        };
        for line in lines.by_ref() {
            if line == "}" {
                break;
            }
            // `column -> Type,` or `column -> Nullable<Type>,`
            let (column, sql_type) = line
                .trim_end_matches(',')
                .split_once(" -> ")
                .unwrap_or_else(|| panic!("schema.rs: cannot read {line:?}"));
            let (sql_type, nullable) = match sql_type.strip_prefix("Nullable<") {
                Some(inner) => (inner.trim_end_matches('>'), true),
                None => (sql_type, false),
            };
            table.columns.insert(
                column.to_owned(),
                Declared {
                    sql_type: sql_type.to_owned(),
                    nullable,
                },
            );
        }
        tables.insert(name.to_owned(), table);
    }
    tables
}

/// A column as a database's catalogue describes it.
#[derive(Debug, Clone)]
struct Found {
    /// As the catalogue spells it, lower-cased: `text`, `timestamp without time zone`, …
    sql_type: String,
    not_null: bool,
    /// Position in the primary key, from 1.
    key_position: Option<i32>,
    generated: bool,
}

#[derive(Debug, Clone, Default)]
struct FoundTable {
    columns: BTreeMap<String, Found>,
    /// SQLite: `CREATE VIRTUAL TABLE …` (an FTS5 table).
    is_virtual: bool,
}

#[derive(QueryableByName)]
struct SqliteTable {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    sql: String,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

/// Tables and columns from `sqlite_master` and `pragma table_info`, without SQLite's own
/// tables, diesel's bookkeeping and the FTS5 shadow tables of the search table.
fn sqlite_catalogue(path: &Path) -> BTreeMap<String, FoundTable> {
    let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    // As every opener of a shared file should: wait for another connection's moment.
    conn.batch_execute("PRAGMA busy_timeout = 5000").unwrap();
    let tables: Vec<SqliteTable> = diesel::sql_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND name <> '__diesel_schema_migrations' ORDER BY name",
    )
    .load(&mut conn)
    .unwrap();
    let mut found = BTreeMap::new();
    for table in tables {
        if table.name.starts_with(&format!("{SEARCH_TABLE}_")) {
            continue;
        }
        let columns: Vec<SqliteColumn> = diesel::sql_query(
            "SELECT name, type AS declared, \"notnull\" AS not_null, pk \
             FROM pragma_table_info(?)",
        )
        .bind::<Text, _>(&table.name)
        .load(&mut conn)
        .unwrap();
        let columns = columns
            .into_iter()
            .map(|c| {
                let sql_type = c.declared.to_lowercase();
                // `INTEGER PRIMARY KEY` is the rowid: never NULL, whatever `notnull` says.
                let rowid = c.pk == 1 && sql_type == "integer";
                let found = Found {
                    not_null: c.not_null == 1 || rowid,
                    key_position: (c.pk > 0).then_some(c.pk),
                    generated: false,
                    sql_type,
                };
                (c.name, found)
            })
            .collect();
        found.insert(
            table.name,
            FoundTable {
                columns,
                is_virtual: table.sql.starts_with("CREATE VIRTUAL TABLE"),
            },
        );
    }
    found
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
    #[diesel(sql_type = Text)]
    is_generated: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
    key_position: Option<i32>,
}

/// Tables and columns from `information_schema`, without diesel's bookkeeping.
fn postgres_catalogue(url: &str) -> BTreeMap<String, FoundTable> {
    let mut conn = diesel::PgConnection::establish(url).unwrap();
    let columns: Vec<PgColumn> = diesel::sql_query(
        "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
                c.data_type::text AS data_type, c.is_nullable::text AS is_nullable, \
                c.is_generated::text AS is_generated, \
                k.ordinal_position::integer AS key_position \
         FROM information_schema.columns c \
         JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         LEFT JOIN (information_schema.table_constraints tc \
                    JOIN information_schema.key_column_usage k \
                      ON k.constraint_schema = tc.constraint_schema \
                     AND k.constraint_name = tc.constraint_name) \
           ON tc.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema \
          AND k.table_name = c.table_name AND k.column_name = c.column_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
           AND c.table_name <> '__diesel_schema_migrations'",
    )
    .load(&mut conn)
    .unwrap();
    let mut found: BTreeMap<String, FoundTable> = BTreeMap::new();
    for c in columns {
        found.entry(c.table_name).or_default().columns.insert(
            c.column_name,
            Found {
                sql_type: c.data_type.to_lowercase(),
                not_null: c.is_nullable == "NO",
                key_position: c.key_position,
                generated: c.is_generated == "ALWAYS",
            },
        );
    }
    found
}

/// The one table whose shape differs by design (DESIGN §6). SQLite: an FTS5 virtual table,
/// its columns untyped and without constraints (FTS5's shadow tables beside it are left
/// out above). PostgreSQL: a plain table with the declared columns plus one generated
/// `tsvector` column, `terms_tsv`, that the GIN index is built on.
const SEARCH_TABLE: &str = "complaint_search";
const SEARCH_VECTOR: &str = "terms_tsv";

/// Whether a catalogue type can hold what the diesel type reads and writes. Not equality
/// (DESIGN §8): SQLite keeps the declared name and reads by affinity, so an integer key
/// may be `INTEGER` (the rowid) for a `BigInt`, and dates and times may be text.
fn compatible(backend: Backend, declared: &str, found: &str) -> bool {
    match backend {
        Backend::Sqlite => match declared {
            "Text" => ["text", "varchar", "char", "clob"]
                .iter()
                .any(|t| found.contains(t)),
            "Integer" | "BigInt" => found.contains("int"),
            "Bool" => ["boolean", "bool", "integer"].contains(&found),
            "Timestamp" => ["timestamp", "datetime", "text"].contains(&found),
            "Date" => ["date", "text"].contains(&found),
            "Binary" => found == "blob",
            _ => false,
        },
        Backend::Postgres => match declared {
            "Text" => ["text", "character varying"].contains(&found),
            "Integer" => found == "integer",
            "BigInt" => found == "bigint",
            "Bool" => found == "boolean",
            "Timestamp" => found == "timestamp without time zone",
            "Date" => found == "date",
            "Binary" => found == "bytea",
            _ => false,
        },
    }
}

/// Every difference between `schema.rs` and a catalogue, in words.
fn differences(
    backend: Backend,
    declared: &BTreeMap<String, DeclaredTable>,
    found: &BTreeMap<String, FoundTable>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for name in found.keys().filter(|n| !declared.contains_key(*n)) {
        problems.push(format!("{name}: in the database, not in schema.rs"));
    }
    for (name, table) in declared {
        let Some(actual) = found.get(name) else {
            problems.push(format!("{name}: in schema.rs, not in the database"));
            continue;
        };
        let search = name == SEARCH_TABLE;
        for column in actual.columns.keys() {
            let allowed = search
                && backend == Backend::Postgres
                && column == SEARCH_VECTOR
                && actual.columns[column].sql_type == "tsvector"
                && actual.columns[column].generated;
            if !table.columns.contains_key(column) && !allowed {
                problems.push(format!(
                    "{name}.{column}: in the database, not in schema.rs"
                ));
            }
        }
        if search && backend == Backend::Postgres && !actual.columns.contains_key(SEARCH_VECTOR) {
            problems.push(format!(
                "{name}.{SEARCH_VECTOR}: the tsvector column is missing"
            ));
        }
        if search && backend == Backend::Sqlite {
            if !actual.is_virtual {
                problems.push(format!("{name}: expected the FTS5 virtual table"));
            }
            for column in table.columns.keys() {
                if !actual.columns.contains_key(column) {
                    problems.push(format!(
                        "{name}.{column}: in schema.rs, not in the database"
                    ));
                }
            }
            continue;
        }
        for (column, want) in &table.columns {
            let Some(have) = actual.columns.get(column) else {
                problems.push(format!(
                    "{name}.{column}: in schema.rs, not in the database"
                ));
                continue;
            };
            if !compatible(backend, &want.sql_type, &have.sql_type) {
                problems.push(format!(
                    "{name}.{column}: {} in schema.rs, {} in the database",
                    want.sql_type, have.sql_type
                ));
            }
            if want.nullable == have.not_null {
                problems.push(format!(
                    "{name}.{column}: {} in schema.rs, {} in the database",
                    if want.nullable {
                        "nullable"
                    } else {
                        "not null"
                    },
                    if have.not_null {
                        "NOT NULL"
                    } else {
                        "nullable"
                    },
                ));
            }
        }
        let mut key: Vec<(i32, &String)> = actual
            .columns
            .iter()
            .filter_map(|(column, c)| c.key_position.map(|p| (p, column)))
            .collect();
        key.sort();
        let key: Vec<&String> = key.into_iter().map(|(_, c)| c).collect();
        if key != table.primary_key.iter().collect::<Vec<_>>() {
            problems.push(format!(
                "{name}: primary key {:?} in schema.rs, {key:?} in the database",
                table.primary_key
            ));
        }
    }
    problems
}

#[test]
fn the_schema_of_each_backend_matches_schema_rs() {
    let declared = declared_schema();
    assert!(
        declared.len() >= 17,
        "schema.rs read: {:?}",
        declared.keys()
    );
    assert_eq!(
        declared["outbox"].columns["lease_until"],
        Declared {
            sql_type: "Timestamp".into(),
            nullable: true
        }
    );

    // SQLite in every run: it costs a file.
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("schema.db");
    Database::open(&DatabaseLocation::SqliteFile(sqlite.clone()), 1).unwrap();
    let found = sqlite_catalogue(&sqlite);
    let problems = differences(Backend::Sqlite, &declared, &found);
    assert!(problems.is_empty(), "SQLite: {problems:#?}");

    // The comparison sees a difference where there is one.
    let mut altered = declared.clone();
    let outbox = altered.get_mut("outbox").unwrap();
    outbox.columns.get_mut("attempts").unwrap().sql_type = "Text".into();
    outbox.columns.get_mut("sent_at").unwrap().nullable = false;
    outbox.columns.remove("last_error");
    altered.remove("holidays");
    assert_eq!(
        differences(Backend::Sqlite, &altered, &found).len(),
        4,
        "{:#?}",
        differences(Backend::Sqlite, &altered, &found)
    );

    if on_postgres() {
        let pg_dir = tempfile::tempdir().unwrap();
        let location = database_for(pg_dir.path());
        let _database = DatabaseGuard::of(pg_dir.path());
        Database::open(&location, 1).unwrap();
        let DatabaseLocation::Postgres(url) = location else {
            unreachable!("on PostgreSQL")
        };
        let found = postgres_catalogue(&url);
        let problems = differences(Backend::Postgres, &declared, &found);
        assert!(problems.is_empty(), "PostgreSQL: {problems:#?}");
        assert_eq!(differences(Backend::Postgres, &altered, &found).len(), 4);
    }
}

/// Runs the binary with only `env`, and gives it `limit` to exit: (success, stderr).
fn run_briefly(env: &[(&str, &str)], data_dir: &Path, limit: Duration) -> (bool, String) {
    let log = data_dir.with_extension("log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_green-channel"))
        .env_clear()
        .envs(env.iter().copied())
        .env("DATA_DIR", data_dir)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "still running after {limit:?}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.success(), std::fs::read_to_string(&log).unwrap())
}

#[test]
fn start_up_refuses_an_unknown_database_scheme_and_postgresql_without_a_secret_key() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "mysql://gc:gc@127.0.0.1/gc",
        "postgre://gc@127.0.0.1/gc",
        "data/green-channel.db",
        "https://example.com/gc",
    ] {
        let data = dir.path().join("unknown");
        let (ok, stderr) = run_briefly(&[("DATABASE_URL", url)], &data, Duration::from_secs(30));
        assert!(!ok, "{url} was accepted");
        assert!(
            stderr.contains("DATABASE_URL must start with sqlite:// or postgres://"),
            "{url}: {stderr}"
        );
        assert!(
            !stderr.contains(url),
            "the URL may hold a password: {stderr}"
        );
        assert!(
            !data.exists(),
            "{url}: nothing is created before the refusal"
        );
    }
    // Checked before any connection: no server needs to be there.
    let data = dir.path().join("no-key");
    let (ok, stderr) = run_briefly(
        &[("DATABASE_URL", "postgres://gc@127.0.0.1:1/gc")],
        &data,
        Duration::from_secs(30),
    );
    assert!(!ok);
    assert!(stderr.contains("SECRET_KEY must be set"), "{stderr}");
    assert!(!data.exists());
}

/// A signed-in coordinator's queue search: the ids listed for `query` over every state.
async fn search(app: &TestApp, office: &reqwest::Client, query: &str) -> Vec<String> {
    let path = format!(
        "/admin?{}",
        serde_urlencoded::to_string([("q", query), ("state", "all")]).unwrap()
    );
    let response = office.get(app.url(&path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{query}");
    let html = response.text().await.unwrap();
    let document = scraper::Html::parse_document(&html);
    let links = scraper::Selector::parse("table.queue tbody tr td:first-child a").unwrap();
    let mut ids: Vec<String> = document
        .select(&links)
        .filter_map(|a| a.value().attr("href"))
        .filter_map(|href| href.strip_prefix("/admin/complaints/"))
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids
}

/// Files three complaints and checks what each query finds. The expectations are the same
/// for every backend and database: that is the point.
async fn search_finds_the_same(app: &TestApp) {
    let milk = stored_complaint(app, &app.file_valid(valid_complaint()).await)
        .await
        .id;
    let lift_fields = [
        ("category", "special-equipment"),
        ("business_name", "锦华小区物业"),
        ("product", "住宅电梯"),
        ("description", "电梯多次困人，物业不维修。"),
    ];
    let lift_fields = lift_fields
        .iter()
        .fold(valid_complaint(), |f, (k, v)| with(f, k, v));
    let lift = stored_complaint(app, &app.file_valid(lift_fields).await)
        .await
        .id;
    let cafe_fields = [
        ("category", "services"),
        ("business_name", "Café Ñandú"),
        ("product", "iPhone15 手机"),
        ("description", "屏幕坏了，型号 x² ①。"),
    ];
    let cafe_fields = cafe_fields
        .iter()
        .fold(valid_complaint(), |f, (k, v)| with(f, k, v));
    let cafe = stored_complaint(app, &app.file_valid(cafe_fields).await)
        .await
        .id;
    app.create_user("search-office", "coordinator", "quality-office")
        .await;
    let office = app
        .login("search-office", crate::helpers::STAFF_PASSWORD)
        .await;
    let none: [&ComplaintId; 0] = [];
    for (query, expected) in [
        ("奶粉", vec![&milk]),
        ("电梯", vec![&lift]),
        ("奶", vec![&milk]),
        ("梯", vec![&lift]),
        ("困人", vec![&lift]),
        ("好又多", vec![&milk]),
        ("奶粉 过期", vec![&milk]),
        ("过期奶粉", none.to_vec()),
        ("手机", vec![&cafe]),
        ("iPhone15", vec![&cafe]),
        ("iphone", none.to_vec()),
        ("cafe", vec![&cafe]),
        ("CAFÉ", vec![&cafe]),
        ("ñandu", vec![&cafe]),
        ("x²", vec![&cafe]),
        ("①", vec![&cafe]),
    ] {
        let mut expected: Vec<String> = expected.into_iter().map(|id| id.to_string()).collect();
        expected.sort();
        assert_eq!(search(app, &office, query).await, expected, "{query}");
    }
}

#[tokio::test]
async fn search_finds_the_same_on_either_backend() {
    search_finds_the_same(&spawn_app().await).await;
}

/// The database's own text parser is never asked what a letter is: in a SQL_ASCII database
/// (what `initdb` makes under LANG=C) it took no Chinese character for one, and the search
/// found nothing.
#[tokio::test]
async fn on_postgresql_search_works_whatever_the_database_encoding_and_locale() {
    let test = "backends::on_postgresql_search_works_whatever_the_database_encoding_and_locale";
    let Some(server) = postgres_only(test) else {
        return;
    };
    let url = create_database(&server, "ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'");
    let target = url.clone();
    let app = spawn_app_with(move |config| {
        config.database = DatabaseLocation::Postgres(target);
    })
    .await;
    search_finds_the_same(&app).await;
    drop(app);
    drop_database(&url);
}

/// Dropping the last handle closes SQLite's writer before it returns: the next opener (a
/// CLI command, a restarted service) must not find the file locked by a closing thread.
/// The schema test above once failed in CI with "database is locked" for this reason.
#[test]
fn a_dropped_sqlite_database_leaves_the_file_free_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..40 {
        let path = dir.path().join(format!("closed-{round}.db"));
        let database = Database::open(&DatabaseLocation::SqliteFile(path.clone()), 1).unwrap();
        drop(database);
        let wal = path.with_extension("db-wal");
        assert!(
            !wal.exists(),
            "round {round}: the WAL is still there, so a connection is still open"
        );
        // No busy timeout: a lock still held would fail at once.
        let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy()).unwrap();
        conn.batch_execute("BEGIN EXCLUSIVE; COMMIT;")
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
    }
}

/// SQLite's WAL is copied back into the database file by a thread of its own, not inside
/// the commit that crosses SQLite's 1,000-page mark (which stalled every request queued
/// behind the single writer): a few hundred pages written show up in the file on their own.
#[test]
fn the_wal_is_checkpointed_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoint.db");
    let database = Database::open(&DatabaseLocation::SqliteFile(path.clone()), 1).unwrap();
    let before = std::fs::metadata(&path).unwrap().len();
    database
        .write_blocking(|conn| {
            diesel::sql_query("CREATE TABLE scratch (body BLOB NOT NULL)").execute(conn)?;
            for _ in 0..100 {
                diesel::sql_query("INSERT INTO scratch (body) VALUES (zeroblob(8000))")
                    .execute(conn)?;
            }
            Ok::<_, green_channel::db::DbError>(())
        })
        .unwrap();
    let wal = path.with_extension("db-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 800_000);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&path).unwrap().len() < before + 800_000 {
        assert!(
            Instant::now() < deadline,
            "the pages never reached the database file"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(database);
}

/// The writes a filing leaves to the end of SQLite's group commit (its search terms, its
/// tallies) are written for every transaction of the group that succeeded, and for none
/// that failed: a failed filing rolls back to its savepoint and must leave no search row
/// behind (issue 15).
#[tokio::test]
async fn a_group_commit_writes_what_its_successful_transactions_deferred_and_nothing_else() {
    use green_channel::db::bulletin::DayTallies;
    use green_channel::db::{DbError, DeferredWrites};

    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Text)]
        complaint_id: String,
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deferred.db");
    let database = std::sync::Arc::new(
        Database::open(&DatabaseLocation::SqliteFile(path.clone()), 1).unwrap(),
    );
    // Submitted together, so that most share a group; each fails or succeeds on its own.
    let jobs = (0..64).map(|i: u32| {
        let database = database.clone();
        async move {
            database
                .write_deferring(move |_conn| {
                    if i % 3 == 0 {
                        return Err(DbError::Query(diesel::result::Error::NotFound));
                    }
                    let row = (ComplaintId::from(format!("case-{i:02}")), format!("词{i}"));
                    Ok((i, DeferredWrites::new(DayTallies::default(), vec![row])))
                })
                .await
        }
    });
    let outcomes = futures_util::future::join_all(jobs).await;
    for (i, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome.is_ok(), i % 3 != 0, "job {i}: {outcome:?}");
    }
    let found: Vec<String> =
        database
            .read(|conn| {
                Ok(diesel::sql_query(
                    "SELECT complaint_id FROM complaint_search ORDER BY complaint_id",
                )
                .load::<Found>(conn)?)
            })
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.complaint_id)
            .collect();
    let expected: Vec<String> = (0..64)
        .filter(|i| i % 3 != 0)
        .map(|i| format!("case-{i:02}"))
        .collect();
    assert_eq!(found, expected);
}
