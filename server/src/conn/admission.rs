//! The cap on concurrent connections: overall (kept below the descriptor limit, see
//! [`fd_limit`](super::fd_limit)) and per client address, so that one source cannot take every
//! slot. A connection over either cap is refused at once, never queued.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
};

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The provider holds its maximum number of connections.
    #[error("the provider holds its maximum of {0} connections")]
    Total(usize),
    /// This client address holds its maximum number of connections.
    #[error("this client address holds its maximum of {0} connections")]
    PerAddress(usize),
}

/// Counts the connections held, overall and per client address.
#[derive(Debug)]
pub struct ConnectionLimiter {
    max_total: usize,
    max_per_address: usize,
    counts: Mutex<Counts>,
    /// Set while connections are being refused, so the warning is logged once per episode.
    refusing: AtomicBool,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub struct Admission {
    limiter: Arc<ConnectionLimiter>,
    address: IpAddr,
}

impl ConnectionLimiter {
    /// At most `max_total` connections, at most `max_per_address` from one client address
    /// (0: no per-address cap). IPv6 clients are counted per /64, the block one host gets.
    pub fn new(max_total: usize, max_per_address: usize) -> Arc<Self> {
        Arc::new(Self {
            max_total,
            max_per_address,
            counts: Mutex::new(Counts::default()),
            refusing: AtomicBool::new(false),
        })
    }

    /// The overall cap.
    pub fn max_total(&self) -> usize {
        self.max_total
    }

    /// Connections held now.
    pub fn held(&self) -> usize {
        self.lock().total
    }

    /// Admits a connection from `ip`, or says which cap it would break.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Admission, Refusal> {
        let address = counted_address(ip);
        let refused = {
            let mut counts = self.lock();
            let from_address = counts.per_address.get(&address).copied().unwrap_or(0);
            if counts.total >= self.max_total {
                Some(Refusal::Total(self.max_total))
            } else if self.max_per_address != 0 && from_address >= self.max_per_address {
                Some(Refusal::PerAddress(self.max_per_address))
            } else {
                counts.total += 1;
                counts.per_address.insert(address, from_address + 1);
                None
            }
        };
        match refused {
            Some(refusal) => {
                if !self.refusing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(%refusal, "refusing new connections");
                }
                Err(refusal)
            }
            None => Ok(Admission {
                limiter: Arc::clone(self),
                address,
            }),
        }
    }

    fn release(&self, address: IpAddr) {
        let mut counts = self.lock();
        counts.total = counts.total.saturating_sub(1);
        if let Some(count) = counts.per_address.get_mut(&address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.per_address.remove(&address);
            }
        }
        // Below 90 % again: the next refusal is a new episode and is logged.
        if counts.total < self.max_total - self.max_total / 10 {
            self.refusing.store(false, Ordering::Relaxed);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // The counts stay consistent whatever panicked while holding the lock.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.limiter.release(self.address);
    }
}

/// The address a connection counts against: IPv4 (IPv4-mapped IPv6 included) as is, IPv6 by
/// its /64 prefix.
fn counted_address(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn caps_overall_and_per_address_and_frees_on_drop() {
        let limiter = ConnectionLimiter::new(3, 2);
        let a1 = limiter.admit(ip("10.0.0.1")).unwrap();
        let _a2 = limiter.admit(ip("10.0.0.1")).unwrap();
        assert_eq!(
            limiter.admit(ip("10.0.0.1")).unwrap_err(),
            Refusal::PerAddress(2)
        );
        let _b1 = limiter.admit(ip("10.0.0.2")).unwrap();
        assert_eq!(
            limiter.admit(ip("10.0.0.3")).unwrap_err(),
            Refusal::Total(3)
        );
        assert_eq!(limiter.held(), 3);
        drop(a1);
        assert_eq!(limiter.held(), 2);
        let _a3 = limiter.admit(ip("10.0.0.1")).unwrap();
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let limiter = ConnectionLimiter::new(10, 1);
        let _a = limiter.admit(ip("2001:db8::1")).unwrap();
        assert!(limiter.admit(ip("2001:db8::2:3")).is_err());
        let _b = limiter.admit(ip("2001:db8:0:1::1")).unwrap();
        let _c = limiter.admit(ip("192.0.2.1")).unwrap();
        assert!(limiter.admit(ip("::ffff:192.0.2.1")).is_err());
    }

    #[test]
    fn zero_per_address_means_no_per_address_cap() {
        let limiter = ConnectionLimiter::new(3, 0);
        let held: Vec<_> = (0..3)
            .map(|_| limiter.admit(ip("10.0.0.1")).unwrap())
            .collect();
        assert_eq!(held.len(), 3);
        assert_eq!(
            limiter.admit(ip("10.0.0.1")).unwrap_err(),
            Refusal::Total(3)
        );
    }
}
