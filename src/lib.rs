//! Green Channel: a city's complaint channel for product and service quality. This crate
//! builds the whole service (`Application`) for `main`, the tests and the benchmarks.

pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod errors;
pub mod extract;
pub mod i18n;
pub mod mail;
pub mod metrics;
pub mod pages;
pub mod passwords;
pub mod private_files;
pub mod rate_limit;
pub mod routes;
pub mod services;
pub mod state;

use std::net::TcpListener;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::middleware::{ErrorHandlers, Next};
use actix_web::{web, App, HttpServer};
use anyhow::Context as _;

use crate::config::Config;
use crate::db::Database;
use crate::state::AppState;

/// The urlencoded body limit (DESIGN §4): a 5,000-character Chinese description fits.
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

pub struct Application {
    port: u16,
    server: Server,
    db: Database,
    /// Runs beside the server and stops with it; `None` when tests deliver by hand.
    mail_worker: Option<mail::worker::MailWorker>,
    /// The deadline sweeper; `None` without background tasks or with
    /// `SWEEP_INTERVAL_SECONDS=0`.
    sweeper: Option<services::sweeper::SweeperTask>,
    /// Deletes expired sessions and stale sign-in counts; `None` without background tasks.
    housekeeping: Option<services::housekeeping::HousekeepingTask>,
}

/// How long a stopping server waits for the email worker to finish the message in hand.
const MAIL_WORKER_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// What the first start did, for `main` to tell the operator once.
pub struct Bootstrap {
    pub seeded_reference_data: bool,
    pub generated_admin_password: Option<String>,
}

/// Opens the database, applies migrations, loads the demo jurisdiction into an empty
/// database and creates the bootstrap `admin` account. A second run changes nothing.
pub fn prepare_database(config: &Config) -> anyhow::Result<(Database, Bootstrap)> {
    if config.data_dir.exists() {
        private_files::create_private_dir(&config.data_dir)?;
    }
    let db = Database::open(&config.database, config.database_pool_size)?;
    let seeded = db
        .write_blocking(|conn| {
            db::lock_bootstrap(conn)?;
            db::seed::seed_if_empty(conn)
        })
        .context("loading the demo jurisdiction")?;
    let admin_password = config.admin_password.clone();
    let generated = db
        .write_blocking(move |conn| -> anyhow::Result<Option<String>> {
            db::lock_bootstrap(conn)?;
            if db::users::count(conn)? > 0 {
                return Ok(None);
            }
            let office = db::reference::ReferenceData::load(conn)?
                .office()
                .map(|d| d.code.clone())
                .context("no coordination office to place the admin in")?;
            let (password, generated) = match admin_password {
                Some(p) => (p, false),
                None => (passwords::generate(), true),
            };
            db::users::insert(
                conn,
                &db::users::UserRow {
                    id: uuid::Uuid::now_v7().to_string().into(),
                    username: "admin".into(),
                    password_hash: passwords::hash(&password)?,
                    role: domain::access::Role::Admin,
                    department_code: office.into(),
                    email: None,
                    active: true,
                    created_at: services::now_utc(),
                },
            )?;
            Ok(generated.then_some(password))
        })
        .context("creating the bootstrap admin account")?;
    Ok((
        db,
        Bootstrap {
            seeded_reference_data: seeded,
            generated_admin_password: generated,
        },
    ))
}

impl Application {
    /// Binds the listener and builds the server on an opened database, with the background
    /// tasks (email delivery) that run beside it.
    pub fn build(config: Config, db: Database) -> anyhow::Result<Application> {
        Application::build_with(config, db, true)
    }

    /// The server alone: for tests that deliver the outbox themselves
    /// (`mail::worker::deliver_due`), so that what they assert on does not change under them.
    pub fn build_without_background_tasks(
        config: Config,
        db: Database,
    ) -> anyhow::Result<Application> {
        Application::build_with(config, db, false)
    }

