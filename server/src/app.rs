//! The provider's shared state: database, keys, mailer, limiter, clock, and caches of
//! decrypted per-service OPAQUE setups and per-token TOTP keys.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use rand_core::OsRng;
use softtoken_protocol::{
    activation::ProviderSetup,
    ids::{ServiceId, UserId},
    totp::{TokenParams, Totp},
};

use crate::{
    clock::Clock,
    config::Limits,
    db::Db,
    error::ApiError,
    kek::{KeyRing, Purpose},
    mail::Mailer,
    rate_limit::RateLimiter,
    store::{self, ServiceRow, TokenRow},
};

/// Most decrypted TOTP keys kept in memory; beyond that the cache starts over (each entry is
/// re-derived from the database on its next use).
const SEED_CACHE_MAX: usize = 200_000;

/// A service with its OPAQUE setup opened.
pub struct ServiceCtx {
    /// The stored row.
    pub row: ServiceRow,
    /// Parameters for new tokens.
    pub params: TokenParams,
    /// The opened OPAQUE setup.
    pub setup: ProviderSetup,
}

/// Everything a request handler needs.
pub struct App {
    /// Database.
    pub db: Db,
    /// Key-encryption keys.
    pub keys: KeyRing,
    /// Issuance mail.
    pub mailer: Mailer,
    /// Per-IP limit on device endpoints.
    pub limiter: RateLimiter,
    /// Limits and timeouts.
    pub limits: Limits,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Bounds concurrent Argon2id work (issuance) to the cores, so a burst queues instead of
    /// every issuance slowing down together past the request time limit.
    pub argon2_permits: tokio::sync::Semaphore,
    /// Answers activations for unknown tokens (OPAQUE's fake-record path) so they look like a
    /// wrong password. Random per process; never stored.
    pub dummy_setup: ProviderSetup,
    services: RwLock<HashMap<ServiceId, Arc<ServiceCtx>>>,
    totp_keys: RwLock<TotpKeyCache>,
}

/// Decrypted TOTP keys by token, with the seed generation they were opened from.
type TotpKeyCache = HashMap<(ServiceId, UserId), (i64, Arc<Totp>)>;

impl App {
    /// Assembles the state.
    pub fn new(
        db: Db,
        keys: KeyRing,
        mailer: Mailer,
        limits: Limits,
        clock: Arc<dyn Clock>,
    ) -> App {
        App {
            db,
            keys,
            mailer,
            limiter: RateLimiter::new(limits.device_requests_per_minute, limits.device_burst),
            limits,
            clock,
            argon2_permits: tokio::sync::Semaphore::new(
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2),
            ),
            dummy_setup: ProviderSetup::generate(&mut OsRng),
            services: RwLock::new(HashMap::new()),
            totp_keys: RwLock::new(HashMap::new()),
        }
    }

    /// Now, unix ms.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// A service with its setup opened, from the cache or the database. `None` if unknown.
    pub async fn service(
        &self,
        service_id: &ServiceId,
    ) -> Result<Option<Arc<ServiceCtx>>, ApiError> {
        if let Some(ctx) = read(&self.services).get(service_id) {
            return Ok(Some(Arc::clone(ctx)));
        }
        let mut conn = self.db.reader.acquire().await?;
        let Some(row) = store::service(&mut conn, service_id).await? else {
            return Ok(None);
        };
        let ctx = Arc::new(self.open_service(row)?);
        write(&self.services).insert(*service_id, Arc::clone(&ctx));
        Ok(Some(ctx))
    }

    /// Opens a service row's sealed setup.
    pub fn open_service(&self, row: ServiceRow) -> Result<ServiceCtx, ApiError> {
        let params = row.params().ok_or(ApiError::Internal)?;
        let version =
            u32::try_from(row.opaque_setup_kek_version).map_err(|_| ApiError::Internal)?;
        let bytes = self.keys.open(
            Purpose::ProviderSetup,
            row.service_id.as_bytes(),
            version,
            &row.opaque_setup,
        )?;
        let setup = ProviderSetup::from_bytes(&bytes).map_err(|_| ApiError::Internal)?;
        Ok(ServiceCtx { row, params, setup })
    }

    /// The TOTP key of an activated token, from the cache (if the seed generation matches) or
    /// by opening the sealed seed. `None` if the token has no seed.
    pub fn totp_key(&self, token: &TokenRow) -> Result<Option<Arc<Totp>>, ApiError> {
        let Some((service_id, user_id)) = token.ids() else {
            return Err(ApiError::Internal);
        };
        if let Some((generation, totp)) = read(&self.totp_keys).get(&(service_id, user_id))
            && *generation == token.seed_generation
        {
            return Ok(Some(Arc::clone(totp)));
        }
        let Some(seed) = self.open_seed(token)? else {
            return Ok(None);
        };
        let params = token.params().ok_or(ApiError::Internal)?;
        let totp = Arc::new(Totp::new(params, &seed).map_err(|_| ApiError::Internal)?);
        let mut cache = write(&self.totp_keys);
        if cache.len() >= SEED_CACHE_MAX {
            cache.clear();
        }
        cache.insert(
            (service_id, user_id),
            (token.seed_generation, Arc::clone(&totp)),
        );
        Ok(Some(totp))
    }

    /// Opens a token's sealed seed. `None` if it has none.
    pub fn open_seed(
        &self,
        token: &TokenRow,
    ) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, ApiError> {
        let (Some(sealed), Some(version)) = (&token.seed, token.seed_kek_version) else {
            return Ok(None);
        };
        let version = u32::try_from(version).map_err(|_| ApiError::Internal)?;
        let context = token_context(&token.service_id, &token.user_id);
        Ok(Some(self.keys.open(
            Purpose::Seed,
            &context,
            version,
            sealed,
        )?))
    }
}

/// The AAD context that binds a token's sealed secrets to the token: `service_id ‖ user_id`.
pub fn token_context(service_id: &str, user_id: &str) -> Vec<u8> {
    [service_id.as_bytes(), user_id.as_bytes()].concat()
}

// A poisoned lock only means another request panicked mid-update of a cache; the cache is
// still a valid map (entries are inserted whole), so recover it instead of failing forever.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
