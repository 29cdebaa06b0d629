//! Token-bucket rate limits: per client IP for the device endpoints, and (keyed by anything
//! else, [`RateLimiter::check_key`]) the bank authentication failures of
//! [`auth`](crate::auth), per client and per key id. A leaf: it knows time and addresses only.
//!
//! Each client gets a token bucket: it may make `burst` requests at once, and the bucket refills
//! at `per_minute` requests per minute. The bucket is kept in its "generic cell rate algorithm"
//! form — one theoretical arrival time per client instead of a token count — which is the same
//! limit computed with exact integer durations, so there are no floating-point edge cases at the
//! refill boundaries.
//!
//! Clients are keyed by address, with two adjustments:
//! - IPv6 clients are bucketed by their /64. A single host usually owns a whole /64 and can pick
//!   any address in it, so per-address buckets would let it dodge the limit by rotating
//!   addresses.
//! - IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, as seen on dual-stack sockets) count as the
//!   IPv4 address; bucketing them by /64 would put every IPv4 client in one bucket.
//!
//! Memory is bounded: at most [`MAX_TRACKED`] clients are tracked. When a new client arrives and
//! the table is full, buckets that have refilled completely are dropped first (forgetting them
//! loses nothing, since a new bucket starts full). If that frees too little, the buckets closest
//! to full — the oldest, least recently or least heavily used — are evicted, about a tenth of the
//! table at once so that this O(n) sweep runs rarely. An evicted client starts again with a full
//! burst; with more than [`MAX_TRACKED`] active attackers the limit therefore weakens for the
//! quietest of them, never for the busiest.

use std::{
    collections::HashMap,
    fmt,
    hash::Hash,
    net::{IpAddr, Ipv6Addr},
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

/// Most clients tracked at once.
pub const MAX_TRACKED: usize = 100_000;

/// How many slots a sweep of a full table frees at least, so that sweeps are amortised over many
/// new clients.
const SWEEP_FREES: usize = MAX_TRACKED / 10;

/// A refused request: how long the client should wait, for `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter {
    /// Seconds to wait before the next request is allowed; at least 1, rounded up.
    pub seconds: u32,
}

/// A token-bucket rate limiter keyed by client IP (IPv6 by /64), or by any other key `K`.
/// Thread-safe.
pub struct RateLimiter<K = IpAddr> {
    /// Time to earn one request back; `None` when unlimited.
    interval: Option<Duration>,
    /// How far ahead of now a client's arrival time may run before it is refused: the burst
    /// beyond the first request.
    tolerance: Duration,
    burst: u32,
    per_minute: u32,
    /// Per client, the theoretical arrival time: when its bucket will be full again. A time not
    /// after now means a full bucket.
    buckets: Mutex<HashMap<K, Instant>>,
}

