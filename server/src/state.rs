//! The provider's shared state ([`ServerState`]): the database, the keys, the mailer, the
//! limits, the clock, verification's accept batcher, and caches of what is costly to read or
//! open again — each service with its OPAQUE setup opened, each token's TOTP key, and the token
//! rows verification's fast path reads.
//!
//! Named for the server: "app" means the phone everywhere else in SoftToken.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use rand_core::OsRng;
use softtoken_protocol::{
    activation::ProviderSetup,
    clock::Clock,
    ids::{ServiceId, UserId},
    totp::Totp,
    transaction::TransactionId,
};
use zeroize::Zeroizing;

use crate::{
    config::{Limits, TransactionsConfig},
    error::ApiError,
    mail::Mailer,
    notify::Notifier,
    secrets::{
        UNKNOWN_SERVICE_CONTEXT,
        kek::{KeyRing, Purpose, Sealed},
        token_context,
    },
    storage::{
        Db,
        batcher::AcceptBatcher,
        services::{self, ServiceRow},
        token_reads::TokenReads,
        tokens::TokenRow,
        unknown_service_setup,
    },
};

/// Most decrypted TOTP keys kept in memory; beyond that the cache starts over (each entry is
/// re-derived from the database on its next use).
const SEED_CACHE_MAX: usize = 200_000;

/// Most token rows kept for verification's fast path (each a few hundred bytes: the row without
/// what verification never reads); beyond that the cache starts over.
const TOKEN_CACHE_MAX: usize = 100_000;

/// A service with its OPAQUE setup opened.
pub struct ServiceCtx {
    /// The stored row (its rules and the parameters of its new tokens).
    pub row: ServiceRow,
    /// The opened OPAQUE setup.
    pub setup: ProviderSetup,
}

/// Everything a request needs, shared by all of them.
pub struct ServerState {
    /// Database.
    pub db: Db,
    /// Key-encryption keys.
    pub keys: KeyRing,
    /// Issuance mail.
    pub mailer: Mailer,
    /// Limits and timeouts.
    pub limits: Limits,
    /// Transaction lifetimes, the per-token cap and retention.
    pub transactions: TransactionsConfig,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Bounds concurrent Argon2id work (issuance) to the cores, so a burst queues instead of
    /// every issuance slowing down together past the request time limit.
    pub argon2_permits: tokio::sync::Semaphore,
    /// The setup that answers activation starts for unknown Service IDs, opened from the
    /// database on first use (see [`ServerState::unknown_service_setup`]).
    unknown_service: tokio::sync::OnceCell<Arc<ProviderSetup>>,
    /// Records the right codes of verification's fast path, several per transaction.
    pub accepts: AcceptBatcher,
    /// Reads tokens for verification's fast path, several per statement on PostgreSQL.
    pub token_reads: TokenReads,
    /// Wakes long polls on a transaction's outcome when its state changes (after the commit).
    pub transaction_changes: Notifier<TransactionId>,
    services: RwLock<HashMap<ServiceId, Arc<ServiceCtx>>>,
    totp_keys: RwLock<TotpKeyCache>,
    tokens: RwLock<HashMap<(ServiceId, UserId), Arc<TokenRow>>>,
}

/// Decrypted TOTP keys by token, with the seed generation they were opened from.
type TotpKeyCache = HashMap<(ServiceId, UserId), (u64, Arc<Totp>)>;

