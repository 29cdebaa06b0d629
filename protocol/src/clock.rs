//! Time, behind one trait that every crate shares: the provider, the app core, the FFI adapter
//! and the test kit all read "now" through [`Clock`], so time-dependent rules (TOTP steps,
//! deadlines, clock offsets) are testable without sleeping.
//!
//! Times are unix milliseconds as `u64`; a clock before 1970 reads 0 rather than failing.

use std::{
    sync::atomic::{AtomicI64, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// A source of the current time, in unix milliseconds.
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

/// A clock tests move by hand: the system time shifted by an offset they set. Moving it
/// forward stands for time passing without sleeping (a token's deadline, the next TOTP step);
/// moving it either way stands for a device whose clock is wrong.
///
/// It follows the system time between moves on purpose: a provider and a phone that run on
/// different clocks (one manual, one the system's) then stay as far apart as the test set them,
/// however long the test takes.
#[derive(Debug, Default)]
pub struct ManualClock {
    offset_ms: AtomicI64,
}

impl ManualClock {
    /// A clock reading the system time (offset 0).
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.shift_ms(ms);
    }

    /// Moves the clock by `delta_ms`, forward (positive) or back (negative).
    pub fn shift_ms(&self, delta_ms: i64) {
        // fetch_update never fails with a closure that always answers Some.
        let _ = self
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                Some(offset.saturating_add(delta_ms))
            });
    }

    /// How far the clock is from the system time, ms.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        SystemClock.now_ms().saturating_add_signed(self.offset_ms())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn manual_clock_moves_both_ways_and_follows_the_system_time() {
        let clock = ManualClock::new();
        let before = SystemClock.now_ms();
        clock.advance(Duration::from_secs(90));
        let moved = clock.now_ms();
        assert!(moved >= before + 90_000);
        assert!(moved < SystemClock.now_ms() + 91_000);
        clock.shift_ms(-120_000);
        assert_eq!(clock.offset_ms(), -30_000);
        assert!(clock.now_ms() < SystemClock.now_ms());
    }

    #[test]
    fn manual_clock_saturates_instead_of_wrapping() {
        let clock = ManualClock::new();
        clock.shift_ms(i64::MIN);
        assert_eq!(clock.now_ms(), 0);
    }
}
