//! The `green-channel` command: serve (the default), migrate, create-user,
//! load-jurisdiction, seed-demo, sweep, digest, rebuild-businesses, reset-totp, healthcheck.

use std::io::IsTerminal as _;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use green_channel::config::Settings;
use green_channel::{prepare_database, Application};

#[derive(Parser)]
#[command(
    name = "green-channel",
    version,
    about = "A city's green channel for product and service quality complaints"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (the default).
    Serve,
    /// Apply pending database migrations and load the demo data into an empty database.
    Migrate,
    /// Create a staff account; the password comes from USER_PASSWORD or a prompt.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = ["clerk", "supervisor", "coordinator", "admin"])]
        role: String,
        /// Department code (default: the coordination office).
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// Load districts, departments, categories and routing rules from a TOML file shaped like
    /// jurisdictions/demo.toml: new records are inserted, existing ones (by code) updated,
    /// nothing is deleted. On an empty database the file takes the demo's place.
    LoadJurisdiction {
        /// The TOML file.
        file: std::path::PathBuf,
    },
    /// Add realistic demo complaints, written as history (emails recorded as sent, deadlines
    /// settled), with a demo clerk per department and a coordinator (`demo-office`); their
    /// password comes from USER_PASSWORD, or is made up and printed on the first run.
    SeedDemo {
        /// How many complaints to add.
        #[arg(long, default_value_t = 1000)]
        complaints: u64,
        /// Random seed: the same seed on an empty database gives the same complaints.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// One pass of the deadline sweeper (reminders, overdue, 督办 escalation, closing
    /// unrated cases) against the configured database, then print
    /// `reminded N, overdue N, escalated N, closed N`. Safe beside a running service.
    Sweep {
        /// Run as if it were this moment (RFC 3339, e.g. 2027-01-15T09:00:00+08:00), for
        /// drills and tests; default: now.
        #[arg(long, value_parser = parse_moment)]
        as_of: Option<chrono::NaiveDateTime>,
        /// Tests only: after claiming each batch, print `claimed N` to stderr and wait this
        /// many seconds before writing it (so a test can kill the pass mid-transaction).
        #[arg(long, hide = true)]
        hold_after_claim: Option<u64>,
    },
    /// Send the weekly digest of the week of that moment now (default: this week), to
    /// whoever has not had it; prints `digests N`.
    Digest {
        /// As if it were this moment (RFC 3339), for drills and tests; default: now.
        #[arg(long, value_parser = parse_moment)]
        as_of: Option<chrono::NaiveDateTime>,
    },
    /// Recount the bulletin's day tallies from every case's records (after rows were
    /// restored or edited by hand); prints `cases N`. Safe beside a running service.
    RecountBulletin,
    /// Create an Open311 API key and print it alone on its line (it is shown only this
    /// once; only its hash is kept). A running service accepts it at once.
    CreateApiKey {
        /// Who uses the key (shown on /admin/api-keys).
        #[arg(long)]
        name: String,
        /// Requests the key may file per hour (default 100).
        #[arg(long)]
        limit_per_hour: Option<String>,
    },
    /// Recompute which business every case is about under the current name rules (after
    /// they change, or after an upgrade from a version without businesses); prints
    /// `businesses N, links changed N`. Running it again changes nothing.
    RebuildBusinesses,
    /// Remove a staff member's second factor (TOTP enrolment and recovery codes), e.g. after
    /// a lost phone; prints `reset-totp U: removed` (or `: not enrolled`).
    ResetTotp {
        #[arg(long)]
        username: String,
    },
    /// Exit 0 when the running service's /healthz answers (for container health checks).
    Healthcheck,
}

