//! The crash drill of issue 6: SIGKILL the service three times under intake load, then
//! check that every acknowledged filing, its events and its confirmation email survived.

#[allow(dead_code)]
#[path = "../tests/api/smtp_server.rs"]
mod smtp_server;
mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use rand::Rng as _;

use smtp_server::SmtpServer;
use support::load::{self, LoadOptions};
use support::Service;

const KILLS: usize = 3;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let lost = runtime.block_on(drill())?;
    anyhow::ensure!(lost == 0, "the drill found {lost} problems");
    Ok(())
}

#[derive(QueryableByName)]
struct Filed {
    #[diesel(sql_type = Text)]
    tracking_code: String,
    #[diesel(sql_type = BigInt)]
    events: i64,
    #[diesel(sql_type = BigInt)]
    outbox_id: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

async fn drill() -> anyhow::Result<usize> {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = support::fresh_dir(&target.join("bench").join("work"), "crash-drill")?;
    let connections: usize = std::env::var("BENCH_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let smtp = SmtpServer::start().await;
    let smtp_url = smtp.url();
    let port = support::free_port();
    let (service, _) = Service::start(&dir, port, &[("SMTP_URL", smtp_url.as_str())])?;
    let addr = service.addr.clone();
    println!("Crash drill in {}", dir.display());

    let forms = support::fetch_forms(&addr, 40_000, connections).await?;
    let requests: Vec<Vec<u8>> = forms
        .iter()
        .enumerate()
        .map(|(i, pass)| support::filing_request(i as u64, pass))
        .collect();
    let queue = Arc::new(Mutex::new(std::collections::VecDeque::from(requests)));
    let stop = Arc::new(AtomicBool::new(false));
    let source: load::Source = {
        let (queue, stop) = (queue.clone(), stop.clone());
        Arc::new(move |_| {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            queue.lock().unwrap().pop_front()
        })
    };

    // The killer: at a random moment, SIGKILL and start again on the same data, three times.
    let killer_stop = stop.clone();
    let killer = tokio::task::spawn_blocking(move || -> anyhow::Result<(Service, Vec<String>)> {
        let mut service = service;
        let mut log = Vec::new();
        let mut rng = rand::rng();
        for kill in 1..=KILLS {
            let wait = Duration::from_millis(rng.random_range(700..2_500));
            std::thread::sleep(wait);
            let up = service.restart()?;
            log.push(format!(
                "kill {kill}: SIGKILL after {:.2} s of load, healthy again {:.0} ms later",
                wait.as_secs_f64(),
                up.as_secs_f64() * 1000.0
            ));
        }
        // Some load on the last start too, then stop.
        std::thread::sleep(Duration::from_millis(1_500));
        killer_stop.store(true, Ordering::Relaxed);
        Ok((service, log))
    });
    let mut options = LoadOptions::new(connections, Duration::from_secs(120));
    options.keep_locations = true;
    options.timeout = Duration::from_secs(10);
    let report = load::run(&addr, source, &options).await;
    let (mut service, kills) = killer.await??;
    for line in &kills {
        println!("  {line}");
    }
    let acknowledged: BTreeSet<String> = report
        .locations
        .iter()
        .filter_map(|l| l.strip_prefix("/track/"))
        .map(str::to_owned)
        .collect();
    println!(
        "  load: {} × 303, {} other answers, {} failed requests (in flight at a kill or while down)",
        report.count(303),
        report.answered() - report.count(303),
        report.errors
    );

    // Every email of the data must go out after the last start.
    let db_path = dir.join("green-channel.db");
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let mut conn = SqliteConnection::establish(&db_path.to_string_lossy())?;
        let pending: Count =
            diesel::sql_query("SELECT count(*) AS n FROM outbox WHERE state <> 'sent'")
                .get_result(&mut conn)?;
        if pending.n == 0 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{} emails still unsent after 5 minutes",
            pending.n
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    service.kill();

    let mut conn = SqliteConnection::establish(&db_path.to_string_lossy())?;
    conn.batch_execute("PRAGMA busy_timeout = 5000;")?;
    let filed: Vec<Filed> = diesel::sql_query(
        "SELECT c.tracking_code, \
           (SELECT count(*) FROM events e WHERE e.complaint_id = c.id \
              AND e.kind IN ('submitted', 'routed')) AS events, \
           coalesce((SELECT o.id FROM outbox o WHERE o.complaint_id = c.id \
              AND o.template = 'received'), -1) AS outbox_id \
         FROM complaints c",
    )
    .load(&mut conn)?;
    let by_code: HashMap<&str, &Filed> = filed
        .iter()
        .map(|f| (f.tracking_code.as_str(), f))
        .collect();
    let messages = smtp.messages();
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids_by_code: HashMap<String, BTreeSet<String>> = HashMap::new();
    for message in &messages {
        let id = message.message_id();
        *copies.entry(id.clone()).or_default() += 1;
        let subject = message.subject();
        for code in subject
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter(|w| w.len() == 17)
        {
            ids_by_code
                .entry(code.to_owned())
                .or_default()
                .insert(id.clone());
        }
    }
    let mut found = 0;
    let mut with_events = 0;
    let mut expected = 0;
    let mut delivered = 0;
    let mut other_ids = 0;
    for code in &acknowledged {
        let Some(row) = by_code.get(code.as_str()) else {
            continue;
        };
        found += 1;
        if row.events == 2 {
            with_events += 1;
        }
        if row.outbox_id >= 0 {
            expected += 1;
            let id = format!("<outbox-{}@gc.bench>", row.outbox_id);
            if copies.contains_key(&id) {
                delivered += 1;
            }
            // A second copy is allowed only as the same message (same Message-ID).
            if ids_by_code.get(code).is_some_and(|ids| ids.len() > 1) {
                other_ids += 1;
            }
        }
    }
    let duplicates: usize = copies.values().map(|n| n.saturating_sub(1)).sum();
    let integrity: Check = diesel::sql_query("PRAGMA integrity_check").get_result(&mut conn)?;

    println!();
    println!("| acknowledged (303) | found | with both events | emails expected | delivered | duplicate copies (same Message-ID) | integrity_check |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {} | {} | {} | {} | {} |",
        acknowledged.len(),
        found,
        with_events,
        expected,
        delivered,
        duplicates,
        integrity.integrity_check
    );
    let lost = (acknowledged.len() - found)
        + (found - with_events)
        + (acknowledged.len() - expected)
        + (expected - delivered)
        + other_ids
        + usize::from(integrity.integrity_check != "ok");
    println!(
        "\n{}",
        if lost == 0 {
            "0 lost, 0 integrity errors.".to_owned()
        } else {
            format!("{lost} PROBLEMS (lost rows or emails, a second message for a case, or integrity errors)")
        }
    );
    Ok(lost)
}