    fn build_with(
        config: Config,
        db: Database,
        background_tasks: bool,
    ) -> anyhow::Result<Application> {
        // Checked at start-up even without the worker: a bad SMTP_URL or MAIL_FROM stops here.
        let mailer = mail::transport::Mailer::from_config(&config)?;
        let delivery = mail::worker::DeliverySettings::from_config(&config);
        let listener = TcpListener::bind(&config.listen_addr)
            .with_context(|| format!("listening on {}", config.listen_addr))?;
        let port = listener.local_addr()?.port();
        let workers = config.workers;
        // METRICS_ADDR: a second listener of the same server; requests that come in on it
        // are told apart by their local address (`metrics::show`).
        let metrics_listener = match &config.metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .with_context(|| format!("listening on METRICS_ADDR {addr}"))?,
            ),
            None => None,
        };
        let mut state = AppState::new(config, db.clone());
        if let Some(listener) = &metrics_listener {
            state.metrics_local_addr = Some(listener.local_addr()?);
        }
        let state = web::Data::new(state);
        let mail_worker = background_tasks.then(|| {
            mail::worker::MailWorker::new(db.clone(), mailer, delivery, state.mail_wakeup.clone())
        });
        let sweeper = (background_tasks && state.config.sweep_interval_seconds > 0).then(|| {
            services::sweeper::SweeperTask {
                db: db.clone(),
                settings: routes::bridge::case_settings(&state.config),
                interval: std::time::Duration::from_secs(state.config.sweep_interval_seconds),
                passes: state.sweeper_passes.clone(),
            }
        });
        let housekeeping = background_tasks.then(|| services::housekeeping::HousekeepingTask {
            db: db.clone(),
            lifetime: services::housekeeping::SessionLifetime {
                idle_minutes: state.config.session_idle_minutes,
                absolute_hours: extract::session::ABSOLUTE_LIFETIME_HOURS,
            },
        });
        let behind_tls = state.config.behind_tls();
        let http_metrics = web::Data::new(metrics::HttpMetrics::default());
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(http_metrics.clone())
                .route("/metrics", web::get().to(metrics::show))
                .app_data(web::PayloadConfig::new(FORM_BODY_LIMIT))
                .configure(routes::configure)
                .wrap(ErrorHandlers::new().default_handler(pages::error_page))
                .wrap(extract::headers::security_headers(behind_tls))
                .wrap(actix_web::middleware::from_fn(access_log))
                .wrap(actix_web::middleware::from_fn(metrics::record_requests))
                .wrap(actix_web::middleware::from_fn(
                    metrics::private_address_serves_only_metrics,
                ))
        })
        .listen(listener)?;
        if let Some(listener) = metrics_listener {
            server = server.listen(listener)?;
        }
        if let Some(workers) = workers {
            server = server.workers(workers);
        }
        Ok(Application {
            port,
            server: server.run(),
            db,
            mail_worker,
            sweeper,
            housekeeping,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn database(&self) -> Database {
        self.db.clone()
    }

    /// Serves until the server is stopped (signal or handle), then stops the worker.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = self
            .mail_worker
            .map(|w| tokio::spawn(w.run(stopped.clone())));
        // A pass stopped mid-way loses nothing: each effect commits whole or not at all.
        let housekeeping = self
            .housekeeping
            .map(|h| tokio::spawn(h.run(stopped.clone())));
        let sweeper = self.sweeper.map(|s| tokio::spawn(s.run(stopped)));
        let served = self.server.await;
        let _ = stop.send(true);
        if let Some(sweeper) = sweeper {
            let _ = tokio::time::timeout(MAIL_WORKER_STOP_WAIT, sweeper).await;
        }
        if let Some(housekeeping) = housekeeping {
            let _ = tokio::time::timeout(MAIL_WORKER_STOP_WAIT, housekeeping).await;
        }
        if let Some(worker) = worker {
            if tokio::time::timeout(MAIL_WORKER_STOP_WAIT, worker)
                .await
                .is_err()
            {
                // At least once holds anyway: its rows are sent again after their lease.
                tracing::warn!("the email worker did not stop in time");
            }
        }
        served
    }
}

/// One line per request, without personal data: the path with tracking codes shortened,
/// and no query string (it may hold a search or a code).
async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = domain::tracking_code::redact_path(req.path());
    let response = next.call(req).await?;
    tracing::info!(
        target: "access",
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
    );
    Ok(response)
}
