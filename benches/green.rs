//! The benchmark of issue 6: intake, tracking, queue and search at scale, email and
//! footprint, each beside its limit, printed as a Markdown table and written as JSON.

#[allow(dead_code)]
#[path = "../tests/api/smtp_server.rs"]
mod smtp_server;
mod support;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::json;

use smtp_server::SmtpServer;
use support::http::{link_href, request};
use support::load::{self, percentile_ms, LoadOptions, LoadReport};
use support::{FormPass, Service};

/// What the environment asks for (defaults: the sizes).
struct Settings {
    complaints: u64,
    seconds: u64,
    connections: usize,
    samples: usize,
    emails: usize,
    postgres: Option<String>,
    root: PathBuf,
    results: PathBuf,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Settings {
    fn from_env() -> Settings {
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
        Settings {
            complaints: env_or("BENCH_COMPLAINTS", 1_000_000),
            seconds: env_or("BENCH_SECONDS", 15),
            connections: env_or("BENCH_CONNECTIONS", 64),
            samples: env_or("BENCH_SAMPLES", 200),
            emails: env_or("BENCH_EMAILS", 10_000),
            postgres: std::env::var("BENCH_DATABASE_URL").ok(),
            root: target.join("bench").join("work"),
            results: target.join("bench").join("results.json"),
        }
    }
}

/// One measured figure: as printed, as JSON, and whether it meets its target.
#[derive(Clone)]
struct Figure {
    text: String,
    json: serde_json::Value,
    pass: Option<bool>,
}

fn figure(text: impl Into<String>, json: serde_json::Value) -> Figure {
    Figure {
        text: text.into(),
        json,
        pass: None,
    }
}

fn not_built() -> Figure {
    figure("n/a (not built)", serde_json::Value::Null)
}

/// "p50 / p99" of a load run, as text and JSON.
fn latency_figure(report: &LoadReport) -> Figure {
    let (p50, p99) = (report.percentile_ms(50.0), report.percentile_ms(99.0));
    figure(
        format!("{} / {}", ms(p50), ms(p99)),
        json!({"p50": p50, "p99": p99}),
    )
}

fn ms(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.2} ms")
    } else {
        format!("{value:.1} ms")
    }
}

struct Row {
    key: &'static str,
    label: String,
    target: String,
    columns: [Option<Figure>; 2],
}

#[derive(Default)]
struct Table {
    rows: Vec<Row>,
}

impl Table {
    fn set(&mut self, column: usize, key: &'static str, label: &str, target: &str, f: Figure) {
        match self.rows.iter_mut().find(|r| r.key == key) {
            Some(row) => row.columns[column] = Some(f),
            None => {
                let mut columns = [None, None];
                columns[column] = Some(f);
                self.rows.push(Row {
                    key,
                    label: label.to_owned(),
                    target: target.to_owned(),
                    columns,
                });
            }
        }
    }

