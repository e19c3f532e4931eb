//! Closed-loop load: N connections each sending its next request as soon as the last one
//! is answered, for a fixed time; latencies of every answer, statuses and errors.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::http::{Connection, Response};

/// What one load run saw.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    pub statuses: BTreeMap<u16, u64>,
    pub errors: u64,
    /// Microseconds, one per answered request.
    pub latencies_us: Vec<u64>,
    pub elapsed: Duration,
    /// Location headers of `303` answers, when asked for.
    pub locations: Vec<String>,
    /// Connections that stopped early because no request was left for them.
    pub starved: usize,
}

impl LoadReport {
    pub fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    pub fn answered(&self) -> u64 {
        self.statuses.values().sum()
    }

    pub fn rate(&self, status: u16) -> f64 {
        self.count(status) as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile_ms(&self.latencies_us, p)
    }
}

/// Nearest-rank percentile of microsecond samples, in milliseconds.
pub fn percentile_ms(samples_us: &[u64], p: f64) -> f64 {
    if samples_us.is_empty() {
        return f64::NAN;
    }
    let mut sorted = samples_us.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

/// Where the next request comes from: `None` stops the connection that asked.
pub type Source = Arc<dyn Fn(usize) -> Option<Vec<u8>> + Send + Sync>;

pub struct LoadOptions {
    pub connections: usize,
    pub duration: Duration,
    pub keep_locations: bool,
    /// After a failed request, wait this long before the next (the service may be down).
    pub retry_pause: Duration,
    pub timeout: Duration,
}

impl LoadOptions {
    pub fn new(connections: usize, duration: Duration) -> LoadOptions {
        LoadOptions {
            connections,
            duration,
            keep_locations: false,
            retry_pause: Duration::from_millis(20),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Runs the load on the current tokio runtime until `options.duration` has passed.
pub async fn run(addr: &str, source: Source, options: &LoadOptions) -> LoadReport {
    let shared = Arc::new(Mutex::new(LoadReport::default()));
    let started = Instant::now();
    let deadline = started + options.duration;
    let mut tasks = Vec::new();
    for index in 0..options.connections {
        let source = source.clone();
        let shared = shared.clone();
        let addr = addr.to_owned();
        let keep = options.keep_locations;
        let pause = options.retry_pause;
        let timeout = options.timeout;
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::new(&addr);
            let mut mine = LoadReport::default();
            while Instant::now() < deadline {
                let Some(request) = source(index) else {
                    mine.starved += 1;
                    break;
                };
                let sent = Instant::now();
                match connection.send(&request, timeout).await {
                    Ok(Response {
                        status, headers, ..
                    }) => {
                        mine.latencies_us.push(sent.elapsed().as_micros() as u64);
                        *mine.statuses.entry(status).or_default() += 1;
                        if keep && status == 303 {
                            if let Some((_, location)) =
                                headers.into_iter().find(|(n, _)| n == "location")
                            {
                                mine.locations.push(location);
                            }
                        }
                    }
                    Err(_) => {
                        mine.errors += 1;
                        tokio::time::sleep(pause).await;
                    }
                }
            }
            let mut all = shared.lock().unwrap();
            for (status, n) in mine.statuses {
                *all.statuses.entry(status).or_default() += n;
            }
            all.errors += mine.errors;
            all.starved += mine.starved;
            all.latencies_us.extend(mine.latencies_us);
            all.locations.extend(mine.locations);
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let mut report = std::mem::take(&mut *shared.lock().unwrap());
    report.elapsed = started.elapsed();
    report
}

/// Sequential requests on one connection: latency samples of `n` answers to the same
/// request, after `warm_up` unmeasured ones.
pub async fn sample(
    addr: &str,
    request: &[u8],
    warm_up: usize,
    n: usize,
) -> std::io::Result<(Vec<u64>, Response)> {
    let mut connection = Connection::new(addr);
    let mut last = Response::default();
    for _ in 0..warm_up {
        last = connection.send(request, Duration::from_secs(60)).await?;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let sent = Instant::now();
        last = connection.send(request, Duration::from_secs(60)).await?;
        samples.push(sent.elapsed().as_micros() as u64);
    }
    Ok((samples, last))
}
