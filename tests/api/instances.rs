//! Several processes of the real binary on one PostgreSQL database (PostgreSQL only): they
//! start together without racing, share the work without doubling an email or an event,
//! and share the per-address limits.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use futures_util::StreamExt as _;
use green_channel::db::schema::{complaints, events, outbox};
use green_channel::db::{Database, DatabaseLocation};

use crate::helpers::ADMIN_PASSWORD;
use crate::helpers::{client, login_at, select_attr, valid_complaint, with};
use crate::smtp_server::SmtpServer;
use crate::test_database::{binary_env, database_for, postgres_only, DatabaseGuard};

const STAFF_PASSWORD: &str = "staff-password-for-tests";

/// One `green-channel serve` process, killed when dropped.
struct Instance {
    child: Child,
    address: String,
    log: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Instance {
    /// Starts the binary on the database of `shared`, with a data folder and port of its own.
    fn spawn(shared: &Path, name: &str, env: &[(&str, String)]) -> Instance {
        let port = free_port();
        let own = shared.join(name);
        std::fs::create_dir_all(&own).unwrap();
        let log = shared.join(format!("{name}.log"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_green-channel"));
        command.env_clear();
        binary_env(&mut command, shared)
            .env("DATA_DIR", &own)
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("BASE_URL", "http://gc.test")
            .env("MAIL_FROM", "Green Channel <no-reply@gc.test>")
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("WORKERS", "2")
            .env("RUST_LOG", "info")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        Instance {
            child: command.spawn().unwrap(),
            address: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for `/healthz`; a process that exits instead fails the test with its log.
    async fn wait_until_up(&mut self) {
        let probe = reqwest::Client::new();
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the instance exited ({status}):\n{}", self.log_text());
            }
            if let Ok(response) = probe.get(format!("{}/healthz", self.address)).send().await {
                if response.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the instance did not come up:\n{}", self.log_text());
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `green-channel create-user`, as an operator would run it beside the instances.
fn create_user(shared: &Path, username: &str, role: &str, department: &str) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_green-channel"));
    command.env_clear();
    let output = binary_env(&mut command, shared)
        .env("DATA_DIR", shared.join("cli"))
        .env("USER_PASSWORD", STAFF_PASSWORD)
        .args(["create-user", "--username", username, "--role", role])
        .args(["--department", department])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A staff member signed in on one instance (the session lives in the database, so any
/// instance would do; each test browser keeps to one, as a sticky balancer would not).
struct Clerk {
    browser: reqwest::Client,
    address: String,
}

async fn sign_in(address: &str, username: &str) -> Clerk {
    Clerk {
        browser: login_at(address, username, STAFF_PASSWORD).await,
        address: address.to_owned(),
    }
}

impl Clerk {
    /// The token and version of the action's form on the complaint page, as shown.
    async fn form(&self, id: &str, action: &str) -> (String, String) {
        let page = self
            .browser
            .get(format!("{}/admin/complaints/{id}", self.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let field = |name: &str| {
            select_attr(
                &page,
                &format!("#action-{action} input[name={name}]"),
                "value",
            )
            .unwrap_or_else(|| panic!("no {action} form for {id}"))
        };
        (field("csrf_token"), field("version"))
    }

    async fn post(
        &self,
        id: &str,
        action: &str,
        (token, version): &(String, String),
        fields: &[(&str, &str)],
    ) -> u16 {
        let mut body = vec![
            ("csrf_token", token.as_str()),
            ("version", version.as_str()),
        ];
        body.extend_from_slice(fields);
        self.browser
            .post(format!("{}/admin/complaints/{id}/{action}", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&body).unwrap())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn act(&self, id: &str, action: &str, fields: &[(&str, &str)]) -> u16 {
        let form = self.form(id, action).await;
        self.post(id, action, &form, fields).await
    }
}

/// Files complaint number `n` on `address` as a browser would; its tracking code.
async fn file(address: &str, n: usize) -> String {
    let response = try_file(address, n).await;
    assert_eq!(response.status().as_u16(), 303, "filing {n} on {address}");
    crate::helpers::tracking_code_of(&response)
}

/// Files complaint `n` on the instance at `address` as a browser would: the answer.
async fn try_file(address: &str, n: usize) -> reqwest::Response {
    let browser = client();
    let form = browser
        .get(format!("{address}/complaints/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut fields = with(
        with(valid_complaint(), "category", category(n)),
        "email",
        &format!("resident{n}@example.com"),
    );
    for name in ["csrf_token", "submission_id"] {
        fields.push((
            name,
            select_attr(&form, &format!("input[name={name}]"), "value").unwrap(),
        ));
    }
    browser
        .post(format!("{address}/complaints"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&fields).unwrap())
        .send()
        .await
        .unwrap()
}

/// Food goes to food-drug, services to market-regulation (DESIGN §4a): two departments.
fn category(n: usize) -> &'static str {
    if (n / 2) % 2 == 0 {
        "food"
    } else {
        "services"
    }
}

const COMPLAINTS: usize = 200;

/// What happens to complaint `n` after filing, and the timeline that leaves.
fn scenario(n: usize) -> (&'static str, &'static [&'static str]) {
    match n % 4 {
        0 => ("accept", &["submitted", "routed", "accepted"]),
        1 => (
            "accept, reply",
            &["submitted", "routed", "accepted", "replied"],
        ),
        2 => ("reject", &["submitted", "routed", "rejected"]),
        _ => (
            "accept, request-info",
            &["submitted", "routed", "accepted", "info_requested"],
        ),
    }
}

/// Triage of complaint `n` by its department's clerks, signed in on instance 0 and 1.
/// Returns the answers of both instances to the same accept form posted at once, for the
/// complaints where that race is run.
async fn triage(n: usize, id: &str, clerks: &[Clerk; 2]) -> Option<[u16; 2]> {
    let (here, there) = (&clerks[n % 2], &clerks[1 - n % 2]);
    match n % 4 {
        0 if n % 20 == 0 => {
            // The same form, read on both instances, sent to both at once: one wins.
            let (first, second) = tokio::join!(here.form(id, "accept"), there.form(id, "accept"));
            assert_eq!(first.1, second.1, "one version");
            let (a, b) = tokio::join!(
                here.post(id, "accept", &first, &[]),
                there.post(id, "accept", &second, &[])
            );
            return Some([a, b]);
        }
        0 => assert_eq!(there.act(id, "accept", &[]).await, 303),
        1 => {
            assert_eq!(here.act(id, "accept", &[]).await, 303);
            let reply = [("message", "已协调商家退款。"), ("outcome", "refund")];
            assert_eq!(there.act(id, "reply", &reply).await, 303);
        }
        2 => {
            let reason = [("reason", "不属于本部门受理范围。")];
            assert_eq!(there.act(id, "reject", &reason).await, 303);
        }
        _ => {
            assert_eq!(there.act(id, "accept", &[]).await, 303);
            let message = [("message", "请补充购物小票照片。")];
            assert_eq!(here.act(id, "request-info", &message).await, 303);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_work_without_doubling_an_email_or_an_event() {
    let test = "instances::two_instances_share_the_work_without_doubling_an_email_or_an_event";
    if postgres_only(test).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let location = database_for(dir.path());
    let _database = DatabaseGuard::of(dir.path());
    let smtp = SmtpServer::start().await;
    let env = [
        ("SMTP_URL", smtp.url()),
        // Every filing comes from 127.0.0.1.
        ("SUBMIT_LIMIT_PER_HOUR", "100000".to_owned()),
        ("OUTBOX_RETRY_BASE_SECS", "1".to_owned()),
    ];
    let mut instances = [
        Instance::spawn(dir.path(), "a", &env),
        Instance::spawn(dir.path(), "b", &env),
    ];
    for instance in &mut instances {
        instance.wait_until_up().await;
    }
    let addresses = [instances[0].address.clone(), instances[1].address.clone()];
    create_user(dir.path(), "food-clerk", "clerk", "food-drug");
    create_user(dir.path(), "market-clerk", "clerk", "market-regulation");
    let food = [
        sign_in(&addresses[0], "food-clerk").await,
        sign_in(&addresses[1], "food-clerk").await,
    ];
    let market = [
        sign_in(&addresses[0], "market-clerk").await,
        sign_in(&addresses[1], "market-clerk").await,
    ];

    // Filed across both instances, eight at a time.
    let mut codes: Vec<(usize, String)> = futures_util::stream::iter(0..COMPLAINTS)
        .map(|n| {
            let address = addresses[n % 2].clone();
            async move { (n, file(&address, n).await) }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    codes.sort();
    let db = tokio::task::spawn_blocking(move || Database::open(&location, 2).unwrap())
        .await
        .unwrap();
    let ids: HashMap<String, String> = db
        .read(|conn| {
            Ok(complaints::table
                .select((complaints::tracking_code, complaints::id))
                .load(conn)?)
        })
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(ids.len(), COMPLAINTS);
    let complaint_ids: Vec<String> = codes.iter().map(|(_, code)| ids[code].clone()).collect();
    let number_of: HashMap<&str, usize> = complaint_ids
        .iter()
        .enumerate()
        .map(|(n, id)| (id.as_str(), n))
        .collect();

    // Triage on both instances while both workers deliver.
    let races: Vec<[u16; 2]> = futures_util::stream::iter(0..COMPLAINTS)
        .map(|n| {
            let clerks = if category(n) == "food" {
                &food
            } else {
                &market
            };
            let id = complaint_ids[n].clone();
            async move { triage(n, &id, clerks).await }
        })
        .buffer_unordered(8)
        .filter_map(|race| async move { race })
        .collect()
        .await;
    assert_eq!(races.len(), COMPLAINTS / 20);
    for race in &races {
        let mut answers = *race;
        answers.sort();
        assert_eq!(
            answers,
            [303, 409],
            "one accept wins, the stale one is refused"
        );
    }

    // Every email out: nothing pending, and the server has as many as the outbox.
    let mut rows: Vec<(i64, Option<String>, String, String, String)> = Vec::new();
    for _ in 0..1200 {
        rows = db
            .read(|conn| {
                Ok(outbox::table
                    .order(outbox::id)
                    .select((
                        outbox::id,
                        outbox::complaint_id,
                        outbox::template,
                        outbox::recipient,
                        outbox::state,
                    ))
                    .load(conn)?)
            })
            .await
            .unwrap();
        if rows.iter().all(|r| r.4 == "sent") && smtp.messages().len() >= rows.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A moment more: a doubled delivery would arrive now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let unsent: Vec<_> = rows.iter().filter(|r| r.4 != "sent").collect();
    assert!(unsent.is_empty(), "not sent: {unsent:?}");

    // Exactly once: one message per Message-ID, one Message-ID per outbox row.
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for message in smtp.messages() {
        *copies.entry(message.message_id()).or_default() += 1;
    }
    let doubled: Vec<_> = copies.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "delivered more than once: {doubled:?}");
    let expected: BTreeSet<String> = rows
        .iter()
        .map(|r| format!("<outbox-{}@gc.test>", r.0))
        .collect();
    let delivered: BTreeSet<String> = copies.keys().cloned().collect();
    assert_eq!(delivered, expected, "the server got exactly the outbox");

    // No email written twice: each complaint's messages are those of its steps, each once,
    // and the same for every complaint that went the same way.
    let mut by_complaint: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    for (_, complaint, template, recipient, _) in &rows {
        let n = number_of[complaint
            .as_deref()
            .expect("every email is about a complaint")];
        by_complaint
            .entry(n)
            .or_default()
            .push((template.clone(), recipient.clone()));
    }
    assert_eq!(by_complaint.len(), COMPLAINTS);
    let mut shapes: BTreeMap<&str, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (n, mut emails) in by_complaint {
        emails.sort();
        let before = emails.len();
        emails.dedup();
        assert_eq!(emails.len(), before, "complaint {n}: an email twice");
        shapes
            .entry(scenario(n).0)
            .or_default()
            .insert(emails.into_iter().map(|(template, _)| template).collect());
    }
    for (steps, shape) in &shapes {
        assert_eq!(shape.len(), 1, "{steps}: the emails differ: {shape:?}");
    }

    // No event doubled: each complaint's timeline is exactly its steps.
    let timeline: Vec<(String, String)> = db
        .read(|conn| {
            Ok(events::table
                .order(events::id)
                .select((events::complaint_id, events::kind))
                .load(conn)?)
        })
        .await
        .unwrap();
    let mut kinds: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (complaint, kind) in timeline {
        kinds
            .entry(number_of[complaint.as_str()])
            .or_default()
            .push(kind);
    }
    for (n, kinds) in kinds {
        assert_eq!(kinds, scenario(n).1, "complaint {n}: {}", scenario(n).0);
    }

    // Both workers took part and, between them, sent each message once: the work divided
    // itself.
    let sent: Vec<usize> = instances.iter().map(|i| sent_by(&i.log_text())).collect();
    assert!(sent.iter().all(|n| *n > 0), "sent per instance: {sent:?}");
    assert_eq!(sent.iter().sum::<usize>(), rows.len(), "{sent:?}");
}

/// The messages an instance's log says it sent (its "email delivery pass" lines).
fn sent_by(log: &str) -> usize {
    log.lines()
        .filter(|line| line.contains("email delivery pass"))
        .map(|line| {
            // The log is coloured: drop the escape sequences first.
            let mut plain = String::new();
            let mut chars = line.chars();
            while let Some(c) = chars.next() {
                if c == '\u{1b}' {
                    chars.by_ref().find(|c| *c == 'm');
                } else {
                    plain.push(c);
                }
            }
            let count = plain
                .split_once(" sent=")
                .and_then(|(_, rest)| rest.split(' ').next())
                .and_then(|n| n.parse::<usize>().ok());
            count.unwrap_or_else(|| panic!("unreadable log line: {plain}"))
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_on_an_empty_database_all_come_up() {
    let test = "instances::instances_starting_together_on_an_empty_database_all_come_up";
    if postgres_only(test).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let location = database_for(dir.path());
    let _database = DatabaseGuard::of(dir.path());
    // Spawned back to back, before any has touched the database: each runs the migrations
    // and the first-start bootstrap (demo data, admin account) at the same moment.
    let mut instances: Vec<Instance> = ["a", "b", "c"]
        .iter()
        .map(|name| Instance::spawn(dir.path(), name, &[]))
        .collect();
    for instance in &mut instances {
        instance.wait_until_up().await;
    }
    let DatabaseLocation::Postgres(url) = location else {
        unreachable!("on PostgreSQL")
    };
    let mut conn = diesel::PgConnection::establish(&url).unwrap();
    let count = |conn: &mut diesel::PgConnection, table: &str| -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(conn)
            .unwrap()
            .n
    };
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count() as i64;
    assert_eq!(count(&mut conn, "__diesel_schema_migrations"), migrations);
    // Loaded once, not once per instance (a second load would have failed, or doubled).
    assert_eq!(count(&mut conn, "districts"), 12);
    assert_eq!(count(&mut conn, "departments"), 20);
    assert_eq!(count(&mut conn, "users"), 1);
    for instance in &instances {
        let log = instance.log_text();
        assert!(!log.contains("ERROR"), "{log}");
    }
}

#[tokio::test]
async fn a_clients_limits_hold_across_instances() {
    let test = "instances::a_clients_limits_hold_across_instances";
    if postgres_only(test).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let location = database_for(dir.path());
    let _database = DatabaseGuard::of(dir.path());
    // Every request comes from 127.0.0.1: one client, served by two instances.
    let env = [
        ("SUBMIT_LIMIT_PER_HOUR", "2".to_owned()),
        ("TRACK_LIMIT_PER_HOUR", "3".to_owned()),
        ("LOGIN_LIMIT_PER_HOUR", "2".to_owned()),
    ];
    let mut instances = [
        Instance::spawn(dir.path(), "a", &env),
        Instance::spawn(dir.path(), "b", &env),
    ];
    for instance in &mut instances {
        instance.wait_until_up().await;
    }
    let [a, b] = [instances[0].address.clone(), instances[1].address.clone()];

    // Filing: one on each instance, then the limit of 2 is reached on both.
    assert_eq!(try_file(&a, 0).await.status().as_u16(), 303);
    assert_eq!(try_file(&b, 1).await.status().as_u16(), 303);
    for address in [&a, &b] {
        let refused = try_file(address, 2).await;
        assert_eq!(
            refused.status().as_u16(),
            429,
            "a third filing on {address}"
        );
        assert!(refused.headers().contains_key("retry-after"));
    }

    // Tracking: three look-ups spread over both, the fourth refused on either.
    let look_up = |address: &str| {
        let url = format!("{address}/track/ABCD-EFGH-JKMN");
        async move { client().get(url).send().await.unwrap().status().as_u16() }
    };
    for address in [&a, &b, &a] {
        assert_ne!(look_up(address).await, 429, "within the limit on {address}");
    }
    assert_eq!(look_up(&b).await, 429);
    assert_eq!(look_up(&a).await, 429);

    // Sign-in failures (three usernames, so that no account's own lock-out plays a part).
    let (_, first) = crate::helpers::try_login_at(&a, "nobody-1", "wrong-password-1").await;
    let (_, second) = crate::helpers::try_login_at(&b, "nobody-2", "wrong-password-2").await;
    assert_eq!([first, second], [401, 401]);
    let (_, third) = crate::helpers::try_login_at(&a, "nobody-3", "wrong-password-3").await;
    assert_eq!(
        third, 429,
        "the address's failures on both instances count together"
    );

    // The hits are rows of the shared table, which the housekeeping pass keeps to an hour.
    let DatabaseLocation::Postgres(url) = location else {
        unreachable!("on PostgreSQL")
    };
    let mut conn = diesel::PgConnection::establish(&url).unwrap();
    use green_channel::db::schema::rate_limit_hits;
    let limits: BTreeSet<String> = rate_limit_hits::table
        .filter(rate_limit_hits::hits.gt(0))
        .select(rate_limit_hits::limit_name)
        .load(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(
        limits,
        BTreeSet::from(["sign_in", "submit", "track"].map(String::from))
    );
}
