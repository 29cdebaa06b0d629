//! The provider's shared state: database, keys, mailer, limiter, clock, the verification
//! batcher, and caches of decrypted per-service OPAQUE setups, per-token TOTP keys, token rows
//! for verification's fast path and bank API keys.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use rand_core::OsRng;
use softtoken_protocol::{
    activation::ProviderSetup,
    clock::Clock,
    ids::{ServiceId, UserId},
    totp::{TokenParams, Totp},
};

use crate::{
    config::Limits,
    db::Db,
    error::ApiError,
    kek::{KeyRing, Purpose},
    mail::Mailer,
    provider::{accept_batch::AcceptBatcher, key_cache::KeyCache},
    rate_limit::RateLimiter,
    store::{self, ServiceRow, TokenRow},
};

/// Most decrypted TOTP keys kept in memory; beyond that the cache starts over (each entry is
/// re-derived from the database on its next use).
const SEED_CACHE_MAX: usize = 200_000;

/// Most token rows kept for verification's fast path (each a few hundred bytes: the row without
/// what verification never reads); beyond that the cache starts over.
const TOKEN_CACHE_MAX: usize = 100_000;

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
    /// Records the right codes of verification's fast path, several per transaction.
    pub accepts: AcceptBatcher,
    /// Bank API keys confirmed in the last seconds.
    pub bank_keys: KeyCache,
    services: RwLock<HashMap<ServiceId, Arc<ServiceCtx>>>,
    totp_keys: RwLock<TotpKeyCache>,
    tokens: RwLock<HashMap<(ServiceId, UserId), Arc<TokenRow>>>,
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
            accepts: AcceptBatcher::new(db.writer.clone()),
            bank_keys: KeyCache::new(),
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
            tokens: RwLock::new(HashMap::new()),
        }
    }

    /// A token row as verification's fast path last saw it, if cached. It may be out of date:
    /// the fast path's write re-checks in the database everything its decision rested on, and
    /// anything else goes through the full check, which reads the row afresh.
    pub fn cached_token(&self, service_id: &ServiceId, user_id: &UserId) -> Option<Arc<TokenRow>> {
        read(&self.tokens).get(&(*service_id, *user_id)).cloned()
    }

    /// Caches a token row for the fast path (without the fields verification never reads:
    /// password file, device, mail address, label). Returns the cached copy.
    pub fn remember_token(&self, token: &TokenRow) -> Option<Arc<TokenRow>> {
        let (service_id, user_id) = token.ids()?;
        let slim = Arc::new(TokenRow {
            service_id: token.service_id.clone(),
            user_id: token.user_id.clone(),
            customer_ref: String::new(),
            email: String::new(),
            label: None,
            state: token.state.clone(),
            algorithm: token.algorithm.clone(),
            digits: token.digits,
            period: token.period,
            password_file: Vec::new(),
            password_file_kek_version: token.password_file_kek_version,
            seed: token.seed.clone(),
            seed_kek_version: token.seed_kek_version,
            seed_generation: token.seed_generation,
            activation_attempts: token.activation_attempts,
            failures: token.failures,
            last_step: token.last_step,
            issued_at_ms: token.issued_at_ms,
            expires_at_ms: token.expires_at_ms,
            activated_at_ms: token.activated_at_ms,
            confirmed_at_ms: token.confirmed_at_ms,
            revoked_at_ms: token.revoked_at_ms,
            last_used_at_ms: token.last_used_at_ms,
            device_json: None,
        });
        let mut cache = write(&self.tokens);
        if cache.len() >= TOKEN_CACHE_MAX {
            cache.clear();
        }
        cache.insert((service_id, user_id), Arc::clone(&slim));
        Some(slim)
    }

    /// Drops a token's cached row (after a change the next verification should not have to
    /// discover by falling back).
    pub fn forget_token(&self, service_id: &ServiceId, user_id: &UserId) {
        write(&self.tokens).remove(&(*service_id, *user_id));
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
