//! Per-address sliding-window limits, counted in this instance's memory (documented: with
//! N instances a client may get up to N times the limit). A plain counter with no request
//! in sight: `state` owns the limits and `errors` reports a wait, neither through `extract`.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimit {
    limit: u32,
    window: Duration,
    hits: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

/// How long until the client may try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

/// Above this many tracked addresses, expired ones are swept on the next record.
const SWEEP_ABOVE: usize = 10_000;

impl RateLimit {
    pub fn per_hour(limit: u32) -> RateLimit {
        RateLimit {
            limit,
            window: Duration::from_secs(3600),
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Whether one more hit is allowed now; does not count it.
    pub fn check(&self, addr: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = hits.get_mut(&addr) else {
            return Ok(());
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() < self.limit as usize {
            return Ok(());
        }
        let oldest = times.front().copied().unwrap_or(now);
        Err(RetryAfter(
            self.window.saturating_sub(now.duration_since(oldest)),
        ))
    }

    pub fn record(&self, addr: IpAddr, now: Instant) {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        Self::push(&mut hits, self.window, addr, now);
    }

    fn push(
        hits: &mut HashMap<IpAddr, VecDeque<Instant>>,
        window: Duration,
        addr: IpAddr,
        now: Instant,
    ) {
        if hits.len() > SWEEP_ABOVE {
            hits.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        hits.entry(addr).or_default().push_back(now);
    }

    /// `check` and `record` under one lock: the hit is counted before the work it limits is
    /// done, so a parallel burst cannot pass the check together. The `Reservation` takes
    /// the hit back when dropped, unless `keep` says the attempt counts.
    pub fn reserve(&self, addr: IpAddr, now: Instant) -> Result<Reservation<'_>, RetryAfter> {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = hits.get_mut(&addr) {
            while times
                .front()
                .is_some_and(|t| now.duration_since(*t) >= self.window)
            {
                times.pop_front();
            }
            if times.len() >= self.limit as usize {
                let oldest = times.front().copied().unwrap_or(now);
                return Err(RetryAfter(
                    self.window.saturating_sub(now.duration_since(oldest)),
                ));
            }
        }
        Self::push(&mut hits, self.window, addr, now);
        Ok(Reservation {
            limit: self,
            addr,
            at: now,
            kept: false,
        })
    }

    fn release(&self, addr: IpAddr, at: Instant) {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = hits.get_mut(&addr) {
            if let Some(i) = times.iter().rposition(|t| *t == at) {
                times.remove(i);
            }
        }
    }

    /// `check` then `record`, for limits that count every attempt.
    pub fn hit(&self, addr: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        self.check(addr, now)?;
        self.record(addr, now);
        Ok(())
    }
}

/// A hit counted ahead of the attempt (`RateLimit::reserve`).
#[must_use]
pub struct Reservation<'a> {
    limit: &'a RateLimit,
    addr: IpAddr,
    at: Instant,
    kept: bool,
}

impl Reservation<'_> {
    /// The attempt counts: the hit stays.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.kept {
            self.limit.release(self.addr, self.at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_slides() {
        let limit = RateLimit::per_hour(2);
        let a: IpAddr = "1.2.3.4".parse().unwrap();
        let b: IpAddr = "5.6.7.8".parse().unwrap();
        let t0 = Instant::now();
        assert!(limit.hit(a, t0).is_ok());
        assert!(limit.hit(a, t0 + Duration::from_secs(10)).is_ok());
        let retry = limit.hit(a, t0 + Duration::from_secs(20)).unwrap_err();
        assert_eq!(retry.0, Duration::from_secs(3580));
        assert!(limit.hit(b, t0 + Duration::from_secs(20)).is_ok());
        assert!(limit.hit(a, t0 + Duration::from_secs(3600)).is_ok());
    }

    #[test]
    fn a_reservation_counts_at_once_and_is_taken_back_unless_kept() {
        let limit = RateLimit::per_hour(2);
        let a: IpAddr = "1.2.3.4".parse().unwrap();
        let t0 = Instant::now();
        let first = limit.reserve(a, t0).unwrap();
        let second = limit.reserve(a, t0).unwrap();
        assert!(
            limit.reserve(a, t0).is_err(),
            "two in flight fill the limit"
        );
        drop(second);
        first.keep();
        let third = limit.reserve(a, t0).unwrap();
        third.keep();
        assert!(limit.check(a, t0).is_err());
    }
}
