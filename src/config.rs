//! Settings from the environment (each also a `serve` flag), validated once at start-up
//! into a `Config`. Nothing else reads the environment.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use base64::Engine as _;

use crate::db::DatabaseLocation;

/// The `serve` flags; every one can also come from the environment variable of the same name.
/// No `Debug`: it would print the secrets as given.
#[derive(clap::Args, Clone)]
pub struct Settings {
    /// Database: sqlite://PATH (default DATA_DIR/green-channel.db) or postgres://…
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Address and port to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen_addr: String,
    /// Public address of the service, for links in emails (default http://LISTEN_ADDR).
    #[arg(long, env = "BASE_URL")]
    pub base_url: Option<String>,
    /// Folder for the SQLite database, the generated secret key and .eml files.
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// smtp://, smtps:// or smtp://…?tls=starttls; unset: emails are written under DATA_DIR/mail/.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of every email.
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "Green Channel <no-reply@green-channel.invalid>"
    )]
    pub mail_from: String,
    /// At least 64 random bytes, base64; unset: generated once and kept in DATA_DIR.
    #[arg(long, env = "SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Password of the bootstrap `admin` account on first start; unset: random, printed once.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    #[arg(long, env = "OUTBOX_RETRY_BASE_SECS", default_value_t = 60)]
    pub outbox_retry_base_secs: u64,
    #[arg(long, env = "OUTBOX_GIVE_UP_HOURS", default_value_t = 120)]
    pub outbox_give_up_hours: u64,
    /// Complaints one client address may file per hour (counted per instance).
    #[arg(long, env = "SUBMIT_LIMIT_PER_HOUR", default_value_t = 20)]
    pub submit_limit_per_hour: u32,
    /// Tracking look-ups per client address per hour (counted per instance).
    #[arg(long, env = "TRACK_LIMIT_PER_HOUR", default_value_t = 300)]
    pub track_limit_per_hour: u32,
    /// Failed logins per client address per hour (counted per instance).
    #[arg(long, env = "LOGIN_LIMIT_PER_HOUR", default_value_t = 30)]
    pub login_limit_per_hour: u32,
    #[arg(long, env = "MAIL_PER_RECIPIENT_PER_DAY", default_value_t = 30)]
    pub mail_per_recipient_per_day: u32,
    /// Comma-separated proxy addresses whose X-Forwarded-For is believed.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
    #[arg(long, env = "SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u32,
    #[arg(long, env = "RATING_WINDOW_DAYS", default_value_t = 15)]
    pub rating_window_days: u32,
    /// Days back a new case looks for earlier ones about the same business and category
    /// (possible duplicates and related cases).
    #[arg(long, env = "DUPLICATE_WINDOW_DAYS", default_value_t = 30)]
    pub duplicate_window_days: u32,
    /// Seconds between two passes of the deadline sweeper in the service; 0 turns it off
    /// (then run `green-channel sweep` from cron).
    #[arg(long, env = "SWEEP_INTERVAL_SECONDS", default_value_t = 60)]
    pub sweep_interval_seconds: u64,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "WORKERS")]
    pub workers: Option<usize>,
    /// Database connections this instance keeps (PostgreSQL: instances × this must stay
    /// below the server's max_connections; SQLite: readers beside the one writer).
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 8)]
    pub database_pool_size: u32,
    /// Bearer token that `/metrics` on LISTEN_ADDR asks for (unset: 404 there).
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// A second, private address (e.g. 127.0.0.1:9090) serving `/metrics` without a token.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<String>,
    /// The Open311 `jurisdiction_id` this endpoint serves (default: the host of BASE_URL).
    #[arg(long, env = "OPEN311_JURISDICTION_ID")]
    pub open311_jurisdiction_id: Option<String>,
    /// Roles that must sign in with a second factor (TOTP), comma-separated; those not
    /// enrolled set it up at their next sign-in. Empty: nobody is forced.
    #[arg(long, env = "REQUIRE_TOTP_ROLES", default_value = "admin,coordinator")]
    pub require_totp_roles: String,
    /// The body that runs the service, in the public pages' footer and the privacy notice
    /// (default: the coordination office, in the visitor's language).
    #[arg(long, env = "OPERATOR_NAME")]
    pub operator_name: Option<String>,
    /// Its phone number for residents, in the footer.
    #[arg(long, env = "OPERATOR_PHONE", default_value = DEFAULT_OPERATOR_PHONE)]
    pub operator_phone: String,
    /// A UTF-8 text file replacing the built-in privacy notice of `/privacy` (paragraphs
    /// separated by blank lines; shown as text, whatever the visitor's language).
    #[arg(long, env = "PRIVACY_NOTICE_FILE")]
    pub privacy_notice_file: Option<PathBuf>,
    /// The ICP filing number (备案号) shown in the footer, linked to the MIIT register.
    #[arg(long, env = "ICP_FILING")]
    pub icp_filing: Option<String>,
}

