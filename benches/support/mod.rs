//! What the benchmark and the crash drill share: the release service as a child process,
//! the public form fetched and filled as a browser would, the load generator, statistics.

#![allow(dead_code)]

pub mod baseline;
pub mod http;
pub mod load;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{input_value, request, Connection};

/// The release binary cargo built beside this bench.
pub const BINARY: &str = env!("CARGO_BIN_EXE_green-channel");

/// A fixed key, so that form tokens stay valid across restarts of the service.
pub const SECRET_KEY: &str =
    "YmVuY2gtc2VjcmV0LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24tYmVuY2gtc2VjcmV0LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=";
pub const ADMIN_PASSWORD: &str = "bench-admin-password";
pub const STAFF_PASSWORD: &str = "bench-staff-password";
/// "As many as you like": the benchmark measures the service, not its rate limits.
pub const UNLIMITED: &str = "100000000";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port()
}

/// The release service on a data folder, as a child process.
pub struct Service {
    child: Child,
    pub addr: String,
    pub port: u16,
    pub data_dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Service {
    /// Starts the service (same port on every restart) and waits for `/healthz`; returns
    /// it with the time from spawn to the first healthy answer.
    pub fn start(
        data_dir: &Path,
        port: u16,
        env: &[(&str, &str)],
    ) -> anyhow::Result<(Service, Duration)> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut service = Service {
            child: spawn(data_dir, port, &env)?,
            addr: format!("127.0.0.1:{port}"),
            port,
            data_dir: data_dir.to_owned(),
            env,
        };
        let started = service.wait_healthy()?;
        Ok((service, started))
    }

    fn wait_healthy(&mut self) -> anyhow::Result<Duration> {
        let spawned = Instant::now();
        let deadline = spawned + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                anyhow::bail!(
                    "the service exited ({status}); see {}",
                    self.log().display()
                );
            }
            if healthy(&self.addr) {
                return Ok(spawned.elapsed());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        anyhow::bail!("the service did not start; see {}", self.log().display())
    }

    pub fn log(&self) -> PathBuf {
        self.data_dir.join("service.log")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills and starts again on the same data and port; the time to healthy.
    pub fn restart(&mut self) -> anyhow::Result<Duration> {
        self.kill();
        self.child = spawn(&self.data_dir, self.port, &self.env)?;
        self.wait_healthy()
    }

    /// Peak resident set size so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.child.id(), "VmHWM:")
    }