impl<K> fmt::Debug for RateLimiter<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the table: it can hold 100 000 entries and client addresses do not belong in logs.
        f.debug_struct("RateLimiter")
            .field("per_minute", &self.per_minute)
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    /// A limiter allowing `burst` requests at once per client, refilled at `per_minute` requests
    /// per minute.
    ///
    /// `per_minute == 0` means unlimited: every request is allowed and nothing is tracked.
    /// A `burst` of 0 is taken as 1, since a bucket that can never hold a request would refuse
    /// everything.
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter<K> {
        let burst = burst.max(1);
        let interval = (per_minute > 0).then(|| Duration::from_secs(60) / per_minute);
        let tolerance = interval
            .and_then(|t| t.checked_mul(burst - 1))
            .unwrap_or(Duration::MAX);
        RateLimiter {
            interval,
            tolerance,
            burst,
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request of `key` at `now`: `Ok` if allowed, otherwise how long to wait.
    ///
    /// A refused request costs nothing, so a client that waits the given time will be let in.
    /// `now` may come from several threads slightly out of order; time never runs backwards for
    /// a bucket.
    pub fn check_key(&self, key: K, now: Instant) -> Result<(), RetryAfter> {
        let Some(interval) = self.interval else {
            return Ok(());
        };
        // Nothing below can panic while holding the lock, but if anything ever did, the table is
        // still consistent (each entry is one Instant), so keep using it.
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);

        if !buckets.contains_key(&key) && buckets.len() >= MAX_TRACKED {
            make_room(&mut buckets, now);
        }
        let arrival = buckets.entry(key).or_insert(now);
        let start = self.admit_at(*arrival, now)?;
        // Instant overflow is only conceivable at the very end of the clock's range; staying
        // put there merely allows the request, which is better than panicking.
        *arrival = start.checked_add(interval).unwrap_or(start);
        Ok(())
    }

    /// Whether `key` would be refused at `now`, without counting anything: for limits that
    /// count only some requests (failures), checked before the request is looked at.
    pub fn refuses(&self, key: &K, now: Instant) -> Result<(), RetryAfter> {
        if self.interval.is_none() {
            return Ok(());
        }
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        match buckets.get(key) {
            Some(arrival) => self.admit_at(*arrival, now).map(|_| ()),
            None => Ok(()),
        }
    }

    /// For a bucket whose theoretical arrival time is `arrival`: the time a request at `now`
    /// counts from, or how long to wait if the bucket is empty. A full bucket (arrival time in
    /// the past) counts from now: idle time beyond a full bucket earns nothing.
    fn admit_at(&self, arrival: Instant, now: Instant) -> Result<Instant, RetryAfter> {
        let start = arrival.max(now);
        let ahead = start.saturating_duration_since(now);
        if ahead > self.tolerance {
            return Err(RetryAfter {
                seconds: ceil_seconds(ahead - self.tolerance),
            });
        }
        Ok(start)
    }

    /// Number of clients tracked now.
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl RateLimiter<IpAddr> {
    /// Counts a request from `ip` (IPv6 by its /64) at `now`, as [`check_key`](Self::check_key).
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        self.check_key(bucket_key(ip), now)
    }

    /// Whether a request from `ip` would be refused at `now`, as [`refuses`](Self::refuses).
    pub fn refuses_ip(&self, ip: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        self.refuses(&bucket_key(ip), now)
    }
}

/// The bucket a client address belongs to: IPv4 as is, IPv6 by its /64.
fn bucket_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !u128::from(u64::MAX);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

/// Frees room in a full table: first drops full buckets, then, if fewer than [`SWEEP_FREES`]
/// slots are free, evicts the buckets that will be full soonest.
fn make_room<K: Eq + Hash + Clone>(buckets: &mut HashMap<K, Instant>, now: Instant) {
    buckets.retain(|_, arrival| *arrival > now);
    let target = MAX_TRACKED - SWEEP_FREES;
    if buckets.len() <= target {
        return;
    }
    let excess = buckets.len() - target;
    let mut by_arrival: Vec<(Instant, K)> = buckets.iter().map(|(k, v)| (*v, k.clone())).collect();
    // Only the `excess` earliest are needed, not a full sort: O(n).
    by_arrival.select_nth_unstable_by_key(excess - 1, |(arrival, _)| *arrival);
    for (_, key) in by_arrival.iter().take(excess) {
        buckets.remove(key);
    }
}