/// The city's service hotline, until an operator sets its own number.
pub const DEFAULT_OPERATOR_PHONE: &str = "12345";
/// A privacy notice is a page, not a book.
const MAX_PRIVACY_NOTICE_BYTES: u64 = 64 * 1024;

/// Who runs the service, as the public pages' footer and `/privacy` tell residents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSettings {
    /// `None`: the coordination office, named in the visitor's language.
    pub operator_name: Option<String>,
    pub operator_phone: String,
    /// The paragraphs of `PRIVACY_NOTICE_FILE`; `None`: the built-in notice.
    pub privacy_notice: Option<Vec<String>>,
    pub icp_filing: Option<String>,
}

impl Default for SiteSettings {
    fn default() -> SiteSettings {
        SiteSettings {
            operator_name: None,
            operator_phone: DEFAULT_OPERATOR_PHONE.to_owned(),
            privacy_notice: None,
            icp_filing: None,
        }
    }
}

impl SiteSettings {
    fn from_settings(
        operator_name: Option<String>,
        operator_phone: String,
        privacy_notice_file: Option<PathBuf>,
        icp_filing: Option<String>,
    ) -> anyhow::Result<SiteSettings> {
        let line = |what: &str, value: Option<String>| -> anyhow::Result<Option<String>> {
            let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
                return Ok(None);
            };
            anyhow::ensure!(
                value.chars().count() <= 200 && !value.chars().any(char::is_control),
                "{what} must be one line of at most 200 characters"
            );
            Ok(Some(value))
        };
        let operator_phone = line("OPERATOR_PHONE", Some(operator_phone))?
            .context("OPERATOR_PHONE must not be empty")?;
        let privacy_notice = match privacy_notice_file {
            None => None,
            Some(path) => {
                let size = std::fs::metadata(&path)
                    .with_context(|| format!("PRIVACY_NOTICE_FILE {}", path.display()))?
                    .len();
                anyhow::ensure!(
                    size <= MAX_PRIVACY_NOTICE_BYTES,
                    "PRIVACY_NOTICE_FILE must be at most {MAX_PRIVACY_NOTICE_BYTES} bytes"
                );
                let text = std::fs::read_to_string(&path).with_context(|| {
                    format!("PRIVACY_NOTICE_FILE {} must be UTF-8 text", path.display())
                })?;
                let paragraphs: Vec<String> = text
                    .replace("\r\n", "\n")
                    .split("\n\n")
                    .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|p| !p.is_empty())
                    .collect();
                anyhow::ensure!(
                    !paragraphs.is_empty(),
                    "PRIVACY_NOTICE_FILE {} is empty",
                    path.display()
                );
                Some(paragraphs)
            }
        };
        Ok(SiteSettings {
            operator_name: line("OPERATOR_NAME", operator_name)?,
            operator_phone,
            privacy_notice,
            icp_filing: line("ICP_FILING", icp_filing)?,
        })
    }
}