/// An RFC 3339 moment as the UTC timestamp the database holds.
fn parse_moment(text: &str) -> Result<chrono::NaiveDateTime, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|moment| moment.naive_utc())
        .map_err(|e| format!("expected a moment like 2027-01-15T09:00:00+08:00 ({e})"))
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal: in a log file they are noise.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    // Everything this process creates (the database, SQLite's -wal and -shm, the secret
    // key, .eml files) is for this user only, whatever umask it was started with: SQLite
    // and other libraries create some files themselves, where no mode can be passed.
    green_channel::private_files::restrict_umask();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Healthcheck = command {
        // Needs only the address: no database, no secret key.
        return healthcheck(&cli.settings.listen_addr);
    }
    if let Command::Serve = command {
        cli.settings.check_for_serving()?;
    }
    let config = cli.settings.into_config()?;
    match command {
        Command::Serve => serve(config),
        Command::Migrate => {
            prepare_database(&config)?;
            println!("Database is up to date.");
            Ok(())
        }
        Command::CreateUser {
            username,
            role,
            department,
            email,
        } => {
            let password = match std::env::var("USER_PASSWORD") {
                Ok(p) => p,
                Err(_) => prompt_password()?,
            };
            let (db, _) = prepare_database(&config)?;
            green_channel::services::users::create_user(
                &db,
                &username,
                &role,
                department.as_deref(),
                email.as_deref(),
                &password,
            )?;
            println!("Created user {username} ({role}).");
            Ok(())
        }
        Command::LoadJurisdiction { file } => {
            let report = green_channel::services::jurisdiction::load_file(&config, &file)?;
            println!("Loaded {}: {report}", file.display());
            Ok(())
        }
        Command::SeedDemo { complaints, seed } => seed_demo(&config, complaints, seed),
        Command::Sweep {
            as_of,
            hold_after_claim,
        } => sweep(config, as_of, hold_after_claim),
        Command::Digest { as_of } => digest(config, as_of),
        Command::RecountBulletin => {
            let (db, _) = prepare_database(&config)?;
            let cases = db.write_blocking(|conn| {
                let calendar = green_channel::db::reference::ReferenceData::load(conn)?.calendar;
                green_channel::db::bulletin::rebuild(conn, &calendar)
            })?;
            println!("cases {cases}");
            Ok(())
        }
        Command::CreateApiKey {
            name,
            limit_per_hour,
        } => create_api_key(config, &name, limit_per_hour.as_deref()),
        Command::RebuildBusinesses => {
            let (db, _) = prepare_database(&config)?;
            let reference = db.read_blocking(green_channel::db::reference::ReferenceData::load)?;
            let report = green_channel::services::businesses::rebuild(&db, &reference)
                .context("rebuilding the businesses")?;
            println!("{report}");
            Ok(())
        }
        Command::ResetTotp { username } => {
            let (db, _) = prepare_database(&config)?;
            let removed = green_channel::services::totp::reset(&db, &username)?;
            let outcome = if removed { "removed" } else { "not enrolled" };
            println!("reset-totp {username}: {outcome}");
            Ok(())
        }
        Command::Healthcheck => unreachable!("answered above"),
    }
}

fn sweep(
    config: green_channel::config::Config,
    as_of: Option<chrono::NaiveDateTime>,
    hold_after_claim: Option<u64>,
) -> anyhow::Result<()> {
    use green_channel::services::sweeper;
    let (db, _) = prepare_database(&config)?;
    let settings = green_channel::routes::bridge::case_settings(&config);
    let now = as_of.unwrap_or_else(green_channel::clock::now_utc);
    let hook = hold_after_claim.map(|seconds| {
        let hook: sweeper::AfterClaim = Box::new(move |claimed| {
            eprintln!("claimed {claimed}");
            if claimed > 0 {
                std::thread::sleep(std::time::Duration::from_secs(seconds));
            }
        });
        std::sync::Arc::new(hook)
    });
    let counts = actix_web::rt::System::new().block_on(async move {
        let reference = db
            .read(green_channel::db::reference::ReferenceData::load)
            .await?;
        sweeper::sweep(&db, &reference, &settings, now, hook)
            .await
            .context("sweeping deadlines")
    })?;
    println!("{counts}");
    Ok(())
}