/// Whole seconds in `d`, rounded up, at least 1 and at most `u32::MAX`.
fn ceil_seconds(d: Duration) -> u32 {
    let seconds = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    u32::try_from(seconds.max(1)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn v4(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    #[test]
    fn burst_is_allowed_then_limited() {
        let limiter = RateLimiter::<IpAddr>::new(60, 5);
        let now = Instant::now();
        for _ in 0..5 {
            assert_eq!(limiter.check(v4(1), now), Ok(()));
        }
        assert_eq!(limiter.check(v4(1), now), Err(RetryAfter { seconds: 1 }));
        // Refused requests cost nothing: still one second to wait.
        assert_eq!(limiter.check(v4(1), now), Err(RetryAfter { seconds: 1 }));
    }

    #[test]
    fn refill_gives_tokens_back() {
        // One request per 6 s, burst 3.
        let limiter = RateLimiter::<IpAddr>::new(10, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(v4(1), start).is_ok());
        }
        assert!(limiter.check(v4(1), start).is_err());
        // Just short of one interval: still refused.
        let almost = start + Duration::from_millis(5_999);
        assert_eq!(limiter.check(v4(1), almost), Err(RetryAfter { seconds: 1 }));
        // Exactly one interval: one request, not two.
        let one = start + Duration::from_secs(6);
        assert!(limiter.check(v4(1), one).is_ok());
        assert!(limiter.check(v4(1), one).is_err());
        // After a long idle time the bucket is full again, but never fuller than the burst.
        let later = start + Duration::from_secs(3_600);
        for _ in 0..3 {
            assert!(limiter.check(v4(1), later).is_ok());
        }
        assert!(limiter.check(v4(1), later).is_err());
    }

    #[test]
    fn retry_after_is_rounded_up() {
        // One request per 6 s, burst 1.
        let limiter = RateLimiter::<IpAddr>::new(10, 1);
        let start = Instant::now();
        assert!(limiter.check(v4(1), start).is_ok());
        assert_eq!(limiter.check(v4(1), start), Err(RetryAfter { seconds: 6 }));
        let t = start + Duration::from_millis(500);
        assert_eq!(limiter.check(v4(1), t), Err(RetryAfter { seconds: 6 }));
        let t = start + Duration::from_millis(1_000);
        assert_eq!(limiter.check(v4(1), t), Err(RetryAfter { seconds: 5 }));
        let t = start + Duration::from_millis(5_999);
        assert_eq!(limiter.check(v4(1), t), Err(RetryAfter { seconds: 1 }));
        assert!(limiter.check(v4(1), start + Duration::from_secs(6)).is_ok());

        // A slow rate: one per minute, burst 2 → a full minute to wait after the burst.
        let slow = RateLimiter::<IpAddr>::new(1, 2);
        assert!(slow.check(v4(2), start).is_ok());
        assert!(slow.check(v4(2), start).is_ok());
        assert_eq!(slow.check(v4(2), start), Err(RetryAfter { seconds: 60 }));

        // Sub-second intervals still ask for at least one second.
        let fast = RateLimiter::<IpAddr>::new(600, 1);
        assert!(fast.check(v4(3), start).is_ok());
        assert_eq!(fast.check(v4(3), start), Err(RetryAfter { seconds: 1 }));
    }

    #[test]
    fn zero_per_minute_is_unlimited() {
        let limiter = RateLimiter::<IpAddr>::new(0, 1);
        let now = Instant::now();
        for _ in 0..10_000 {
            assert!(limiter.check(v4(1), now).is_ok());
        }
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn zero_burst_still_allows_one() {
        let limiter = RateLimiter::<IpAddr>::new(60, 0);
        let now = Instant::now();
        assert!(limiter.check(v4(1), now).is_ok());
        assert!(limiter.check(v4(1), now).is_err());
    }

    #[test]
    fn different_ips_are_independent() {
        let limiter = RateLimiter::<IpAddr>::new(60, 2);
        let now = Instant::now();
        assert!(limiter.check(v4(1), now).is_ok());
        assert!(limiter.check(v4(1), now).is_ok());
        assert!(limiter.check(v4(1), now).is_err());
        assert!(limiter.check(v4(2), now).is_ok());
        assert!(limiter.check(v4(2), now).is_ok());
        assert!(limiter.check(v4(2), now).is_err());
        let other_v6: IpAddr = "2001:db8:1::1".parse().unwrap();
        assert!(limiter.check(other_v6, now).is_ok());
    }

    #[test]
    fn ipv6_shares_a_bucket_per_64() {
        let limiter = RateLimiter::<IpAddr>::new(60, 2);
        let now = Instant::now();
        let a: IpAddr = "2001:db8:aaaa:bbbb::1".parse().unwrap();
        let b: IpAddr = "2001:db8:aaaa:bbbb:ffff:ffff:ffff:fffe".parse().unwrap();
        let other_64: IpAddr = "2001:db8:aaaa:bbbc::1".parse().unwrap();
        assert!(limiter.check(a, now).is_ok());
        assert!(limiter.check(b, now).is_ok());
        assert!(limiter.check(a, now).is_err());
        assert!(limiter.check(b, now).is_err());
        assert!(limiter.check(other_64, now).is_ok());
    }

    #[test]
    fn ipv4_mapped_ipv6_counts_as_ipv4() {
        let limiter = RateLimiter::<IpAddr>::new(60, 1);
        let now = Instant::now();
        let mapped_1: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        let mapped_2: IpAddr = "::ffff:192.0.2.2".parse().unwrap();
        assert!(limiter.check(mapped_1, now).is_ok());
        // Same client as its IPv4 form …
        assert!(limiter.check(v4(1), now).is_err());
        // … and not lumped together with other IPv4 clients under ::ffff:0:0/64.
        assert!(limiter.check(mapped_2, now).is_ok());
    }

    #[test]
    fn memory_stays_bounded() {
        let limiter = RateLimiter::<IpAddr>::new(60, 2);
        let now = Instant::now();
        // 200 000 distinct busy clients at the same instant: nothing refills, so the oldest are
        // evicted.
        for n in 0..200_000u32 {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
            assert!(limiter.check(ip, now).is_ok());
            assert!(limiter.tracked() <= MAX_TRACKED);
        }
        assert!(limiter.tracked() > MAX_TRACKED / 2);

        // A client that is being limited right now survives a wave of new clients, because the
        // eviction takes the buckets closest to full.
        let limiter = RateLimiter::<IpAddr>::new(1, 2);
        let busy = v4(1);
        assert!(limiter.check(busy, now).is_ok());
        assert!(limiter.check(busy, now).is_ok());
        assert!(limiter.check(busy, now).is_err());
        for n in 0..(MAX_TRACKED as u32 + 5_000) {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
            assert!(limiter.check(ip, now).is_ok());
        }
        assert!(limiter.tracked() <= MAX_TRACKED);
        assert!(limiter.check(busy, now).is_err());

        // Buckets that have refilled are dropped first: once the table is full again, a new
        // client after a quiet hour finds it emptied of them.
        let limiter = RateLimiter::<IpAddr>::new(60, 2);
        for n in 0..MAX_TRACKED as u32 {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
            assert!(limiter.check(ip, now).is_ok());
        }
        assert_eq!(limiter.tracked(), MAX_TRACKED);
        let later = now + Duration::from_secs(3_600);
        assert!(limiter.check(v4(200), later).is_ok());
        assert_eq!(limiter.tracked(), 1);
    }

    #[test]
    fn refuses_looks_without_counting() {
        let limiter: RateLimiter<String> = RateLimiter::new(60, 2);
        let now = Instant::now();
        let key = "0123456789abcdef".to_owned();
        for _ in 0..10 {
            assert_eq!(limiter.refuses(&key, now), Ok(()));
        }
        assert!(limiter.check_key(key.clone(), now).is_ok());
        assert!(limiter.check_key(key.clone(), now).is_ok());
        assert_eq!(limiter.refuses(&key, now), Err(RetryAfter { seconds: 1 }));
        assert!(limiter.refuses(&key, now + Duration::from_secs(1)).is_ok());
        let ip = RateLimiter::<IpAddr>::new(60, 1);
        assert!(ip.check(v4(1), now).is_ok());
        assert!(ip.refuses_ip(v4(1), now).is_err());
        assert!(ip.refuses_ip(v4(2), now).is_ok());
    }

    #[test]
    fn time_going_backwards_does_not_panic_or_refill() {
        let limiter = RateLimiter::<IpAddr>::new(60, 1);
        let now = Instant::now() + Duration::from_secs(10);
        assert!(limiter.check(v4(1), now).is_ok());
        let earlier = now - Duration::from_secs(5);
        assert_eq!(
            limiter.check(v4(1), earlier),
            Err(RetryAfter { seconds: 6 })
        );
    }
}