/// The validated configuration every part of the service is built from. Its `Debug`
/// leaves the secrets out (below).
#[derive(Clone)]
pub struct Config {
    pub database: DatabaseLocation,
    pub listen_addr: String,
    pub base_url: String,
    pub data_dir: PathBuf,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub secret_key: Vec<u8>,
    pub admin_password: Option<String>,
    pub outbox_retry_base_secs: u64,
    pub outbox_give_up_hours: u64,
    pub submit_limit_per_hour: u32,
    pub track_limit_per_hour: u32,
    pub login_limit_per_hour: u32,
    pub mail_per_recipient_per_day: u32,
    pub trusted_proxies: Vec<IpAddr>,
    pub session_idle_minutes: u32,
    pub rating_window_days: u32,
    pub duplicate_window_days: u32,
    pub sweep_interval_seconds: u64,
    pub workers: Option<usize>,
    pub database_pool_size: u32,
    pub metrics_token: Option<String>,
    pub metrics_addr: Option<String>,
    /// How long `/metrics` keeps the outbox figures (15 s; not a setting: tests use 0 to
    /// see each change at once).
    pub metrics_cache_seconds: u64,
    /// The Open311 `jurisdiction_id` (a request naming another one is refused).
    pub open311_jurisdiction_id: String,
    /// `REQUIRE_TOTP_ROLES`: roles that must use a second factor (empty: none).
    pub require_totp_roles: Vec<crate::domain::access::Role>,
    /// Who runs the service: the public pages' footer and `/privacy`.
    pub site: std::sync::Arc<SiteSettings>,
}

const MIN_SECRET_KEY_BYTES: usize = 64;
/// A guessable token would make the public `/metrics` public again.
const MIN_METRICS_TOKEN_CHARS: usize = 16;
/// Far above any sensible pool: a typo such as 10000 would exhaust the server at start-up.
const MAX_POOL_SIZE: u32 = 1000;

/// `create-user`'s minimum, for the bootstrap `admin` account too.
pub const MIN_ADMIN_PASSWORD_CHARS: usize = crate::services::manage::form::MIN_PASSWORD_CHARS;

/// Whether a `LISTEN_ADDR` is reachable from this machine only (`127.0.0.1:8080`,
/// `[::1]:8080`, `localhost:8080`).
pub fn is_loopback_listen_addr(listen_addr: &str) -> bool {
    if let Ok(addr) = listen_addr.parse::<std::net::SocketAddr>() {
        return addr.ip().is_loopback();
    }
    listen_addr
        .rsplit_once(':')
        .is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost"))
}