impl ServerState {
    /// Assembles the state.
    pub fn new(
        db: Db,
        keys: KeyRing,
        mailer: Mailer,
        limits: Limits,
        transactions: TransactionsConfig,
        clock: Arc<dyn Clock>,
    ) -> ServerState {
        ServerState {
            transactions,
            accepts: AcceptBatcher::new(&db),
            token_reads: TokenReads::new(&db),
            transaction_changes: Notifier::default(),
            db,
            keys,
            mailer,
            limits,
            clock,
            argon2_permits: tokio::sync::Semaphore::new(
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2),
            ),
            unknown_service: tokio::sync::OnceCell::new(),
            services: RwLock::new(HashMap::new()),
            totp_keys: RwLock::new(HashMap::new()),
            tokens: RwLock::new(HashMap::new()),
        }
    }

    /// Now, unix ms.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// A token row as verification's fast path last saw it, if cached. It may be out of date:
    /// the fast path's write re-checks in the database everything its decision rested on, and
    /// anything else goes through the full check, which reads the row afresh.
    pub fn cached_token(&self, service_id: &ServiceId, user_id: &UserId) -> Option<Arc<TokenRow>> {
        read(&self.tokens).get(&(*service_id, *user_id)).cloned()
    }

    /// Caches a token row for the fast path (without the fields verification never reads:
    /// password file, device, mail address, label). Returns the cached copy.
    pub fn remember_token(&self, token: &TokenRow) -> Arc<TokenRow> {
        let slim = Arc::new(TokenRow {
            service_id: token.service_id,
            user_id: token.user_id,
            customer_ref: String::new(),
            email: String::new(),
            label: None,
            state: token.state,
            params: token.params,
            password_file: Sealed {
                kek_version: token.password_file.kek_version,
                blob: Vec::new(),
            },
            seed: token.seed.clone(),
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
            replaced_at_ms: token.replaced_at_ms,
            replaced_by: token.replaced_by,
        });
        let mut cache = write(&self.tokens);
        if cache.len() >= TOKEN_CACHE_MAX {
            cache.clear();
        }
        cache.insert((token.service_id, token.user_id), Arc::clone(&slim));
        slim
    }

    /// Drops every cached token row and TOTP key (benchmarks: the next verification of each
    /// token reads its row and opens its seed again, as for a token not seen for long).
    #[cfg(feature = "testing")]
    pub fn forget_all_cached(&self) {
        write(&self.tokens).clear();
        write(&self.totp_keys).clear();
    }

    /// Drops a token's cached row (after a change the next verification should not have to
    /// discover by falling back).
    pub fn forget_token(&self, service_id: &ServiceId, user_id: &UserId) {
        write(&self.tokens).remove(&(*service_id, *user_id));
    }

    /// A service with its setup opened, from the cache or the database. `None` if unknown.
    pub async fn service(
        &self,
        service_id: &ServiceId,
    ) -> Result<Option<Arc<ServiceCtx>>, ApiError> {
        if let Some(ctx) = read(&self.services).get(service_id) {
            return Ok(Some(Arc::clone(ctx)));
        }
        let mut conn = self.db.read().await?;
        let Some(row) = services::get(&mut conn, service_id).await? else {
            return Ok(None);
        };
        let ctx = Arc::new(self.open_service(row)?);
        write(&self.services).insert(*service_id, Arc::clone(&ctx));
        Ok(Some(ctx))
    }

    /// The OPAQUE setup that answers activation starts for Service IDs no service has: made
    /// and sealed into the database by the first provider that needs it, then the same on every
    /// start, across restarts and on every provider sharing the database and KEK (a setup
    /// random per process would let a restart tell unknown IDs from real ones). Call it before
    /// taking the writing connection: the first call writes.
    pub async fn unknown_service_setup(&self) -> Result<Arc<ProviderSetup>, ApiError> {
        let setup = self
            .unknown_service
            .get_or_try_init(|| async {
                let mut tx = self.db.write().await?;
                if unknown_service_setup::get(&mut tx).await?.is_none() {
                    let fresh = ProviderSetup::generate(&mut OsRng);
                    let sealed = self.keys.seal(
                        Purpose::ProviderSetup,
                        UNKNOWN_SERVICE_CONTEXT,
                        &fresh.to_bytes(),
                    )?;
                    unknown_service_setup::put_first(&mut tx, &sealed).await?;
                }
                let sealed = unknown_service_setup::get(&mut tx)
                    .await?
                    .ok_or(ApiError::Internal)?;
                drop(tx);
                let bytes = self.keys.open(
                    Purpose::ProviderSetup,
                    UNKNOWN_SERVICE_CONTEXT,
                    sealed.kek_version,
                    &sealed.blob,
                )?;
                let setup = ProviderSetup::from_bytes(&bytes).map_err(|_| ApiError::Internal)?;
                Ok::<_, ApiError>(Arc::new(setup))
            })
            .await?;
        Ok(Arc::clone(setup))
    }

    /// Opens a service row's sealed setup.
    fn open_service(&self, row: ServiceRow) -> Result<ServiceCtx, ApiError> {
        let bytes = self.keys.open(
            Purpose::ProviderSetup,
            row.service_id.as_bytes(),
            row.opaque_setup.kek_version,
            &row.opaque_setup.blob,
        )?;
        let setup = ProviderSetup::from_bytes(&bytes).map_err(|_| ApiError::Internal)?;
        Ok(ServiceCtx { row, setup })
    }

    /// The TOTP key of an activated token, from the cache (if the seed generation matches) or
    /// by opening the sealed seed. `None` if the token has no seed.
    pub fn totp_key(&self, token: &TokenRow) -> Result<Option<Arc<Totp>>, ApiError> {
        let key = (token.service_id, token.user_id);
        if let Some((generation, totp)) = read(&self.totp_keys).get(&key)
            && *generation == token.seed_generation
        {
            return Ok(Some(Arc::clone(totp)));
        }
        let Some(seed) = self.open_seed(token)? else {
            return Ok(None);
        };
        let totp = Arc::new(Totp::new(token.params, &seed).map_err(|_| ApiError::Internal)?);
        let mut cache = write(&self.totp_keys);
        if cache.len() >= SEED_CACHE_MAX {
            cache.clear();
        }
        cache.insert(key, (token.seed_generation, Arc::clone(&totp)));
        Ok(Some(totp))
    }

    /// Opens a token's sealed seed. `None` if it has none.
    pub fn open_seed(&self, token: &TokenRow) -> Result<Option<Zeroizing<Vec<u8>>>, ApiError> {
        let Some(seed) = &token.seed else {
            return Ok(None);
        };
        let context = token_context(&token.service_id, &token.user_id);
        Ok(Some(self.keys.open(
            Purpose::Seed,
            &context,
            seed.kek_version,
            &seed.blob,
        )?))
    }
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