fn create_api_key(
    config: green_channel::config::Config,
    name: &str,
    limit_per_hour: Option<&str>,
) -> anyhow::Result<()> {
    use green_channel::services::open311::{self, KeyProblem};
    let (name, limit) =
        open311::parse_key_settings(name, limit_per_hour).map_err(|problem| match problem {
            KeyProblem::Name => {
                anyhow::anyhow!("--name must be 1 to {} characters", open311::MAX_KEY_NAME)
            }
            KeyProblem::Limit => anyhow::anyhow!(
                "--limit-per-hour must be a whole number from 1 to {}",
                open311::MAX_LIMIT_PER_HOUR
            ),
        })?;
    let (db, _) = prepare_database(&config)?;
    let now = green_channel::clock::now_utc();
    let (_, key) = actix_web::rt::System::new()
        .block_on(open311::create_key(&db, name, limit, now))
        .context("creating the API key")?;
    println!("{key}");
    Ok(())
}

fn digest(
    config: green_channel::config::Config,
    as_of: Option<chrono::NaiveDateTime>,
) -> anyhow::Result<()> {
    let (db, _) = prepare_database(&config)?;
    let now = as_of.unwrap_or_else(green_channel::clock::now_utc);
    let base_url = config.base_url.clone();
    let sent = actix_web::rt::System::new().block_on(async move {
        let reference = db
            .read(green_channel::db::reference::ReferenceData::load)
            .await?;
        green_channel::services::digest::send_digests(&db, &reference, &base_url, now, true)
            .await
            .context("sending the weekly digest")
    })?;
    println!("digests {sent}");
    Ok(())
}

fn serve(config: green_channel::config::Config) -> anyhow::Result<()> {
    green_channel::passwords::return_large_blocks_to_the_system();
    let (db, bootstrap) = prepare_database(&config)?;
    if bootstrap.seeded_reference_data {
        println!("Loaded the demo jurisdiction (12 districts, 20 departments, 12 categories).");
    }
    if let Some(password) = &bootstrap.generated_admin_password {
        println!("Created the admin account. Username: admin  Password: {password}");
        println!("(shown only this once; set ADMIN_PASSWORD before the first start to choose it)");
    }
    let base_url = config.base_url.clone();
    let data = config.data_dir.clone();
    let mail_target = match &config.smtp_url {
        Some(_) => "the SMTP server in SMTP_URL".to_owned(),
        None => format!("{}", data.join("mail").display()),
    };
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config, db)?;
        println!("Green Channel is running at {base_url}/ (emails go to {mail_target}). Ctrl-C stops it.");
        app.run_until_stopped().await.context("running the server")
    })
}

fn seed_demo(
    config: &green_channel::config::Config,
    complaints: u64,
    seed: Option<u64>,
) -> anyhow::Result<()> {
    use green_channel::services::seed_demo::{self, SeedOptions};
    let (db, _) = prepare_database(config)?;
    let (staff_password, generated) = match std::env::var("USER_PASSWORD") {
        Ok(p) => (p, false),
        Err(_) => (green_channel::passwords::generate(), true),
    };
    let options = SeedOptions {
        complaints,
        seed: seed.unwrap_or_else(rand::random),
        now: green_channel::services::now_utc(),
        base_url: config.base_url.clone(),
        staff_password,
    };
    let report = seed_demo::seed_demo(&db, &options)?;
    println!("Seeded {report}.");
    if report.staff_created > 0 {
        println!(
            "Created {} demo staff accounts ({}… and {}).",
            report.staff_created,
            seed_demo::clerk_username(""),
            seed_demo::OFFICE_USERNAME
        );
        if generated {
            println!(
                "Their password: {} (shown only this once)",
                options.staff_password
            );
        }
    }
    Ok(())
}

fn prompt_password() -> anyhow::Result<String> {
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "set USER_PASSWORD or run create-user in a terminal to type the password"
    );
    eprint!("Password: ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// A plain HTTP/1.0 GET, so the container needs no curl.
fn healthcheck(listen_addr: &str) -> anyhow::Result<()> {
    use std::io::{Read as _, Write as _};
    let addr = listen_addr.replace("0.0.0.0", "127.0.0.1");
    let mut stream =
        std::net::TcpStream::connect(&addr).with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    anyhow::ensure!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "unhealthy: {}",
        answer.lines().next().unwrap_or("")
    );
    Ok(())
}