impl Settings {
    /// What `serve` asks beyond `into_config`: on an address others can reach, a
    /// forgotten `BASE_URL` would silently give `http://0.0.0.0` links and cookies without
    /// `Secure`, so the service refuses to start without one.
    pub fn check_for_serving(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.base_url
                .as_deref()
                .is_some_and(|b| !b.trim().is_empty())
                || is_loopback_listen_addr(&self.listen_addr),
            "BASE_URL must be set when LISTEN_ADDR ({}) is not a loopback address: it is the \
             address residents reach the service at (https://… behind TLS)",
            self.listen_addr
        );
        Ok(())
    }

    pub fn into_config(self) -> anyhow::Result<Config> {
        let database_url = self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data_dir.join("green-channel.db").display()
            )
        });
        let database = DatabaseLocation::parse(&database_url)?;
        let secret_key = match &self.secret_key {
            Some(encoded) => decode_secret_key(encoded)?,
            None if matches!(database, DatabaseLocation::Postgres(_)) => anyhow::bail!(
                "SECRET_KEY must be set (the same on every instance) when running on PostgreSQL"
            ),
            None => load_or_create_secret_key(&self.data_dir)?,
        };
        let base_url = self
            .base_url
            .unwrap_or_else(|| format!("http://{}", self.listen_addr))
            .trim_end_matches('/')
            .to_owned();
        anyhow::ensure!(
            base_url.starts_with("http://") || base_url.starts_with("https://"),
            "BASE_URL must start with http:// or https://"
        );
        anyhow::ensure!(
            (1..=MAX_POOL_SIZE).contains(&self.database_pool_size),
            "DATABASE_POOL_SIZE must be between 1 and {MAX_POOL_SIZE}"
        );
        let metrics_token = self.metrics_token.filter(|t| !t.is_empty());
        if let Some(token) = &metrics_token {
            anyhow::ensure!(
                token.len() >= MIN_METRICS_TOKEN_CHARS && token.chars().all(|c| c.is_ascii_graphic()),
                "METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_CHARS} printable ASCII characters without spaces"
            );
        }
        let admin_password = self.admin_password.filter(|p| !p.is_empty());
        if let Some(password) = &admin_password {
            anyhow::ensure!(
                password.chars().count() >= MIN_ADMIN_PASSWORD_CHARS,
                "ADMIN_PASSWORD must be at least {MIN_ADMIN_PASSWORD_CHARS} characters"
            );
        }
        let open311_jurisdiction_id = match self
            .open311_jurisdiction_id
            .map(|j| j.trim().to_owned())
            .filter(|j| !j.is_empty())
        {
            Some(id) => id,
            None => url::Url::parse(&base_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .context("BASE_URL has no host to serve as OPEN311_JURISDICTION_ID")?,
        };
        let require_totp_roles = parse_roles(&self.require_totp_roles)?;
        let site = SiteSettings::from_settings(
            self.operator_name,
            self.operator_phone,
            self.privacy_notice_file,
            self.icp_filing,
        )?;
        Ok(Config {
            require_totp_roles,
            site: std::sync::Arc::new(site),
            open311_jurisdiction_id,
            database,
            listen_addr: self.listen_addr,
            base_url,
            data_dir: self.data_dir,
            smtp_url: self.smtp_url,
            mail_from: self.mail_from,
            secret_key,
            admin_password,
            outbox_retry_base_secs: self.outbox_retry_base_secs,
            outbox_give_up_hours: self.outbox_give_up_hours,
            submit_limit_per_hour: self.submit_limit_per_hour,
            track_limit_per_hour: self.track_limit_per_hour,
            login_limit_per_hour: self.login_limit_per_hour,
            mail_per_recipient_per_day: self.mail_per_recipient_per_day,
            trusted_proxies: self.trusted_proxies,
            session_idle_minutes: self.session_idle_minutes,
            rating_window_days: self.rating_window_days,
            duplicate_window_days: self.duplicate_window_days,
            sweep_interval_seconds: self.sweep_interval_seconds,
            workers: self.workers,
            database_pool_size: self.database_pool_size,
            metrics_token,
            metrics_addr: self.metrics_addr.filter(|a| !a.trim().is_empty()),
            metrics_cache_seconds: crate::metrics::OUTBOX_FIGURES_EVERY.as_secs(),
        })
    }
}

/// `admin,coordinator` as roles; blank entries are skipped, an unknown name refused.
fn parse_roles(text: &str) -> anyhow::Result<Vec<crate::domain::access::Role>> {
    text.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            crate::domain::access::Role::parse(name).with_context(|| {
                format!("REQUIRE_TOTP_ROLES: unknown role {name:?} (clerk, supervisor, coordinator, admin)")
            })
        })
        .collect()
}

