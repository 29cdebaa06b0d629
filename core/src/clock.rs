//! Time, behind a trait: the shell (or a test) may supply its own clock, so time-dependent code
//! is testable without sleeping.

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the device's current time, unix milliseconds. A clock before 1970 reads 0.
pub trait Clock: Send + Sync {
    /// Now, in unix milliseconds.
    fn now_ms(&self) -> u64;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}