    pub fn rss_kib(&self) -> Option<u64> {
        proc_status_kib(self.child.id(), "VmRSS:")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn spawn(data_dir: &Path, port: u16, env: &[(String, String)]) -> anyhow::Result<Child> {
    std::fs::create_dir_all(data_dir)?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data_dir.join("service.log"))?;
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("DATA_DIR", data_dir)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("BASE_URL", "http://gc.bench")
        .env("SECRET_KEY", SECRET_KEY)
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("MAIL_FROM", "Green Channel <no-reply@gc.bench>")
        .env("SUBMIT_LIMIT_PER_HOUR", UNLIMITED)
        .env("TRACK_LIMIT_PER_HOUR", UNLIMITED)
        .env("LOGIN_LIMIT_PER_HOUR", "1000")
        // The benchmark signs staff in by password alone (the second factor is not what
        // it measures; issue 14 made it the default for the office and admins).
        .env("REQUIRE_TOTP_ROLES", "");
    for (key, value) in env {
        command.env(key, value);
    }
    Ok(command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()?)
}

/// A plain blocking `GET /healthz`.
pub fn healthy(addr: &str) -> bool {
    use std::io::{Read as _, Write as _};
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200")
}

/// Runs a `green-channel` subcommand on a data folder (migrate, create-user, seed-demo).
pub fn command(data_dir: &Path, env: &[(&str, &str)], args: &[&str]) -> anyhow::Result<String> {
    std::fs::create_dir_all(data_dir)?;
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("DATA_DIR", data_dir)
        .env("SECRET_KEY", SECRET_KEY)
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("USER_PASSWORD", STAFF_PASSWORD)
        .env("BASE_URL", "http://gc.bench")
        .env("RUST_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.args(args).stdin(Stdio::null()).output()?;
    anyhow::ensure!(
        output.status.success(),
        "green-channel {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// One form as `GET /complaints/new` handed it out: the CSRF cookie, its token and the
/// submission id.
#[derive(Debug, Clone)]
pub struct FormPass {
    pub cookie: String,
    pub token: String,
    pub submission_id: String,
}

/// Fetches `count` forms over `connections` connections.
pub async fn fetch_forms(
    addr: &str,
    count: usize,
    connections: usize,
) -> anyhow::Result<Vec<FormPass>> {
    let left = Arc::new(AtomicU64::new(count as u64));
    let out = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let mut tasks = Vec::new();
    for _ in 0..connections.max(1) {
        let (left, out, addr) = (left.clone(), out.clone(), addr.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::new(&addr);
            let get = request("GET", "/complaints/new", &[], b"");
            while left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                let response = connection.send(&get, Duration::from_secs(30)).await?;
                anyhow::ensure!(response.status == 200, "form: {}", response.status);
                let html = response.text();
                let pass = FormPass {
                    cookie: response
                        .cookie("gc_csrf")
                        .ok_or_else(|| anyhow::anyhow!("no CSRF cookie"))?,
                    token: input_value(&html, "csrf_token")
                        .ok_or_else(|| anyhow::anyhow!("no csrf_token"))?,
                    submission_id: input_value(&html, "submission_id")
                        .ok_or_else(|| anyhow::anyhow!("no submission_id"))?,
                };
                out.lock().unwrap().push(pass);
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let forms = std::mem::take(&mut *out.lock().unwrap());
    Ok(forms)
}

/// Categories whose routing has no co-handler: every filing then writes what the plain
/// baseline writes (a complaint, one event, two emails), plus the search row.
const INTAKE_CATEGORIES: [&str; 6] = [
    "food",
    "industrial-products",
    "services",
    "drugs",
    "metrology",
    "special-equipment",
];
const DISTRICTS: [&str; 6] = ["361102", "361103", "361104", "361123", "361127", "361181"];
const PRODUCTS: [&str; 6] = [
    "婴儿奶粉 900 克",
    "电热水壶",
    "健身年卡",
    "感冒药",
    "猪肉",
    "住宅电梯",
];

/// A description as residents write them: 600 characters of Chinese (issue 15's
/// independent run used this length), different for each `n`.
pub fn description(n: u64, product: &str) -> String {
    let story = format!(
        "我于{}月{}日在这家店购买了{}，回家后发现产品存在明显的质量问题，包装破损，生产日期模糊不清，\
         使用不到两天就出现故障。我当天就拿着购物小票和产品回到店里要求退换，店员说需要请示店长，\
         店长却说商品已经售出概不退换，态度非常恶劣。之后我又打了{}次电话协商，每次都说会给答复，\
         但一直没有结果。我认为商家的行为侵害了消费者的合法权益，请有关部门依法调查处理，责令商家退货退款并赔偿损失。",
        n % 12 + 1,
        n % 28 + 1,
        product,
        n % 5 + 1
    );
    story.chars().cycle().take(600).collect()
}

/// The fields of a valid complaint, a little different for each `n`.
pub fn complaint_fields(n: u64) -> Vec<(&'static str, String)> {
    let i = (n % 6) as usize;
    vec![
        ("kind", "complaint".into()),
        ("category", INTAKE_CATEGORIES[i].into()),
        ("district", DISTRICTS[(n / 6 % 6) as usize].into()),
        (
            "business_name",
            format!("信州区好又多超市第{}分店", n % 997),
        ),
        ("business_address", "信州区中山路 88 号".into()),
        ("business_credit_code", "91350100M000100Y43".into()),
        ("product", PRODUCTS[i].into()),
        ("incident_date", String::new()),
        ("description", description(n, PRODUCTS[i])),
        ("demand", "退货退款".into()),
        ("complainant_name", "张三".into()),
        ("phone", format!("138{:08}", n % 100_000_000)),
        ("email", format!("resident{n}@example.com")),
        ("consent", "on".into()),
        ("website", String::new()),
    ]
}

/// The urlencoded body of a filing with this form pass.
pub fn complaint_body(n: u64, pass: &FormPass) -> Vec<u8> {
    let mut fields = complaint_fields(n);
    fields.push(("csrf_token", pass.token.clone()));
    fields.push(("submission_id", pass.submission_id.clone()));
    serde_urlencoded::to_string(&fields)
        .expect("fields encode")
        .into_bytes()
}

/// `POST /complaints` as a browser sends it after the form.
pub fn filing_request(n: u64, pass: &FormPass) -> Vec<u8> {
    let body = complaint_body(n, pass);
    request(
        "POST",
        "/complaints",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &pass.cookie),
        ],
        &body,
    )
}

/// Signs in on the admin page; the `gc_session=…` cookie pair.
pub async fn sign_in(addr: &str, username: &str, password: &str) -> anyhow::Result<String> {
    let mut connection = Connection::new(addr);
    let page = connection
        .send(
            &request("GET", "/admin/login", &[], b""),
            Duration::from_secs(30),
        )
        .await?;
    let cookie = page
        .cookie("gc_csrf")
        .ok_or_else(|| anyhow::anyhow!("no CSRF cookie on the login page"))?;
    let token = input_value(&page.text(), "csrf_token")
        .ok_or_else(|| anyhow::anyhow!("no token on the login page"))?;
    let body = serde_urlencoded::to_string([
        ("username", username),
        ("password", password),
        ("csrf_token", token.as_str()),
    ])?;
    let answer = connection
        .send(
            &request(
                "POST",
                "/admin/login",
                &[
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Cookie", &cookie),
                ],
                body.as_bytes(),
            ),
            Duration::from_secs(30),
        )
        .await?;
    answer
        .cookie("gc_session")
        .ok_or_else(|| anyhow::anyhow!("sign-in as {username} failed: {}", answer.status))
}

/// Bytes of a SQLite database with its WAL.
pub fn database_bytes(path: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::fs::metadata(PathBuf::from(name)).ok()
        })
        .map(|m| m.len())
        .sum()
}

pub fn fresh_dir(root: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let dir = root.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