impl Config {
    /// Whether cookies must be `Secure` (the service is reached over TLS).
    pub fn behind_tls(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

const REDACTED: &str = "[redacted]";
/// In a URL: letters only, so that it is not percent-encoded into something less plain.
const REDACTED_IN_URL: &str = "redacted";

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Taken apart field by field, so that a new field cannot be printed unseen.
        let Config {
            database,
            listen_addr,
            base_url,
            data_dir,
            smtp_url,
            mail_from,
            secret_key: _,
            admin_password,
            outbox_retry_base_secs,
            outbox_give_up_hours,
            submit_limit_per_hour,
            track_limit_per_hour,
            login_limit_per_hour,
            mail_per_recipient_per_day,
            trusted_proxies,
            session_idle_minutes,
            rating_window_days,
            duplicate_window_days,
            sweep_interval_seconds,
            workers,
            database_pool_size,
            metrics_token,
            metrics_addr,
            metrics_cache_seconds,
            open311_jurisdiction_id,
            require_totp_roles,
            site,
        } = self;
        let database = match database {
            DatabaseLocation::SqliteFile(path) => format!("sqlite://{}", path.display()),
            DatabaseLocation::Postgres(url) => redact_url(url),
        };
        f.debug_struct("Config")
            .field("database", &database)
            .field("listen_addr", listen_addr)
            .field("base_url", base_url)
            .field("data_dir", data_dir)
            .field("smtp_url", &smtp_url.as_deref().map(redact_url))
            .field("mail_from", mail_from)
            .field("secret_key", &REDACTED)
            .field("admin_password", &admin_password.as_ref().map(|_| REDACTED))
            .field("outbox_retry_base_secs", outbox_retry_base_secs)
            .field("outbox_give_up_hours", outbox_give_up_hours)
            .field("submit_limit_per_hour", submit_limit_per_hour)
            .field("track_limit_per_hour", track_limit_per_hour)
            .field("login_limit_per_hour", login_limit_per_hour)
            .field("mail_per_recipient_per_day", mail_per_recipient_per_day)
            .field("trusted_proxies", trusted_proxies)
            .field("session_idle_minutes", session_idle_minutes)
            .field("rating_window_days", rating_window_days)
            .field("duplicate_window_days", duplicate_window_days)
            .field("sweep_interval_seconds", sweep_interval_seconds)
            .field("workers", workers)
            .field("database_pool_size", database_pool_size)
            .field("metrics_token", &metrics_token.as_ref().map(|_| REDACTED))
            .field("metrics_addr", metrics_addr)
            .field("metrics_cache_seconds", metrics_cache_seconds)
            .field("open311_jurisdiction_id", open311_jurisdiction_id)
            .field("require_totp_roles", require_totp_roles)
            .field("site", site)
            .finish()
    }
}

/// A database or SMTP URL without its password, wherever it is given: in the user part, or
/// (libpq) as a `password` parameter. A URL that does not parse is not shown at all.
fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return REDACTED.to_owned();
    };
    if url.password().is_some() && url.set_password(Some(REDACTED_IN_URL)).is_err() {
        return REDACTED.to_owned();
    }
    if url.query_pairs().any(|(name, _)| name == "password") {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if name == "password" {
                    REDACTED_IN_URL.to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

fn decode_secret_key(encoded: &str) -> anyhow::Result<Vec<u8>> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .context("SECRET_KEY is not valid base64")?;
    anyhow::ensure!(
        key.len() >= MIN_SECRET_KEY_BYTES,
        "SECRET_KEY must hold at least {MIN_SECRET_KEY_BYTES} bytes (it holds {})",
        key.len()
    );
    Ok(key)
}

/// A single-instance SQLite deployment keeps its generated key beside the database.
fn load_or_create_secret_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join("secret_key");
    if !path.exists() {
        crate::private_files::create_private_dir(data_dir)
            .with_context(|| format!("creating the data folder {}", data_dir.display()))?;
        let key: [u8; MIN_SECRET_KEY_BYTES] = rand::random();
        let encoded = base64::engine::general_purpose::STANDARD.encode(key);
        // Two processes may start at once (the service and `green-channel sweep`): each
        // writes its key to a file of its own and links it into place, which succeeds for
        // exactly one; the other reads the winner's key, never a half-written file.
        let draft = data_dir.join(format!("secret_key.{}.draft", uuid::Uuid::new_v4()));
        write_private_file(&draft, &encoded)?;
        let linked = std::fs::hard_link(&draft, &path);
        let _ = std::fs::remove_file(&draft);
        match linked {
            Ok(()) => return Ok(key.to_vec()),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => {
                return Err(error).with_context(|| format!("creating {}", path.display()))
            }
        }
    }
    // A key an older version left readable to everyone is made private.
    crate::private_files::restrict_file(&path)?;
    let encoded =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    decode_secret_key(&encoded).with_context(|| format!("in {}", path.display()))
}

