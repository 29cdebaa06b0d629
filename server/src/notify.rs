//! In-process wake-ups for long polls (`GET …/transactions/{id}?wait_s=N`, `docs/protocol.md`
//! §9.6): a request waiting for a transaction's outcome subscribes to its id, and whoever
//! changes the transaction's state wakes it after the commit.
//!
//! A wake-up is only a hint to read the database again, never the outcome itself: the waiter
//! re-reads the row, and also re-reads it at least every [`RECHECK`] without a wake-up, so that
//! a change made by another provider on the same database (issue 15), or an expiry that no
//! request wrote, is seen within a second.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use tokio::sync::watch;

/// Longest a waiter goes without re-reading, wake-up or not.
pub const RECHECK: Duration = Duration::from_secs(1);

/// Wake-ups keyed by `K` (a transaction id). Entries live while someone waits on them.
pub struct Notifier<K> {
    /// One channel per key with waiters; its value counts the changes announced.
    channels: Mutex<HashMap<K, watch::Sender<u64>>>,
}

impl<K: Hash + Eq + Clone> Default for Notifier<K> {
    fn default() -> Self {
        Self {
            channels: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq + Clone> Notifier<K> {
    /// Subscribes to `key`. Subscribe **before** reading what you wait for: a change announced
    /// after this call is never missed.
    pub fn subscribe(&self, key: &K) -> Subscription<'_, K> {
        let receiver = self
            .lock()
            .entry(key.clone())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        Subscription {
            notifier: self,
            key: key.clone(),
            receiver,
        }
    }

    /// Announces a change of `key` to its waiters (none: nothing to do).
    pub fn notify(&self, key: &K) {
        if let Some(sender) = self.lock().get(key) {
            sender.send_modify(|changes| *changes = changes.wrapping_add(1));
        }
    }

    /// Keys with waiters (for tests).
    pub fn watched(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, watch::Sender<u64>>> {
        // A poisoned map is still whole (entries are inserted and removed whole).
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One waiter's subscription; removes the key's channel when its last waiter goes.
pub struct Subscription<'a, K: Hash + Eq + Clone> {
    notifier: &'a Notifier<K>,
    key: K,
    receiver: watch::Receiver<u64>,
}

impl<K: Hash + Eq + Clone> Subscription<'_, K> {
    /// Waits until a change is announced since the last call (or the subscription), or `at_most`
    /// passes, whichever comes first. Either way the caller re-reads.
    pub async fn changed(&mut self, at_most: Duration) {
        // An error means the sender is gone, which cannot happen while we hold a receiver
        // in the map; the timeout bounds the wait anyway.
        let _ = tokio::time::timeout(at_most, self.receiver.changed()).await;
    }
}

impl<K: Hash + Eq + Clone> Drop for Subscription<'_, K> {
    fn drop(&mut self) {
        let mut channels = self.notifier.lock();
        // Our own receiver is still counted until this drop ends.
        if channels
            .get(&self.key)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            channels.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[tokio::test]
    async fn a_change_after_subscribing_wakes_the_waiter_and_the_entry_goes_with_it() {
        let notifier = Notifier::<String>::default();
        let key = "t1".to_owned();
        let mut first = notifier.subscribe(&key);
        let second = notifier.subscribe(&key);
        assert_eq!(notifier.watched(), 1);
        // Announced before the wait began: still seen.
        notifier.notify(&key);
        let started = Instant::now();
        first.changed(Duration::from_secs(5)).await;
        assert!(started.elapsed() < Duration::from_secs(1));
        drop(second);
        assert_eq!(notifier.watched(), 1);
        drop(first);
        assert_eq!(notifier.watched(), 0);
        // Nobody waits: nothing kept.
        notifier.notify(&key);
        assert_eq!(notifier.watched(), 0);
    }

    #[tokio::test]
    async fn without_a_change_the_wait_ends_at_its_bound() {
        let notifier = Notifier::<String>::default();
        let mut waiter = notifier.subscribe(&"t2".to_owned());
        notifier.notify(&"other".to_owned());
        let started = Instant::now();
        waiter.changed(Duration::from_millis(50)).await;
        assert!(started.elapsed() >= Duration::from_millis(50));
    }
}
