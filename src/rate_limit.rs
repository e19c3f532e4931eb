//! Per-address sliding-window limits, counted in this instance's memory (documented: with
//! N instances a client may get up to N times the limit). A plain counter with no request
//! in sight: `state` owns the limits and `errors` reports a wait, neither through `extract`.
//! An IPv6 client is counted by its /64 (one subscriber's network: rotating addresses
//! inside it gains nothing), an IPv4-mapped one as the IPv4 address it is.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimit {
    limit: u32,
    window: Duration,
    hits: Mutex<Hits>,
}

#[derive(Default)]
struct Hits {
    by_bucket: HashMap<IpAddr, VecDeque<Instant>>,
    /// When keys with no hit left in the window were last dropped.
    last_sweep: Option<Instant>,
}

/// The key an address is counted under: an IPv4 address itself (an IPv4-mapped IPv6
/// address too), an IPv6 address its /64.
pub fn address_bucket(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

/// How long until the client may try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

/// Keys whose hits have all left the window are dropped this often (on the next record),
/// so that memory follows the clients of the last hour and no request walks every key.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl RateLimit {
    pub fn per_hour(limit: u32) -> RateLimit {
        RateLimit {
            limit,
            window: Duration::from_secs(3600),
            hits: Mutex::new(Hits::default()),
        }
    }

    /// How many addresses (buckets) are tracked now.
    pub fn tracked(&self) -> usize {
        self.hits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .by_bucket
            .len()
    }

    /// Whether one more hit is allowed now; does not count it.
    pub fn check(&self, addr: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = hits.by_bucket.get_mut(&address_bucket(addr)) else {
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

    fn push(hits: &mut Hits, window: Duration, addr: IpAddr, now: Instant) {
        let due = hits
            .last_sweep
            .is_none_or(|last| now.saturating_duration_since(last) >= SWEEP_EVERY);
        if due {
            hits.by_bucket.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window)
            });
            hits.last_sweep = Some(now);
        }
        hits.by_bucket
            .entry(address_bucket(addr))
            .or_default()
            .push_back(now);
    }

    /// `check` and `record` under one lock: the hit is counted before the work it limits is
    /// done, so a parallel burst cannot pass the check together. The `Reservation` takes
    /// the hit back when dropped, unless `keep` says the attempt counts.
    pub fn reserve(&self, addr: IpAddr, now: Instant) -> Result<Reservation<'_>, RetryAfter> {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = hits.by_bucket.get_mut(&address_bucket(addr)) {
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
        if let Some(times) = hits.by_bucket.get_mut(&address_bucket(addr)) {
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

    #[test]
    fn an_ipv6_network_is_one_client_and_a_mapped_ipv4_address_is_itself() {
        let limit = RateLimit::per_hour(2);
        let t0 = Instant::now();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(limit.hit(ip("2001:db8:1:2::1"), t0).is_ok());
        assert!(limit
            .hit(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), t0)
            .is_ok());
        assert!(
            limit.hit(ip("2001:db8:1:2:dead:beef::7"), t0).is_err(),
            "rotating inside the /64 gains nothing"
        );
        assert!(
            limit.hit(ip("2001:db8:1:3::1"), t0).is_ok(),
            "the next /64 is another"
        );
        assert!(limit.hit(ip("1.2.3.4"), t0).is_ok());
        assert!(limit.hit(ip("::ffff:1.2.3.4"), t0).is_ok());
        assert!(
            limit.hit(ip("1.2.3.4"), t0).is_err(),
            "the mapped address counted as IPv4"
        );
        assert!(limit.hit(ip("1.2.3.5"), t0).is_ok());
    }

    #[test]
    fn addresses_idle_for_a_window_are_forgotten_on_the_next_sweep() {
        let limit = RateLimit::per_hour(5);
        let t0 = Instant::now();
        for i in 0..100u8 {
            limit.record(IpAddr::from([10, 0, 0, i]), t0);
        }
        assert_eq!(limit.tracked(), 100);
        // Within the window and before the next sweep: kept.
        limit.record(IpAddr::from([10, 0, 1, 0]), t0 + Duration::from_secs(30));
        assert_eq!(limit.tracked(), 101);
        // An hour on, the next record sweeps every key with no hit in the window.
        let later = t0 + Duration::from_secs(3600 + 31);
        limit.record(IpAddr::from([10, 0, 2, 0]), later);
        assert_eq!(limit.tracked(), 1);
    }
}