fn write_private_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = crate::private_files::private_file_options();
    options.write(true).create_new(true);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    #[test]
    fn the_operators_settings_are_read_once_and_malformed_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let parse = |args: &[&str]| {
            let mut all = vec!["gc", "--data-dir", dir.path().to_str().unwrap()];
            all.extend_from_slice(args);
            Cli::parse_from(all).settings.into_config()
        };
        assert_eq!(*parse(&[]).unwrap().site, SiteSettings::default());
        assert_eq!(parse(&[]).unwrap().site.operator_phone, "12345");

        let notice = dir.path().join("privacy.txt");
        std::fs::write(&notice, "第一段\n接着写。\r\n\r\n\n第二段\n").unwrap();
        let set = parse(&[
            "--operator-name",
            " 上饶市市场监督管理局 ",
            "--operator-phone",
            "0793-8221234",
            "--icp-filing",
            "赣ICP备12345678号-1",
            "--privacy-notice-file",
            notice.to_str().unwrap(),
        ])
        .unwrap();
        assert_eq!(
            *set.site,
            SiteSettings {
                operator_name: Some("上饶市市场监督管理局".into()),
                operator_phone: "0793-8221234".into(),
                privacy_notice: Some(vec!["第一段 接着写。".into(), "第二段".into()]),
                icp_filing: Some("赣ICP备12345678号-1".into()),
            }
        );
        // Empty means unset, except for the phone, which has a default to fall back on.
        assert_eq!(
            parse(&["--icp-filing", "  "]).unwrap().site.icp_filing,
            None
        );

        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, " \n\n ").unwrap();
        let big = dir.path().join("big.txt");
        std::fs::write(&big, "隐".repeat(30_000)).unwrap();
        let binary = dir.path().join("binary.txt");
        std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
        let long = "局".repeat(201);
        let missing = dir.path().join("missing.txt");
        for (case, args, setting) in [
            (
                "empty phone",
                vec!["--operator-phone", " "],
                "OPERATOR_PHONE",
            ),
            (
                "phone on two lines",
                vec!["--operator-phone", "1\n2"],
                "OPERATOR_PHONE",
            ),
            (
                "name too long",
                vec!["--operator-name", &long],
                "OPERATOR_NAME",
            ),
            (
                "control character",
                vec!["--icp-filing", "赣\u{7}"],
                "ICP_FILING",
            ),
            (
                "missing notice",
                vec!["--privacy-notice-file", missing.to_str().unwrap()],
                "PRIVACY_NOTICE_FILE",
            ),
            (
                "empty notice",
                vec!["--privacy-notice-file", empty.to_str().unwrap()],
                "PRIVACY_NOTICE_FILE",
            ),
            (
                "notice too big",
                vec!["--privacy-notice-file", big.to_str().unwrap()],
                "PRIVACY_NOTICE_FILE",
            ),
            (
                "notice not UTF-8",
                vec!["--privacy-notice-file", binary.to_str().unwrap()],
                "PRIVACY_NOTICE_FILE",
            ),
        ] {
            let err = parse(&args).expect_err(case);
            assert!(format!("{err:#}").contains(setting), "{case}: {err:#}");
        }
    }

    #[test]
    fn unknown_database_schemes_and_short_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let parse = |args: &[&str]| {
            let mut all = vec!["gc", "--data-dir", dir.path().to_str().unwrap()];
            all.extend_from_slice(args);
            Cli::parse_from(all).settings.into_config()
        };
        let err = parse(&["--database-url", "mysql://x/y"]).unwrap_err();
        assert!(
            err.to_string().contains("sqlite:// or postgres://"),
            "{err}"
        );
        let err = parse(&["--secret-key", "c2hvcnQ="]).unwrap_err();
        assert!(err.to_string().contains("at least 64 bytes"), "{err}");
        let err = parse(&["--database-url", "postgres://u@h/db"]).unwrap_err();
        assert!(err.to_string().contains("SECRET_KEY"), "{err}");
        let err = parse(&["--database-pool-size", "0"]).unwrap_err();
        assert!(err.to_string().contains("DATABASE_POOL_SIZE"), "{err}");
        assert_eq!(parse(&[]).unwrap().database_pool_size, 8);
        let err = parse(&["--metrics-token", "short"]).unwrap_err();
        assert!(err.to_string().contains("METRICS_TOKEN"), "{err}");
        let err = parse(&["--metrics-token", "a token with spaces in it"]).unwrap_err();
        assert!(err.to_string().contains("METRICS_TOKEN"), "{err}");
        let set = parse(&[
            "--metrics-token",
            "0123456789abcdef",
            "--metrics-addr",
            "127.0.0.1:9090",
        ])
        .unwrap();
        assert_eq!(set.metrics_token.as_deref(), Some("0123456789abcdef"));
        assert_eq!(set.metrics_addr.as_deref(), Some("127.0.0.1:9090"));
        assert_eq!(parse(&[]).unwrap().metrics_token, None);
        let first = parse(&[]).unwrap();
        let second = parse(&[]).unwrap();
        assert_eq!(
            first.secret_key, second.secret_key,
            "the generated key is kept"
        );
        assert_eq!(first.secret_key.len(), 64);
    }

    #[test]
    fn processes_starting_at_once_agree_on_one_generated_key() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<Vec<u8>> = std::thread::scope(|scope| {
            let starts: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| load_or_create_secret_key(dir.path()).unwrap()))
                .collect();
            starts.into_iter().map(|s| s.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|key| key == &keys[0]), "one key for all");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no drafts left behind: {left:?}");
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let key = base64::engine::general_purpose::STANDARD.encode([0xA7u8; 64]);
        let config = Cli::parse_from([
            "gc",
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--database-url",
            "postgres://app:db-pass-1@db.internal:5432/app?sslmode=require&password=db-pass-2",
            "--smtp-url",
            "smtps://mailer:smtp-pass-3@smtp.example.com:465",
            "--secret-key",
            &key,
            "--admin-password",
            "admin-pass-4",
            "--metrics-token",
            "metrics-token-5-secret",
        ])
        .settings
        .into_config()
        .unwrap();
        let shown = format!("{config:?}");
        for secret in [
            "db-pass-1",
            "db-pass-2",
            "smtp-pass-3",
            "admin-pass-4",
            "metrics-token-5-secret",
            &key,
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        // The key's bytes, as a derived Debug would print them.
        assert!(!shown.contains("167, 167"), "{shown}");
        // What is not secret stays readable.
        for visible in [
            "db.internal:5432/app",
            "sslmode=require",
            "smtps://mailer:redacted@smtp.example.com:465",
        ] {
            assert!(shown.contains(visible), "{visible} missing from {shown}");
        }
        let sqlite = Cli::parse_from(["gc", "--data-dir", dir.path().to_str().unwrap()])
            .settings
            .into_config()
            .unwrap();
        assert!(format!("{sqlite:?}").contains("green-channel.db"));
    }
}
