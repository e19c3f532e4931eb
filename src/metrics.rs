//! `/metrics` in the Prometheus text format: request counts and latencies per route pattern,
//! and the outbox figures (read from the database at most every `OUTBOX_FIGURES_EVERY`).
//! Labels never hold a concrete path (it may carry a tracking code) nor anything else a
//! client chooses freely. On the public address it answers only `Authorization: Bearer
//! METRICS_TOKEN` (`404` when no token is set); on `METRICS_ADDR` without a token.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::db::outbox::{self, OutboxStats};
use crate::errors::AppError;
use crate::services::now_utc;
use crate::state::AppState;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The route label of a path no route matched (a 404): one label for all of them.
const UNMATCHED: &str = "unmatched";

#[derive(Debug, Default)]
struct Histogram {
    /// Per bucket of `BUCKETS`, not cumulative; rendered cumulatively.
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Recorded {
    /// (route, method, status) → requests.
    requests: BTreeMap<(String, &'static str, u16), u64>,
    /// (route, method) → latencies.
    latencies: BTreeMap<(String, &'static str), Histogram>,
}

/// The request figures of this instance since it started.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    recorded: Mutex<Recorded>,
}

/// Methods outside this list (HTTP allows any token) share one label.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

impl HttpMetrics {
    fn observe(&self, route: String, method: &'static str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut recorded = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
        *recorded
            .requests
            .entry((route.clone(), method, status))
            .or_default() += 1;
        let histogram = recorded.latencies.entry((route, method)).or_default();
        if let Some(bucket) = BUCKETS.iter().position(|&bound| seconds <= bound) {
            histogram.buckets[bucket] += 1;
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    fn render(&self, out: &mut String) {
        let recorded = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
        out.push_str("# HELP green_channel_http_requests_total HTTP requests answered, by route pattern, method and status.\n");
        out.push_str("# TYPE green_channel_http_requests_total counter\n");
        for ((route, method, status), n) in &recorded.requests {
            let _ = writeln!(
                out,
                "green_channel_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP green_channel_http_request_duration_seconds Time to answer an HTTP request, by route pattern and method.\n");
        out.push_str("# TYPE green_channel_http_request_duration_seconds histogram\n");
        for ((route, method), histogram) in &recorded.latencies {
            let labels = format!("route=\"{}\",method=\"{method}\"", escape(route));
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(histogram.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "green_channel_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "green_channel_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "green_channel_http_request_duration_seconds_sum{{{labels}}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "green_channel_http_request_duration_seconds_count{{{labels}}} {}",
                histogram.count
            );
        }
    }
}

/// A label value as the text format wants it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: counts every request under its route pattern (`/track/{code}`), never its
/// concrete path.
pub async fn record_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let route = req.match_pattern().unwrap_or_else(|| UNMATCHED.to_owned());
    let method = method_label(req.method());
    let metrics = req.app_data::<web::Data<HttpMetrics>>().cloned();
    let result = next.call(req).await;
    let status = match &result {
        Ok(response) => response.status().as_u16(),
        Err(error) => error.as_response_error().status_code().as_u16(),
    };
    if let Some(metrics) = metrics {
        metrics.observe(route, method, status, started.elapsed());
    }
    result
}

fn render_outbox(stats: &OutboxStats, now: chrono::NaiveDateTime, out: &mut String) {
    out.push_str("# HELP green_channel_outbox_messages Outbox messages by state (pending, sent, failed, given_up, suppressed).\n");
    out.push_str("# TYPE green_channel_outbox_messages gauge\n");
    for (state, n) in &stats.by_state {
        let _ = writeln!(
            out,
            "green_channel_outbox_messages{{state=\"{state}\"}} {n}"
        );
    }
    let age = stats
        .oldest_pending_created_at
        .map_or(0.0, |created| (now - created).as_seconds_f64().max(0.0));
    out.push_str("# HELP green_channel_outbox_oldest_pending_age_seconds Age of the oldest message not yet sent (0 when none waits).\n");
    out.push_str("# TYPE green_channel_outbox_oldest_pending_age_seconds gauge\n");
    let _ = writeln!(out, "green_channel_outbox_oldest_pending_age_seconds {age}");
}

/// How often the outbox figures are read again: a `GROUP BY` over the whole outbox is not
/// for every scrape (nor for whoever can send requests).
pub const OUTBOX_FIGURES_EVERY: Duration = Duration::from_secs(15);

/// The outbox figures as last read, and when.
pub struct OutboxFiguresCache {
    every: Duration,
    latest: Mutex<Option<(Instant, Arc<OutboxStats>)>>,
}

impl OutboxFiguresCache {
    pub fn new(every: Duration) -> OutboxFiguresCache {
        OutboxFiguresCache {
            every,
            latest: Mutex::new(None),
        }
    }

    /// The figures read within `every` before `now`, if any.
    fn fresh(&self, now: Instant) -> Option<Arc<OutboxStats>> {
        let latest = self.latest.lock().unwrap_or_else(|e| e.into_inner());
        latest
            .as_ref()
            .filter(|(read_at, _)| now.duration_since(*read_at) < self.every)
            .map(|(_, stats)| stats.clone())
    }

    fn store(&self, read_at: Instant, stats: Arc<OutboxStats>) {
        *self.latest.lock().unwrap_or_else(|e| e.into_inner()) = Some((read_at, stats));
    }
}

/// Whether the request came in on the private `METRICS_ADDR` listener.
fn on_private_address(req: &HttpRequest, state: &AppState) -> bool {
    state
        .metrics_local_addr
        .is_some_and(|private| req.app_config().local_addr() == private)
}

/// Whether the request carries `Authorization: Bearer <token>` (compared in constant time).
fn bearer_matches(req: &HttpRequest, token: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| bool::from(given.trim().as_bytes().ct_eq(token.as_bytes())))
}

/// Middleware: the private `METRICS_ADDR` listener serves `/metrics` and nothing else.
pub async fn private_address_serves_only_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let private = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| on_private_address(req.request(), state));
    if private && req.path() != "/metrics" {
        return Ok(req.into_response(HttpResponse::NotFound().finish()));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// `GET /metrics`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    http: web::Data<HttpMetrics>,
) -> Result<HttpResponse, AppError> {
    if !on_private_address(&req, &state) {
        match &state.config.metrics_token {
            None => return Err(AppError::NotFound),
            Some(token) if !bearer_matches(&req, token) => {
                return Ok(HttpResponse::Unauthorized()
                    .insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"))
                    .finish())
            }
            Some(_) => {}
        }
    }
    let stats = match state.outbox_figures.fresh(Instant::now()) {
        Some(stats) => stats,
        None => {
            let read_at = Instant::now();
            let stats = Arc::new(state.db.read(outbox::stats).await?);
            state.outbox_figures.store(read_at, stats.clone());
            stats
        }
    };
    let mut out = String::new();
    render_outbox(&stats, now_utc(), &mut out);
    let passes = state
        .sweeper_passes
        .load(std::sync::atomic::Ordering::Relaxed);
    out.push_str(
        "# HELP green_channel_sweeper_passes_total Passes of this instance's deadline sweeper.\n",
    );
    out.push_str("# TYPE green_channel_sweeper_passes_total counter\n");
    let _ = writeln!(out, "green_channel_sweeper_passes_total {passes}");
    let hashing = &state.sign_in.hashing;
    for (name, help, kind, value) in [
        (
            "green_channel_password_checks_limit",
            "Password checks (Argon2) allowed to run at once.",
            "gauge",
            hashing.limit(),
        ),
        (
            "green_channel_password_checks_in_flight",
            "Password checks (Argon2) running now.",
            "gauge",
            hashing.in_flight(),
        ),
        (
            "green_channel_password_checks_peak",
            "The most password checks (Argon2) that ran at once since start.",
            "gauge",
            hashing.peak(),
        ),
        (
            "green_channel_password_checks_total",
            "Password hashings and checks (Argon2) run by requests since start.",
            "counter",
            hashing.runs(),
        ),
        (
            "green_channel_uploads_in_flight",
            "Multipart bodies being read or held now (at most MAX_CONCURRENT_UPLOADS).",
            "gauge",
            crate::extract::form_body::MAX_CONCURRENT_UPLOADS - state.uploads.available_permits(),
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    }
    http.render(&mut out);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_figures_are_read_again_only_after_the_period() {
        let cache = OutboxFiguresCache::new(Duration::from_secs(15));
        let t0 = Instant::now();
        assert!(cache.fresh(t0).is_none(), "nothing read yet");
        let stats = Arc::new(OutboxStats {
            by_state: vec![("pending", 2)],
            oldest_pending_created_at: None,
        });
        cache.store(t0, stats);
        assert!(cache.fresh(t0 + Duration::from_secs(14)).is_some());
        assert!(cache.fresh(t0 + Duration::from_secs(15)).is_none());
        let never = OutboxFiguresCache::new(Duration::ZERO);
        never.store(
            t0,
            Arc::new(OutboxStats {
                by_state: vec![],
                oldest_pending_created_at: None,
            }),
        );
        assert!(never.fresh(t0).is_none(), "a zero period reads every time");
    }

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let metrics = HttpMetrics::default();
        metrics.observe("/track/{code}".into(), "GET", 200, Duration::from_millis(3));
        metrics.observe(
            "/track/{code}".into(),
            "GET",
            404,
            Duration::from_millis(30),
        );
        metrics.observe("/a\"b".into(), "POST", 303, Duration::from_secs(60));
        let mut out = String::new();
        metrics.render(&mut out);
        assert!(out.contains(
            "green_channel_http_requests_total{route=\"/track/{code}\",method=\"GET\",status=\"200\"} 1"
        ));
        assert!(out.contains("green_channel_http_request_duration_seconds_bucket{route=\"/track/{code}\",method=\"GET\",le=\"0.005\"} 1"));
        assert!(out.contains("green_channel_http_request_duration_seconds_bucket{route=\"/track/{code}\",method=\"GET\",le=\"0.05\"} 2"));
        assert!(out.contains("green_channel_http_request_duration_seconds_count{route=\"/track/{code}\",method=\"GET\"} 2"));
        assert!(out.contains("route=\"/a\\\"b\""));
        assert!(out.contains("green_channel_http_request_duration_seconds_bucket{route=\"/a\\\"b\",method=\"POST\",le=\"10\"} 0"));
        assert!(out.contains("green_channel_http_request_duration_seconds_bucket{route=\"/a\\\"b\",method=\"POST\",le=\"+Inf\"} 1"));
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
