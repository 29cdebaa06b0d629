//! Bank API keys the database confirmed recently, so that a bank's requests do not each cost a
//! read (a round trip to a reading connection's thread, see [`storage`](crate::storage)) before
//! any work.
//!
//! Only successful checks are kept, for at most [`KEY_CACHE_TTL`]: a key revoked by
//! `softtoken-server key revoke` (another process, which this one cannot notify) stops working
//! within that time. A presented secret that does not match the cached one, or a key used for
//! another service, is decided by the database as if nothing were cached.

use std::{
    collections::HashMap,
    sync::{PoisonError, RwLock},
    time::{Duration, Instant},
};

use softtoken_protocol::ids::ServiceId;

use crate::secrets::api_key::PresentedKey;

/// How long a confirmed key is trusted without asking the database again.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(2);

/// Most keys kept; only keys that passed the check get in, so this bounds nothing an
/// unauthenticated client controls.
const KEY_CACHE_MAX: usize = 10_000;

/// One confirmed key.
struct Confirmed {
    /// SHA-256 of the secret, as stored.
    secret_sha256: Vec<u8>,
    /// The service it acts for.
    service_id: ServiceId,
    /// When the database confirmed it.
    at: Instant,
}

/// Recently confirmed keys by key id.
#[derive(Default)]
pub struct KeyCache {
    keys: RwLock<HashMap<String, Confirmed>>,
}

impl KeyCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the presented key (its id, with a secret of the same hash) was confirmed for
    /// `service_id` less than [`KEY_CACHE_TTL`] ago. `false` means "ask the database", not
    /// "refused".
    pub fn confirmed(&self, key: &PresentedKey<'_>, service_id: &ServiceId) -> bool {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = keys.get(key.key_id) else {
            return false;
        };
        key.matches(&entry.secret_sha256)
            && entry.service_id == *service_id
            && entry.at.elapsed() < KEY_CACHE_TTL
    }

    /// Records that the database just confirmed `key_id` (live, this secret, this service).
    pub fn confirm(&self, key_id: &str, secret_sha256: &[u8], service_id: &ServiceId) {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        if keys.len() >= KEY_CACHE_MAX {
            keys.retain(|_, entry| entry.at.elapsed() < KEY_CACHE_TTL);
            if keys.len() >= KEY_CACHE_MAX {
                keys.clear();
            }
        }
        keys.insert(
            key_id.to_owned(),
            Confirmed {
                secret_sha256: secret_sha256.to_vec(),
                service_id: *service_id,
                at: Instant::now(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(key_id: &'a str, hash: &[u8]) -> PresentedKey<'a> {
        PresentedKey {
            key_id,
            secret_sha256: hash.to_vec(),
        }
    }

    #[test]
    fn only_the_same_secret_and_service_within_the_ttl() {
        let cache = KeyCache::new();
        let service = |id: &str| ServiceId::parse(id).unwrap();
        assert!(!cache.confirmed(&key("k1", b"hash"), &service("10121234")));
        cache.confirm("k1", b"hash", &service("10121234"));
        assert!(cache.confirmed(&key("k1", b"hash"), &service("10121234")));
        assert!(!cache.confirmed(&key("k1", b"hasH"), &service("10121234")));
        assert!(!cache.confirmed(&key("k1", b"hash"), &service("20240001")));
        assert!(!cache.confirmed(&key("k2", b"hash"), &service("10121234")));
        // Expired entries are not trusted.
        let mut keys = cache.keys.write().unwrap();
        if let Some(entry) = keys.get_mut("k1")
            && let Some(earlier) = entry.at.checked_sub(KEY_CACHE_TTL)
        {
            entry.at = earlier;
        }
        drop(keys);
        assert!(!cache.confirmed(&key("k1", b"hash"), &service("10121234")));
    }
}