    fn markdown(&self, postgres: bool) -> String {
        let mut out = String::new();
        if postgres {
            out.push_str("| measure | SQLite | PostgreSQL | target |\n|---|---|---|---|\n");
        } else {
            out.push_str("| measure | SQLite | target |\n|---|---|---|\n");
        }
        let cell = |f: &Option<Figure>| match f {
            None => "—".to_owned(),
            Some(f) => match f.pass {
                Some(true) => format!("{} ✓", f.text),
                Some(false) => format!("{} ✗", f.text),
                None => f.text.clone(),
            },
        };
        for row in &self.rows {
            if postgres {
                out.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    row.label,
                    cell(&row.columns[0]),
                    cell(&row.columns[1]),
                    row.target
                ));
            } else {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    row.label,
                    cell(&row.columns[0]),
                    row.target
                ));
            }
        }
        out
    }

    fn json(&self) -> serde_json::Value {
        let mut backends = serde_json::Map::new();
        for (i, name) in ["sqlite", "postgres"].iter().enumerate() {
            let mut figures = serde_json::Map::new();
            for row in &self.rows {
                if let Some(f) = &row.columns[i] {
                    figures.insert(
                        row.key.to_owned(),
                        json!({"label": row.label, "value": f.json, "text": f.text,
                               "target": row.target, "met": f.pass}),
                    );
                }
            }
            if !figures.is_empty() {
                backends.insert((*name).to_owned(), serde_json::Value::Object(figures));
            }
        }
        serde_json::Value::Object(backends)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn column(self) -> usize {
        match self {
            Backend::Sqlite => 0,
            Backend::Postgres => 1,
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve-baseline") {
        let db = PathBuf::from(args.get(2).expect("a database path"));
        let port = args.get(3).and_then(|p| p.parse().ok()).expect("a port");
        return support::baseline::serve(&db, port);
    }
    if args.get(1).map(String::as_str) == Some("--explain") {
        return explain(Path::new(args.get(2).expect("a database path")));
    }
    let settings = Settings::from_env();
    std::fs::create_dir_all(&settings.root)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut table = Table::default();
    let started = Instant::now();
    let outcome = runtime.block_on(run(&settings, &mut table));
    let postgres = settings.postgres.is_some();
    println!("\n{}", table.markdown(postgres));
    let results = json!({
        "settings": {
            "complaints": settings.complaints, "seconds": settings.seconds,
            "connections": settings.connections, "samples": settings.samples,
            "emails": settings.emails, "postgres": postgres,
        },
        "machine": {"cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)},
        "figures": table.json(),
        "markdown": table.markdown(postgres),
        "wall_seconds": started.elapsed().as_secs(),
    });
    std::fs::write(&settings.results, serde_json::to_string_pretty(&results)?)?;
    println!("Written to {}", settings.results.display());
    outcome
}

async fn run(settings: &Settings, table: &mut Table) -> anyhow::Result<()> {
    let mut backends = vec![Backend::Sqlite];
    if settings.postgres.is_some() {
        backends.push(Backend::Postgres);
    }
    // BENCH_BACKENDS=sqlite or =postgres runs one column (each column holds its own limits).
    if let Ok(only) = std::env::var("BENCH_BACKENDS") {
        backends.retain(|b| {
            only.split(',')
                .any(|name| name.trim().eq_ignore_ascii_case(&format!("{b:?}")))
        });
    }
    // BENCH_SECTIONS=intake,email,scale (the default: all) runs a part, for development.
    let sections = std::env::var("BENCH_SECTIONS").unwrap_or_else(|_| "intake,email,scale".into());
    let wanted = |name: &str| sections.split(',').any(|s| s.trim() == name);
    for backend in backends {
        if wanted("intake") {
            eprintln!("== {backend:?}: intake and tracking");
            intake(settings, backend, table).await?;
        }
        if wanted("email") {
            eprintln!("== {backend:?}: email");
            email(settings, backend, table).await?;
        }
        if wanted("scale") {
            eprintln!("== {backend:?}: {} complaints", settings.complaints);
            scale(settings, backend, table).await?;
        }
    }
    Ok(())
}

/// The database settings a service or a command gets for `backend` in `dir`.
fn database_env(settings: &Settings, backend: Backend) -> Vec<(&'static str, String)> {
    match backend {
        Backend::Sqlite => Vec::new(),
        Backend::Postgres => vec![(
            "DATABASE_URL",
            settings.postgres.clone().unwrap_or_default(),
        )],
    }
}

fn env_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Empties the PostgreSQL database named by `BENCH_DATABASE_URL` (it must say "bench").
fn wipe_postgres(url: &str) -> anyhow::Result<()> {
    use diesel::connection::SimpleConnection;
    let name = url.rsplit('/').next().unwrap_or_default();
    anyhow::ensure!(
        name.contains("bench"),
        "BENCH_DATABASE_URL must name a database whose name contains \"bench\": it is emptied"
    );
    let mut conn = diesel::PgConnection::establish(url)?;
    conn.batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")?;
    Ok(())
}

fn count_complaints(settings: &Settings, backend: Backend, dir: &Path) -> anyhow::Result<i64> {
    count_of(settings, backend, dir, "SELECT count(*) FROM complaints")
}

/// Waits (up to two minutes) until the service has sent every queued email, so that the
/// tracking run, like its baseline, has the machine to itself.
async fn wait_for_outbox(settings: &Settings, backend: Backend, dir: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    while count_of(
        settings,
        backend,
        dir,
        "SELECT count(*) FROM outbox WHERE state = 'pending'",
    )? > 0
    {
        if started.elapsed() > Duration::from_secs(120) {
            eprintln!("   the outbox still has emails pending after 120 s; tracking runs anyway");
            return Ok(());
        }
        // The SMTP server that receives them runs on this runtime.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!(
        "   outbox drained in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn count_of(
    settings: &Settings,
    backend: Backend,
    dir: &Path,
    count: &'static str,
) -> anyhow::Result<i64> {
    use diesel::dsl::sql;
    let query = || diesel::select(sql::<diesel::sql_types::BigInt>("(").sql(count).sql(")"));
    Ok(match backend {
        Backend::Sqlite => {
            let mut conn = diesel::SqliteConnection::establish(
                &dir.join("green-channel.db").to_string_lossy(),
            )?;
            query().get_result(&mut conn)?
        }
        Backend::Postgres => {
            let mut conn =
                diesel::PgConnection::establish(settings.postgres.as_deref().unwrap_or_default())?;
            query().get_result(&mut conn)?
        }
    })
}

/// A queue of requests that connections take from until it is empty.
fn queue_source(requests: Vec<Vec<u8>>) -> load::Source {
    let queue = Arc::new(Mutex::new(VecDeque::from(requests)));
    Arc::new(move |_| queue.lock().unwrap().pop_front())
}

async fn filings_for(addr: &str, forms: &[FormPass], offset: u64) -> Vec<Vec<u8>> {
    let _ = addr;
    forms
        .iter()
        .enumerate()
        .map(|(i, pass)| support::filing_request(offset + i as u64, pass))
        .collect()
}

fn describe(report: &LoadReport) -> String {
    let others: Vec<String> = report
        .statuses
        .iter()
        .filter(|(s, _)| **s != 303 && **s != 200)
        .map(|(s, n)| format!("{n}×{s}"))
        .collect();
    let mut text = String::new();
    if !others.is_empty() {
        text.push_str(&format!(", other answers: {}", others.join(" ")));
    }
    if report.errors > 0 {
        text.push_str(&format!(", {} errors", report.errors));
    }
    if report.starved > 0 {
        text.push_str(&format!(
            ", {} connections ran out of forms",
            report.starved
        ));
    }
    text
}

async fn intake(settings: &Settings, backend: Backend, table: &mut Table) -> anyhow::Result<()> {
    let column = backend.column();
    let window = Duration::from_secs(settings.seconds);
    let connections = settings.connections;
    let dir = support::fresh_dir(&settings.root, &format!("intake-{backend:?}"))?;
    if let (Backend::Postgres, Some(url)) = (backend, &settings.postgres) {
        wipe_postgres(url)?;
    }
    let smtp = SmtpServer::start().await;
    let mut env = database_env(settings, backend);
    env.push(("SMTP_URL", smtp.url()));
    let port = support::free_port();
    let (mut service, _) = Service::start(&dir, port, &env_refs(&env))?;
    let addr = service.addr.clone();

    // A short run first: it warms the service and tells how many forms the window needs.
    let warm_forms = support::fetch_forms(&addr, connections * 30, connections).await?;
    let warm = load::run(
        &addr,
        queue_source(filings_for(&addr, &warm_forms, 0).await),
        &LoadOptions::new(connections, Duration::from_secs(3)),
    )
    .await;
    let expected = warm.rate(303).max(200.0) * window.as_secs_f64() * 1.6;
    let needed = (expected as usize).clamp(5_000, 600_000);
    eprintln!(
        "   warm-up {:.0}/s; fetching {needed} forms for the timed run",
        warm.rate(303)
    );
    let fetched = Instant::now();
    let forms = support::fetch_forms(&addr, needed, connections).await?;
    eprintln!(
        "   {} forms in {:.1} s",
        forms.len(),
        fetched.elapsed().as_secs_f64()
    );
    let requests = filings_for(&addr, &forms, warm_forms.len() as u64).await;
    drop(forms);
    let mut options = LoadOptions::new(connections, window);
    options.keep_locations = true;
    let report = load::run(&addr, queue_source(requests), &options).await;
    let acknowledged = warm.count(303) + report.count(303);
    let rows = count_complaints(settings, backend, &dir)?;
    let intake_rate = report.rate(303);
    let p99 = report.percentile_ms(99.0);
    eprintln!(
        "   intake {intake_rate:.0}/s p50 {:.2} p99 {:.2}{}",
        report.percentile_ms(50.0),
        p99,
        describe(&report)
    );
    table.set(
        column,
        "intake_rate",
        &format!(
            "intake: complaints/s ({connections} connections, {} s)",
            settings.seconds
        ),
        "≥ 1.0× (a)",
        figure(
            format!("{intake_rate:.0}/s{}", describe(&report)),
            json!(intake_rate),
        ),
    );
    table.set(
        column,
        "intake_p50",
        "intake: p50",
        "",
        figure(
            ms(report.percentile_ms(50.0)),
            json!(report.percentile_ms(50.0)),
        ),
    );
    let mut f = figure(ms(p99), json!(p99));
    f.pass = Some(p99 <= 50.0);
    table.set(column, "intake_p99", "intake: p99", "≤ 50 ms", f);
    let mut f = figure(
        format!("{rows} rows / {acknowledged} × 303"),
        json!({"rows": rows, "see_other": acknowledged}),
    );
    f.pass = Some(rows as u64 == acknowledged);
    table.set(column, "intake_rows", "intake: rows = 303s", "equal", f);

    // The tracking page of the cases just filed.
    let codes: Vec<String> = report
        .locations
        .iter()
        .filter_map(|l| l.strip_prefix("/track/"))
        .map(str::to_owned)
        .collect();
    anyhow::ensure!(!codes.is_empty(), "no complaint was filed");
    wait_for_outbox(settings, backend, &dir).await?;
    let track = track_load(&addr, &codes, settings).await;
    let track_rate = track.rate(200);
    eprintln!(
        "   tracking {track_rate:.0}/s p99 {:.2}{}",
        track.percentile_ms(99.0),
        describe(&track)
    );
    table.set(
        column,
        "track_rate",
        "tracking page: requests/s",
        "≥ 0.8× baseline",
        figure(
            format!("{track_rate:.0}/s{}", describe(&track)),
            json!(track_rate),
        ),
    );
    table.set(
        column,
        "track_p99",
        "tracking page: p50 / p99",
        "",
        latency_figure(&track),
    );
    service.kill();
    drop(smtp);

    match backend {
        Backend::Sqlite => {
            // (a) the plain limit, on a database of the same schema.
            let plain_dir = support::fresh_dir(&settings.root, "plain")?;
            support::command(&plain_dir, &[], &["migrate"])?;
            let plain_db = plain_dir.join("green-channel.db");
            let (plain, plain_track) = {
                let mut server = BaselineServer::start(&plain_db)?;
                let body = |n: u64| {
                    let pass = FormPass {
                        cookie: "x=y".into(),
                        token: "unused".into(),
                        submission_id: uuid::Uuid::new_v4().to_string(),
                    };
                    support::filing_request(n, &pass)
                };
                let warm: Vec<Vec<u8>> = (0..(connections * 30) as u64).map(body).collect();
                load::run(
                    &server.addr,
                    queue_source(warm),
                    &LoadOptions::new(connections, Duration::from_secs(3)),
                )
                .await;
                let requests: Vec<Vec<u8>> =
                    (0..needed as u64).map(|n| body(n + 1_000_000)).collect();
                let plain = load::run(
                    &server.addr,
                    queue_source(requests),
                    &LoadOptions::new(connections, window),
                )
                .await;
                server.stop();
                // The tracking limit reads the service's own database, the same codes.
                let mut server = BaselineServer::start(&dir.join("green-channel.db"))?;
                let plain_track = track_load(&server.addr, &codes, settings).await;
                server.stop();
                (plain, plain_track)
            };
            let plain_rate = plain.rate(303);
            eprintln!(
                "   (a) plain {plain_rate:.0}/s p50 {:.2} p99 {:.2}{}",
                plain.percentile_ms(50.0),
                plain.percentile_ms(99.0),
                describe(&plain)
            );
            table.set(
                column,
                "plain_rate",
                "(a) plain actix + SQL, per-request commit: complaints/s",
                "",
                figure(
                    format!("{plain_rate:.0}/s{}", describe(&plain)),
                    json!(plain_rate),
                ),
            );
            table.set(
                column,
                "plain_latency",
                "(a) plain: p50 / p99",
                "",
                latency_figure(&plain),
            );
            // (b) the storage ceiling.
            let ceiling_dir = support::fresh_dir(&settings.root, "ceiling")?;
            support::command(&ceiling_dir, &[], &["migrate"])?;
            let ceiling_db = ceiling_dir.join("green-channel.db");
            let (filed, took) = tokio::task::spawn_blocking(move || {
                support::baseline::storage_ceiling(&ceiling_db, window)
            })
            .await??;
            let ceiling_rate = filed as f64 / took.as_secs_f64();
            eprintln!("   (b) ceiling {ceiling_rate:.0}/s");
            table.set(
                column,
                "ceiling_rate",
                "(b) one thread, 32 per transaction: complaints/s",
                "",
                figure(format!("{ceiling_rate:.0}/s"), json!(ceiling_rate)),
            );
            let ratio_a = intake_rate / plain_rate;
            let mut f = figure(format!("{ratio_a:.2}×"), json!(ratio_a));
            f.pass = Some(ratio_a >= 1.0);
            table.set(column, "ratio_a", "intake / (a)", "≥ 1.0×", f);
            let ratio_b = intake_rate / ceiling_rate;
            table.set(
                column,
                "ratio_b",
                "intake / (b)",
                "reported",
                figure(format!("{ratio_b:.2}×"), json!(ratio_b)),
            );
            let plain_track_rate = plain_track.rate(200);
            table.set(
                column,
                "plain_track",
                "tracking limit (minimal keyed read): requests/s, p99",
                "",
                figure(
                    format!(
                        "{plain_track_rate:.0}/s, {}{}",
                        ms(plain_track.percentile_ms(99.0)),
                        describe(&plain_track)
                    ),
                    json!({"rate": plain_track_rate, "p99": plain_track.percentile_ms(99.0)}),
                ),
            );
            let ratio = track_rate / plain_track_rate;
            let mut f = figure(format!("{ratio:.2}×"), json!(ratio));
            f.pass = Some(ratio >= 0.8);
            table.set(column, "ratio_track", "tracking / its limit", "≥ 0.8×", f);
        }
        Backend::Postgres => {
            let url = settings.postgres.clone().unwrap_or_default();
            let pgbench = pgbench_same_transaction(&url, settings.seconds)?;
            table.set(
                column,
                "plain_rate",
                "(a) plain actix + SQL, per-request commit: complaints/s",
                "",
                figure(
                    format!("pgbench, 8 clients: {pgbench:.0}/s"),
                    json!(pgbench),
                ),
            );
            let ratio = intake_rate / pgbench;
            let mut f = figure(format!("{ratio:.2}× pgbench"), json!(ratio));
            f.pass = Some(ratio >= 0.6);
            table.set(
                column,
                "ratio_a",
                "intake / (a)",
                "≥ 1.0× (PostgreSQL: ≥ 0.6× pgbench)",
                f,
            );
        }
    }
    Ok(())
}

/// `GET /track/{code}` over the codes, round robin, at the configured connections.
async fn track_load(addr: &str, codes: &[String], settings: &Settings) -> LoadReport {
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        codes
            .iter()
            .map(|code| request("GET", &format!("/track/{code}"), &[], b""))
            .collect(),
    );
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let source: load::Source = Arc::new(move |_| {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(requests[i % requests.len()].clone())
    });
    let warm = LoadOptions::new(settings.connections, Duration::from_secs(2));
    load::run(addr, source.clone(), &warm).await;
    let options = LoadOptions::new(
        settings.connections,
        Duration::from_secs(settings.seconds.min(10)),
    );
    load::run(addr, source, &options).await
}

/// The baseline handlers in a child process (this bench binary, run again).
struct BaselineServer {
    child: std::process::Child,
    addr: String,
}

impl BaselineServer {
    fn start(db: &Path) -> anyhow::Result<BaselineServer> {
        let port = support::free_port();
        let child = std::process::Command::new(std::env::current_exe()?)
            .arg("--serve-baseline")
            .arg(db)
            .arg(port.to_string())
            .stdout(std::process::Stdio::null())
            .spawn()?;
        let server = BaselineServer {
            child,
            addr: format!("127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(&server.addr).is_err() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "the baseline server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for BaselineServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// pgbench at 8 clients running the filing's rows as one transaction; transactions/s.
fn pgbench_same_transaction(url: &str, seconds: u64) -> anyhow::Result<f64> {
    let script = std::env::temp_dir().join("green-channel-filing.pgbench");
    let body = "x".repeat(600);
    let description = support::description(0, "婴儿奶粉");
    std::fs::write(
        &script,
        format!(
            "\\set n random(1, 1000000000)\n\
             BEGIN;\n\
             INSERT INTO complaints (id, tracking_code, submission_id, kind, channel, category_code, \
             district_code, business_name, business_address, description, complainant_name, phone, \
             email, anonymous, locale, state, lead_department, accept_due, version, created_at, \
             updated_at, current_due, public_id) VALUES (gen_random_uuid()::text, md5(random()::text), \
             gen_random_uuid()::text, 'complaint', 'web', 'food', '361102', '信州区好又多超市', \
             '信州区中山路 88 号', '{description}', '张三', \
             '13800138000', 'resident@example.com', false, 'zh-Hans', 'assigned', 'food-drug', \
             current_date + 7, 1, now(), now(), current_date + 7, gen_random_uuid()::text);\n\
             INSERT INTO events (complaint_id, at, actor_kind, kind, to_state) SELECT id, now(), \
             'complainant', 'submitted', 'assigned' FROM complaints WHERE tracking_code = \
             (SELECT tracking_code FROM complaints ORDER BY created_at DESC LIMIT 1);\n\
             INSERT INTO outbox (recipient, recipient_kind, template, locale, subject, text_body, \
             html_body, state, attempts, due_at, created_at) VALUES ('resident@example.com', \
             'complainant', 'received', 'zh-Hans', '已收到', '{body}', '{body}{body}', 'pending', 0, now(), now());\n\
             INSERT INTO outbox (recipient, recipient_kind, template, locale, subject, text_body, \
             html_body, state, attempts, due_at, created_at) VALUES ('food-drug@green-channel.invalid', \
             'department', 'new_case', 'zh-Hans', '新案件', '{body}', '{body}{body}', 'pending', 0, now(), now());\n\
             COMMIT;\n"
        ),
    )?;
    let output = std::process::Command::new("pgbench")
        .args(["-n", "-c", "8", "-j", "2", "-T", &seconds.to_string(), "-f"])
        .arg(&script)
        .arg(url)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find(|l| l.starts_with("tps ="))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "pgbench gave no rate: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}

async fn email(settings: &Settings, backend: Backend, table: &mut Table) -> anyhow::Result<()> {
    use green_channel::db::reference::ReferenceData;
    use green_channel::db::{Database, DatabaseLocation};
    use green_channel::domain::complaint::ComplaintKind;
    use green_channel::mail::messages::{
        CaseContext, CaseFacts, CaseUpdate, Complainant, DepartmentNotice,
    };

    let dir = support::fresh_dir(&settings.root, &format!("email-{backend:?}"))?;
    if let (Backend::Postgres, Some(url)) = (backend, &settings.postgres) {
        wipe_postgres(url)?;
    }
    let env = database_env(settings, backend);
    support::command(&dir, &env_refs(&env), &["migrate"])?;
    let location = match backend {
        Backend::Sqlite => DatabaseLocation::SqliteFile(dir.join("green-channel.db")),
        Backend::Postgres => {
            DatabaseLocation::Postgres(settings.postgres.clone().unwrap_or_default())
        }
    };
    let n = settings.emails;
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let db = Database::open(&location, 1)?;
        let reference = db.read_blocking(ReferenceData::load)?;
        let now = green_channel::services::now_utc();
        let mut rows = Vec::with_capacity(n);
        for i in 0..n {
            let code = format!("BENCH-{i:05}-MAILS");
            let address = format!("resident{i}@example.com");
            let case = CaseContext {
                facts: CaseFacts {
                    complaint_id: "00000000-0000-7000-8000-000000000000",
                    tracking_code: &code,
                    kind: ComplaintKind::Complaint,
                    category: "food",
                    district: "361102",
                    business_name: "信州区好又多超市",
                    lead: "food-drug",
                    accept_due: now.date(),
                    complainant: Some(Complainant {
                        address: &address,
                        locale: green_channel::i18n::Locale::ZhHans,
                    }),
                },
                reference: &reference,
                base_url: "http://gc.bench",
            };
            let email = if i % 2 == 0 {
                case.to_complainant(&CaseUpdate::Received)?
            } else {
                case.to_department(&DepartmentNotice::NewCase)?
            }
            .ok_or_else(|| anyhow::anyhow!("no recipient"))?;
            rows.push(email.into_outbox_row(None, now));
        }
        for chunk in rows.chunks(1000) {
            let chunk = chunk.to_vec();
            db.write_blocking(move |conn| -> anyhow::Result<()> {
                for row in &chunk {
                    green_channel::db::outbox::insert(conn, row)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })
    .await??;

    let smtp = SmtpServer::start().await;
    let mut env = database_env(settings, backend);
    env.push(("SMTP_URL", smtp.url()));
    let (mut service, _) = Service::start(&dir, support::free_port(), &env_refs(&env))?;
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut first = None;
    let last = loop {
        let seen = smtp.data_seen();
        if seen >= 1 && first.is_none() {
            first = Some(Instant::now());
        }
        if seen >= n {
            break Instant::now();
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {seen} of {n} messages arrived in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let took = last.duration_since(first.unwrap_or(last));
    let rate = (n.saturating_sub(1)) as f64 / took.as_secs_f64().max(1e-9);
    eprintln!("   {n} messages, {rate:.0}/s");
    service.kill();
    let mut f = figure(format!("{rate:.0} messages/s ({n} messages)"), json!(rate));
    f.pass = Some(rate >= 500.0);
    table.set(
        backend.column(),
        "email_rate",
        "email: queued messages delivered to a local SMTP server",
        "≥ 500/s",
        f,
    );
    Ok(())
}

async fn scale(settings: &Settings, backend: Backend, table: &mut Table) -> anyhow::Result<()> {
    let column = backend.column();
    let env = database_env(settings, backend);
    // BENCH_SCALE_DIR names a folder seeded before (on PostgreSQL: a folder for the log, the
    // database seeded before is used as it is): no seeding, for development.
    let reuse = std::env::var("BENCH_SCALE_DIR").ok().map(PathBuf::from);
    let dir = match &reuse {
        Some(dir) => dir.clone(),
        None => {
            let dir = support::fresh_dir(&settings.root, &format!("scale-{backend:?}"))?;
            if let (Backend::Postgres, Some(url)) = (backend, &settings.postgres) {
                wipe_postgres(url)?;
            }
            let seeding = Instant::now();
            let complaints = settings.complaints.to_string();
            let printed = support::command(
                &dir,
                &env_refs(&env),
                &["seed-demo", "--complaints", &complaints, "--seed", "1"],
            )?;
            let seeded = seeding.elapsed();
            eprintln!("   {}", printed.lines().next().unwrap_or_default());
            table.set(
                column,
                "seed_time",
                &format!("seed-demo --complaints {}", settings.complaints),
                "reported",
                figure(
                    format!(
                        "{:.0} s ({:.0} complaints/s)",
                        seeded.as_secs_f64(),
                        settings.complaints as f64 / seeded.as_secs_f64()
                    ),
                    json!(seeded.as_secs_f64()),
                ),
            );
            dir
        }
    };
    let db_path = dir.join("green-channel.db");
    let size = match backend {
        Backend::Sqlite => {
            // What stays on disk: the WAL is folded back at the next checkpoint.
            let mut conn = diesel::SqliteConnection::establish(&db_path.to_string_lossy())?;
            use diesel::connection::SimpleConnection;
            conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")?;
            drop(conn);
            support::database_bytes(&db_path)
        }
        Backend::Postgres => {
            let mut conn =
                diesel::PgConnection::establish(settings.postgres.as_deref().unwrap_or_default())?;
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "pg_database_size(current_database())",
            ))
            .get_result::<i64>(&mut conn)? as u64
        }
    };
    table.set(
        column,
        "db_size",
        "database size on disk",
        "reported",
        figure(
            format!("{:.2} GiB", size as f64 / (1u64 << 30) as f64),
            json!(size),
        ),
    );

    // Something to look for: a seeded business name and phone number.
    let (business, phone) = sample_case(settings, backend, &db_path)?;

    let port = support::free_port();
    let (mut service, startup) = Service::start(&dir, port, &env_refs(&env))?;
    let addr = service.addr.clone();
    let mut f = figure(
        ms(startup.as_secs_f64() * 1000.0),
        json!(startup.as_secs_f64()),
    );
    f.pass = Some(startup <= Duration::from_secs(1));
    table.set(
        column,
        "startup",
        "start-up on that database (spawn → /healthz)",
        "≤ 1 s",
        f,
    );

    let clerk_name = green_channel::services::seed_demo::clerk_username("food-drug");
    let clerk = support::sign_in(&addr, &clerk_name, support::STAFF_PASSWORD).await?;
    // A department that co-handles many cases (counterfeits, about 80,000 at a million):
    // its view is two parts, the cases it leads and those it co-handles.
    let co_clerk_name = green_channel::services::seed_demo::clerk_username("public-security");
    let co_clerk = support::sign_in(&addr, &co_clerk_name, support::STAFF_PASSWORD).await?;
    let office = support::sign_in(
        &addr,
        green_channel::services::seed_demo::OFFICE_USERNAME,
        support::STAFF_PASSWORD,
    )
    .await?;
    let get = |path: &str, cookie: &str| request("GET", path, &[("Cookie", cookie)], b"");
    let encode =
        |q: &str| -> String { url::form_urlencoded::byte_serialize(q.as_bytes()).collect() };

    // BENCH_ROWS=q_hotspots,q_bulletin (the default: all) measures some rows only, for
    // development.
    let row_wanted = |key: &str| {
        std::env::var("BENCH_ROWS").map_or(true, |rows| rows.split(',').any(|r| r == key))
    };

    // Page 200 of a filtered queue, by following its "next" links (the last page, on a
    // database too small to have 200).
    let filtered = "/admin?state=all&category=food";
    let mut path = filtered.to_owned();
    let mut connection = support::http::Connection::new(&addr);
    let walk = Instant::now();
    let mut deep = 1;
    while deep < 200 && row_wanted("q_page200") {
        let page = connection
            .send(&get(&path, &office), Duration::from_secs(60))
            .await?;
        anyhow::ensure!(page.status == 200, "{path}: {}", page.status);
        match link_href(&page.text(), "next") {
            Some(next) => path = next,
            None => break,
        }
        deep += 1;
    }
    eprintln!(
        "   walked to page {deep} in {:.1} s",
        walk.elapsed().as_secs_f64()
    );
    let page_200 = path;

    let queries: Vec<(&'static str, String, String, &str)> = vec![
        (
            "q_clerk",
            "queue: a clerk's default view (food-drug)".into(),
            "/admin".into(),
            &clerk,
        ),
        (
            "q_clerk_co",
            "queue: a co-handling department's default view (public-security)".into(),
            "/admin".into(),
            &co_clerk,
        ),
        (
            "q_office_overdue",
            "queue: the office, category + overdue".into(),
            "/admin?category=food&overdue=1".into(),
            &office,
        ),
        (
            "q_page1",
            "queue: page 1 of the office's food cases, all states".into(),
            filtered.into(),
            &office,
        ),
        (
            "q_page200",
            format!("queue: page {deep} of the same (keyset)"),
            page_200.clone(),
            &office,
        ),
        (
            "q_search_word",
            "search: two-character word 奶粉 (office, all states)".into(),
            format!("/admin?state=all&q={}", encode("奶粉")),
            &office,
        ),
        (
            "q_search_business",
            format!("search: business name {business} (office, all states)"),
            format!("/admin?state=all&q={}", encode(&business)),
            &office,
        ),
        (
            "q_search_phone",
            "search: phone number (office, all states)".into(),
            format!("/admin?state=all&q={}", encode(&phone)),
            &office,
        ),
    ];
    let mut page_one_p50 = None;
    for (key, label, path, cookie) in queries {
        if !row_wanted(key) {
            continue;
        }
        let (samples, last) = load::sample(&addr, &get(&path, cookie), 5, settings.samples).await?;
        anyhow::ensure!(last.status == 200, "{path}: {}", last.status);
        let (p50, p99) = (percentile_ms(&samples, 50.0), percentile_ms(&samples, 99.0));
        let rows = last.text().matches("data-state=").count();
        eprintln!("   {label}: p50 {p50:.2} p99 {p99:.2} ({rows} rows)");
        if key == "q_page1" {
            page_one_p50 = Some(p50);
        }
        let mut text = format!("{} / {}", ms(p50), ms(p99));
        let mut pass = p99 <= 25.0;
        if key == "q_page200" {
            if let Some(first) = page_one_p50 {
                text.push_str(&format!(" ({:.2}× page 1)", p50 / first));
                pass &= p50 <= 2.0 * first;
            }
        }
        let mut f = figure(
            text,
            json!({"p50": p50, "p99": p99, "samples": samples.len()}),
        );
        f.pass = Some(pass);
        let target = if key == "q_page200" {
            "p99 ≤ 25 ms, ≤ 2× page 1"
        } else {
            "p99 ≤ 25 ms"
        };
        table.set(column, key, &format!("{label}: p50 / p99"), target, f);
    }
    for (key, label, path, cookie) in [
        (
            "q_bulletin",
            "bulletin: last month, every department (office)",
            "/admin/reports",
            &office,
        ),
        (
            "q_hotspots",
            "hotspots: 30 days, at least 3 complaints (office)",
            "/admin/hotspots",
            &office,
        ),
        (
            "q_stats",
            "/stats (computed once per 5 minutes)",
            "/stats",
            &office,
        ),
    ] {
        if !row_wanted(key) {
            continue;
        }
        // A new connection: the walk's has been idle past the keep-alive.
        let first = Instant::now();
        let probe = support::http::Connection::new(&addr)
            .send(&get(path, cookie), Duration::from_secs(60))
            .await?;
        let first = first.elapsed();
        if key == "q_stats" && probe.status == 200 {
            // The page is kept five minutes: the first request computes it.
            table.set(
                column,
                "q_stats_first",
                "/stats computed afresh (the first request)",
                "reported",
                figure(
                    ms(first.as_secs_f64() * 1000.0),
                    json!(first.as_secs_f64() * 1000.0),
                ),
            );
        }
        let f = if probe.status == 404 {
            not_built()
        } else {
            let (samples, _) = load::sample(&addr, &get(path, cookie), 5, settings.samples).await?;
            let (p50, p99) = (percentile_ms(&samples, 50.0), percentile_ms(&samples, 99.0));
            let mut f = figure(
                format!("{} / {}", ms(p50), ms(p99)),
                json!({"p50": p50, "p99": p99}),
            );
            f.pass = Some(p99 <= 25.0);
            f
        };
        table.set(
            column,
            key,
            &format!("{label}: p50 / p99"),
            "p99 ≤ 25 ms",
            f,
        );
    }
    let peak = service.peak_rss_kib().unwrap_or(0);
    service.kill();
    let mut f = figure(
        format!("{:.1} MiB", peak as f64 / 1024.0),
        json!(peak * 1024),
    );
    f.pass = Some(peak <= 96 * 1024);
    table.set(
        column,
        "peak_rss",
        "peak RSS of the service during the queries",
        "≤ 96 MiB",
        f,
    );
    Ok(())
}

#[derive(QueryableByName)]
struct SampleCase {
    #[diesel(sql_type = diesel::sql_types::Text)]
    business_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    phone: String,
}

/// A business name and a phone number from the middle of the seeded history.
fn sample_case(
    settings: &Settings,
    backend: Backend,
    db: &Path,
) -> anyhow::Result<(String, String)> {
    let sql = format!(
        "SELECT business_name, phone FROM complaints WHERE phone IS NOT NULL AND NOT anonymous \
         ORDER BY created_at LIMIT 1 OFFSET {}",
        settings.complaints / 2
    );
    let case: SampleCase = match backend {
        Backend::Sqlite => {
            let mut conn = diesel::SqliteConnection::establish(&db.to_string_lossy())?;
            diesel::sql_query(sql).get_result(&mut conn)?
        }
        Backend::Postgres => {
            let mut conn =
                diesel::PgConnection::establish(settings.postgres.as_deref().unwrap_or_default())?;
            diesel::sql_query(sql).get_result(&mut conn)?
        }
    };
    Ok((case.business_name, case.phone))
}

/// `--explain DB`: the SQL of the office's filtered queue and its timings, for profiling.
fn explain(db_path: &Path) -> anyhow::Result<()> {
    use green_channel::db::queue::{self, QueueFilter, StateFilter, Viewer};
    use green_channel::db::{Database, DatabaseLocation};
    use green_channel::domain::access::Role;
    if std::env::var("EXPLAIN_ANALYZE").is_ok() {
        use diesel::connection::SimpleConnection;
        let mut conn = diesel::SqliteConnection::establish(&db_path.to_string_lossy())?;
        let started = Instant::now();
        conn.batch_execute("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")?;
        println!("optimize: {:?}", started.elapsed());
    }
    let db = Database::open(&DatabaseLocation::SqliteFile(db_path.to_owned()), 1)?;
    let viewer = Viewer {
        user_id: String::new(),
        role: Role::parse("coordinator").expect("a role"),
        department: "quality-office".into(),
    };
    let filter = QueueFilter {
        state: StateFilter::All,
        category: Some("food".into()),
        ..QueueFilter::default()
    };
    db.read_blocking(|conn| {
        for _ in 0..3 {
            let started = Instant::now();
            queue::page(conn, &viewer, &filter, None, 50)?;
            println!("page: {:?}", started.elapsed());
        }
        let started = Instant::now();
        let n: Vec<i32> = diesel::sql_query(
            "SELECT 1 AS one FROM complaints WHERE category_code = ? ORDER BY created_at DESC, id DESC LIMIT 51",
        )
        .bind::<diesel::sql_types::Text, _>("food")
        .load::<One>(conn)?
        .into_iter()
        .map(|o| o.one)
        .collect();
        println!("raw: {} rows {:?}", n.len(), started.elapsed());
        let plan: Vec<Plan> = diesel::sql_query(
            "EXPLAIN QUERY PLAN SELECT 1 AS one FROM complaints WHERE category_code = ? ORDER BY created_at DESC, id DESC LIMIT 51",
        )
        .bind::<diesel::sql_types::Text, _>("food")
        .load(conn)?;
        for step in plan {
            println!("plan: {}", step.detail);
        }
        let started = Instant::now();
        queue::count_by_state(conn, &viewer, &filter)?;
        println!("counts: {:?}", started.elapsed());
        // Page 200 by its keys, and its time beside page 1's.
        let mut after = None;
        for _ in 1..200 {
            after = queue::page(conn, &viewer, &filter, after.as_ref(), 50)?.next;
        }
        for sql in [
            "EXPLAIN QUERY PLAN SELECT id FROM complaints WHERE ((category_code = ?) AND ((created_at < ?) OR ((created_at = ?) AND (id < ?)))) ORDER BY created_at DESC, id DESC LIMIT 51",
            "EXPLAIN QUERY PLAN SELECT id FROM complaints WHERE ((category_code = ?) AND created_at <= ?2 AND ((created_at < ?2) OR ((created_at = ?3) AND (id < ?4)))) ORDER BY created_at DESC, id DESC LIMIT 51",
        ] {
            let plan: Vec<Plan> = diesel::sql_query(sql)
                .bind::<diesel::sql_types::Text, _>("food")
                .bind::<diesel::sql_types::Text, _>("2026-11-03 08:41:53")
                .bind::<diesel::sql_types::Text, _>("2026-11-03 08:41:53")
                .bind::<diesel::sql_types::Text, _>("01a1a092-6c68-7230-85cd-307a412e3734")
                .load(conn)?;
            for step in plan {
                println!("plan 200: {}", step.detail);
            }
        }
        // A two-character word: its page and its counts apart.
        let word = QueueFilter {
            state: StateFilter::All,
            search: Some(queue::Search::Text(
                green_channel::domain::search::query_terms("奶粉"),
            )),
            ..QueueFilter::default()
        };
        for _ in 0..3 {
            let started = Instant::now();
            let page = queue::page(conn, &viewer, &word, None, 50)?;
            let paged = started.elapsed();
            let started = Instant::now();
            let counts = queue::count_by_state(conn, &viewer, &word)?;
            println!(
                "search 奶粉: page {paged:?} ({} rows), counts {:?} ({} counted)",
                page.rows.len(),
                started.elapsed(),
                counts.by_state.values().sum::<i64>()
            );
        }
        conn.set_instrumentation(|event: diesel::connection::InstrumentationEvent<'_>| {
            if let diesel::connection::InstrumentationEvent::StartQuery { query, .. } = event {
                println!("query: {query}");
            }
        });
        queue::page(conn, &viewer, &filter, after.as_ref(), 50)?;
        conn.set_instrumentation(|_: diesel::connection::InstrumentationEvent<'_>| {});
        conn.set_instrumentation(|event: diesel::connection::InstrumentationEvent<'_>| {
            if let diesel::connection::InstrumentationEvent::StartQuery { query, .. } = event {
                println!("query: {query}");
            }
        });
        queue::page(conn, &viewer, &filter, after.as_ref(), 50)?;
        conn.set_instrumentation(|_: diesel::connection::InstrumentationEvent<'_>| {});
        for _ in 0..3 {
            let started = Instant::now();
            queue::page(conn, &viewer, &filter, None, 50)?;
            let first = started.elapsed();
            let started = Instant::now();
            let page = queue::page(conn, &viewer, &filter, after.as_ref(), 50)?;
            println!(
                "page 1: {first:?}, page 200: {:?} ({} rows, key {:?})",
                started.elapsed(),
                page.rows.len(),
                after.as_ref().map(|k| k.encode())
            );
        }
        Ok(())
    })?;
    Ok(())
}

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    one: i32,
}

#[derive(QueryableByName)]
struct Plan {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}
