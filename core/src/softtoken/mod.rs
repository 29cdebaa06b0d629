//! [`SoftToken`]: the app core's API. Transaction authentication (取引認証) is in
//! `transactions.rs` (its methods are on [`SoftToken`] too).

mod transactions;

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use rand_core::{OsRng, RngCore};
use softtoken_protocol::{
    activation::{Binding, ClientActivation, prepare_password},
    ids::{ServiceId, UserId},
    secret::Seed,
    status::StatusKey,
    totp::{TokenParams, Totp},
    wire::{
        ActivationFinishRequest, ActivationFinishResponse, ActivationStartRequest,
        ActivationStartResponse, Bytes, DeviceInfo, ErrorCode, StatusRequest, StatusResponse,
        TokenState, V1,
    },
};
use tracing::Instrument;

use crate::{
    Clock, SystemClock,
    error::CoreError,
    keystore::{SeedLookup, SeedVault, StoreChoice},
    metadata::{MetadataStore, RecordState, TokenRecord},
    net::{NetError, ProviderClient, Retry, Timeouts, map_status},
    token::{CLOCK_SKEW_WARNING_MS, OtpCode, TokenInfo, TokenStatus},
};

/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 64;

/// Earliest plausible corrected time (2020-01-01), unix ms.
const PLAUSIBLE_FROM_MS: u64 = 1_577_836_800_000;
/// Latest plausible corrected time (2100-01-01), unix ms.
const PLAUSIBLE_UNTIL_MS: u64 = 4_102_444_800_000;

/// The phases of [`SoftToken::activate`], in order. Each is a DEBUG-level `tracing` span of
/// that name around its part of the work, so a subscriber (the core's benchmark, an app's
/// profiler) can see where activation time goes; without one nothing is recorded.
///
/// 1. the start request (`POST /v1/activations`): TCP and TLS handshake, the provider's KE2;
/// 2. key stretching: Argon2id and OPAQUE's finish, on the blocking pool;
/// 3. the finish request: a new connection, the provider's confirmation; then the status
///    request whose MAC authenticates the provider's clock (same span name);
/// 4. storage: the seed into the keystore, then the metadata file replaced.
pub const ACTIVATION_PHASES: [&str; 4] =
    [START_ROUND_TRIP, KEY_STRETCHING, FINISH_ROUND_TRIP, STORAGE];
const START_ROUND_TRIP: &str = "activation.start_round_trip";
const KEY_STRETCHING: &str = "activation.key_stretching";
const FINISH_ROUND_TRIP: &str = "activation.finish_round_trip";
const STORAGE: &str = "activation.storage";

/// How to build a [`SoftToken`].
pub struct CoreConfig {
    /// Provider base URL, `https://…`.
    pub provider_url: String,
    /// The provider CA certificate(s) to trust, PEM. Only these: no platform roots.
    pub provider_ca_pem: String,
    /// Directory for the metadata file (no secrets).
    pub data_dir: PathBuf,
    /// Where seeds live.
    pub secret_store: StoreChoice,
    /// The device clock (default: the system clock).
    pub clock: Option<Arc<dyn Clock>>,
    /// Network timeouts.
    pub timeouts: Timeouts,
    /// What the app tells the provider about the phone.
    pub device: DeviceInfo,
}

/// The app core: activation, seeds in the keystore, codes, status and re-setup.
pub struct SoftToken {
    provider_url: String,
    client: ProviderClient,
    vault: SeedVault,
    metadata: MetadataStore,
    clock: Arc<dyn Clock>,
    device: DeviceInfo,
    // Serialises read-modify-write of the metadata file within this process.
    write_lock: Mutex<()>,
    // The transactions of the last list whose MAC verified, per token: only these can be shown,
    // approved, rejected or given a code (transactions.rs).
    verified_transactions: transactions::VerifiedTransactions,
}

impl std::fmt::Debug for SoftToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftToken")
            .field("provider_url", &self.provider_url)
            .finish_non_exhaustive()
    }
}

impl SoftToken {
    /// Opens the core: metadata directory, keystore, provider client.
    pub fn new(config: CoreConfig) -> Result<SoftToken, CoreError> {
        let clock = config.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let client = ProviderClient::new(
            &config.provider_url,
            &config.provider_ca_pem,
            config.timeouts,
            Arc::clone(&clock),
        )?;
        Ok(SoftToken {
            provider_url: config.provider_url.trim_end_matches('/').to_owned(),
            client,
            vault: SeedVault::new(config.secret_store)?,
            metadata: MetadataStore::open(&config.data_dir)?,
            clock,
            device: config.device,
            write_lock: Mutex::new(()),
            verified_transactions: transactions::VerifiedTransactions::default(),
        })
    }

    /// Sets up a token: IDs as the user typed them (checked locally first, so a typo costs no
    /// attempt), then OPAQUE activation with the provider. The seed is stored in the keystore
    /// before the metadata, so a crash at any point leaves no token or a usable one, and
    /// retrying with the same password always works.
    pub async fn activate(
        &self,
        service_id: &str,
        user_id: &str,
        activation_password: &str,
    ) -> Result<TokenInfo, CoreError> {
        let service_id = ServiceId::parse(service_id).map_err(|e| CoreError::from_id(&e))?;
        let user_id = UserId::parse(user_id).map_err(|e| CoreError::from_id(&e))?;
        let password =
            prepare_password(activation_password).map_err(|e| CoreError::from_handshake(e, 0))?;

        let (client_state, ke1) = ClientActivation::start(&mut OsRng, &password)
            .map_err(|e| CoreError::from_handshake(e, 0))?;
        let start: ActivationStartResponse = self
            .client
            .post(
                "/v1/activations",
                &ActivationStartRequest {
                    v: V1,
                    service_id,
                    user_id,
                    ke1: Bytes(ke1),
                },
                Retry::Never,
            )
            .instrument(tracing::debug_span!(START_ROUND_TRIP))
            .await
            .map_err(net_error)?
            .reply;

        // Argon2id: seconds of CPU on a slow phone, so off the async workers.
        let params = start.token;
        let binding = Binding::new(service_id, user_id, params);
        let ke2 = start.ke2.0.clone();
        let finished = tokio::task::spawn_blocking(move || {
            client_state.finish(&mut OsRng, &password, &binding, &ke2)
        })
        .instrument(tracing::debug_span!(KEY_STRETCHING))
        .await
        .map_err(|_| CoreError::Protocol {
            reason: "activation was interrupted".into(),
        })?
        .map_err(|e| CoreError::from_handshake(e, start.attempts_left))?;

        let request = ActivationFinishRequest {
            v: V1,
            ke3: Bytes(finished.ke3.clone()),
            client_confirmation: Bytes(finished.client_confirmation.to_vec()),
            device: self.device.clone(),
        };
        let done = self
            .client
            .post::<_, ActivationFinishResponse>(
                &format!("/v1/activations/{}/finish", start.activation_id),
                &request,
                Retry::Never,
            )
            .instrument(tracing::debug_span!(FINISH_ROUND_TRIP))
            .await
            .map_err(net_error)?;
        let seed = finished
            .pending
            .accept_server_confirmation(done.reply.server_confirmation.as_slice())
            .map_err(|e| CoreError::Protocol {
                reason: e.to_string(),
            })?;
        // The provider's clock only from a reply the seed authenticates: the finish reply's
        // `server_time_ms` is outside its confirmation, so anything between the app and the
        // provider could set it. Asked before anything is stored (no lock across the request);
        // if no authenticated time comes back the token is still set up, with no offset, and
        // the next refresh learns it.
        let (offset, refreshed_ms) = match self
            .verified_status(&seed, service_id, user_id)
            .instrument(tracing::debug_span!(FINISH_ROUND_TRIP))
            .await
        {
            Ok(verified) => (verified.clock_offset_ms, Some(self.clock.now_ms())),
            Err(err) => {
                tracing::warn!(error = %err, "no authenticated provider time at activation");
                (0, None)
            }
        };

        let id = token_id(&service_id, &user_id);
        let record = TokenRecord {
            id: id.clone(),
            service_id: service_id.as_str().to_owned(),
            user_id: user_id.as_str().to_owned(),
            label: None,
            algorithm: params.algorithm(),
            digits: params.digits(),
            period: params.period(),
            state: RecordState::PendingConfirmation,
            created_at_ms: self.clock.now_ms(),
            clock_offset_ms: offset,
            last_refresh_ms: refreshed_ms,
            provider_url: self.provider_url.clone(),
            replaced_at_ms: None,
        };
        let storage = tracing::debug_span!(STORAGE).entered();
        let _guard = self.lock();
        let mut records = self.metadata.load()?;
        // Keystore first: if it refuses, nothing is written and the user can simply retry.
        self.vault.put(&id, params.algorithm(), &seed)?;
        let label = records
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.label.clone());
        records.retain(|r| r.id != id);
        records.push(TokenRecord {
            label,
            ..record.clone()
        });
        self.metadata.save(&records)?;
        drop(storage);
        // Ids and parameters only: never the password, the seed or a code.
        tracing::info!(token = %id, algorithm = ?params.algorithm(), clock_offset_ms = offset, "token activated");
        Ok(self.info(
            records.last().unwrap_or(&record),
            TokenStatus::PendingConfirmation,
        ))
    }

    /// All tokens on this phone, with their state (a token whose seed is gone reports
    /// `NeedsResetup`).
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, CoreError> {
        let records = self.metadata.load()?;
        let mut out = Vec::with_capacity(records.len());
        for record in &records {
            let status = self.status_of(record)?;
            out.push(self.info(record, status));
        }
        Ok(out)
    }

    /// The code to show now, computed with the provider clock offset. Refused for revoked,
    /// replaced, expired and unreadable tokens: a wrong code is never shown.
    pub fn current_code(&self, token_id: &str) -> Result<OtpCode, CoreError> {
        let record = self.record(token_id)?;
        refuse_final(&record)?;
        let params = params_of(&record)?;
        let seed = self.seed_of(&record)?;
        let now_ms = corrected_now(self.clock.now_ms(), record.clock_offset_ms)?;
        let totp = Totp::new(params, seed.expose()).map_err(|_| CoreError::SeedMissing)?;
        let window = totp.window_at_ms(now_ms);
        Ok(OtpCode {
            code: totp.code_for_step(window.step).as_str().to_owned(),
            period: params.period(),
            valid_from_unix: window.valid_from_secs,
            remaining_ms: window.remaining_ms,
        })
    }

    /// Asks the provider for the token's state (proving possession of the seed) and corrects
    /// the clock offset. This is how the app learns of a revocation.
    pub async fn refresh(&self, token_id: &str) -> Result<TokenInfo, CoreError> {
        let record = self.record(token_id)?;
        let service_id =
            ServiceId::parse(&record.service_id).map_err(|e| CoreError::from_id(&e))?;
        let user_id = UserId::parse(&record.user_id).map_err(|e| CoreError::from_id(&e))?;
        let seed = self.seed_of(&record)?;
        let verified = self.verified_status(&seed, service_id, user_id).await?;
        let updated = self.store_verified(token_id, &verified)?;
        let status = self.status_of(&updated)?;
        tracing::info!(token = token_id, status = ?status, clock_offset_ms = updated.clock_offset_ms, "token refreshed");
        Ok(self.info(&updated, status))
    }

    /// Removes a token from this phone: seed and metadata. The only way anything is deleted.
    pub fn remove(&self, token_id: &str) -> Result<(), CoreError> {
        let _guard = self.lock();
        let mut records = self.metadata.load()?;
        if !records.iter().any(|r| r.id == token_id) {
            return Err(CoreError::TokenNotFound);
        }
        self.vault.delete(token_id)?;
        records.retain(|r| r.id != token_id);
        self.metadata.save(&records)?;
        tracing::info!(token = token_id, "token removed");
        Ok(())
    }

    /// Sets or clears a token's label.
    pub fn rename(&self, token_id: &str, label: Option<String>) -> Result<TokenInfo, CoreError> {
        let label = label.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty());
        if label
            .as_ref()
            .is_some_and(|l| l.chars().count() > MAX_LABEL_CHARS)
        {
            return Err(CoreError::InvalidInput {
                reason: format!("a label has at most {MAX_LABEL_CHARS} characters"),
            });
        }
        let _guard = self.lock();
        let mut records = self.metadata.load()?;
        let Some(stored) = records.iter_mut().find(|r| r.id == token_id) else {
            return Err(CoreError::TokenNotFound);
        };
        stored.label = label;
        let updated = stored.clone();
        self.metadata.save(&records)?;
        let status = self.status_of(&updated)?;
        tracing::info!(token = token_id, "token renamed");
        Ok(self.info(&updated, status))
    }

    /// The token's state and the provider clock offset, from a status reply whose MAC verifies
    /// under the seed's status key: the only reply the app lets change a stored token (spec
    /// 5.6). Anything else is an error and changes nothing: a reply with a bad MAC, and a
    /// `401 status_denied`, which carries no MAC at all (anything between the app and the
    /// provider's key, a TLS front or a stale provider, can send one) are both
    /// [`CoreError::Protocol`]; other error statuses map as everywhere else.
    async fn verified_status(
        &self,
        seed: &Seed,
        service_id: ServiceId,
        user_id: UserId,
    ) -> Result<Verified, CoreError> {
        let key = StatusKey::derive(seed, &service_id, &user_id);
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        let time_ms = self.clock.now_ms();
        let request = StatusRequest {
            v: V1,
            service_id,
            user_id,
            nonce: Bytes(nonce.to_vec()),
            time_ms,
            proof: Bytes(key.request_proof(&nonce, time_ms).to_vec()),
        };
        let timed = match self
            .client
            .post::<_, StatusResponse>("/v1/tokens/status", &request, Retry::Idempotent)
            .await
        {
            Ok(timed) => timed,
            Err(NetError::Status {
                body: Some(body), ..
            }) if body.error == ErrorCode::StatusDenied => {
                return Err(CoreError::Protocol {
                    reason: "the provider did not accept this token's status proof \
                             (status_denied, an unauthenticated reply); the token keeps its state"
                        .into(),
                });
            }
            Err(err) => return Err(net_error(err)),
        };
        let reply = &timed.reply;
        if !key.verify_response(
            &nonce,
            reply.state,
            reply.server_time_ms,
            reply.replaced_at_ms,
            reply.mac.as_slice(),
        ) {
            return Err(CoreError::Protocol {
                reason: "the status reply is not authentic".into(),
            });
        }
        Ok(Verified {
            state: record_state(reply.state),
            replaced_at_ms: reply.replaced_at_ms,
            clock_offset_ms: timed.clock_offset_ms(reply.server_time_ms),
        })
    }

    /// Stores a token state and clock offset that a reply's MAC proved (status, transaction
    /// list): the only way either changes after activation.
    fn store_verified(
        &self,
        token_id: &str,
        verified: &Verified,
    ) -> Result<TokenRecord, CoreError> {
        let _guard = self.lock();
        let mut records = self.metadata.load()?;
        let Some(stored) = records.iter_mut().find(|r| r.id == token_id) else {
            return Err(CoreError::TokenNotFound);
        };
        stored.state = verified.state;
        stored.clock_offset_ms = verified.clock_offset_ms;
        if verified.state == RecordState::Replaced {
            stored.replaced_at_ms = verified.replaced_at_ms;
        }
        stored.last_refresh_ms = Some(self.clock.now_ms());
        let updated = stored.clone();
        self.metadata.save(&records)?;
        Ok(updated)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn record(&self, token_id: &str) -> Result<TokenRecord, CoreError> {
        self.metadata
            .load()?
            .into_iter()
            .find(|r| r.id == token_id)
            .ok_or(CoreError::TokenNotFound)
    }

    fn seed_of(&self, record: &TokenRecord) -> Result<Seed, CoreError> {
        match self.vault.get(&record.id, record.algorithm)? {
            SeedLookup::Found(seed) => Ok(seed),
            SeedLookup::Missing | SeedLookup::Unreadable => Err(CoreError::SeedMissing),
        }
    }

    fn status_of(&self, record: &TokenRecord) -> Result<TokenStatus, CoreError> {
        let status = match record.state {
            RecordState::Revoked => return Ok(TokenStatus::Revoked),
            RecordState::Replaced => {
                return Ok(TokenStatus::Replaced {
                    at_ms: replaced_at(record),
                });
            }
            RecordState::Expired => return Ok(TokenStatus::Expired),
            RecordState::PendingConfirmation => TokenStatus::PendingConfirmation,
            RecordState::Active | RecordState::Unknown => TokenStatus::Active,
            RecordState::Locked => TokenStatus::Locked,
        };
        match self.vault.get(&record.id, record.algorithm)? {
            SeedLookup::Found(_) => Ok(status),
            SeedLookup::Missing | SeedLookup::Unreadable => Ok(TokenStatus::NeedsResetup),
        }
    }

    fn info(&self, record: &TokenRecord, status: TokenStatus) -> TokenInfo {
        TokenInfo {
            id: record.id.clone(),
            service_id: record.service_id.clone(),
            user_id: record.user_id.clone(),
            label: record.label.clone(),
            algorithm: record.algorithm,
            digits: record.digits,
            period: record.period,
            status,
            created_at_ms: record.created_at_ms,
            clock_offset_ms: record.clock_offset_ms,
            clock_skewed: record.clock_offset_ms.unsigned_abs()
                > CLOCK_SKEW_WARNING_MS.unsigned_abs(),
        }
    }
}

/// What a reply whose MAC verified says about a token: the only input that changes a stored
/// token after activation (see [`SoftToken::store_verified`]).
pub(crate) struct Verified {
    /// The token's state.
    pub(crate) state: RecordState,
    /// When it was replaced (state `Replaced` only; covered by the status MAC).
    pub(crate) replaced_at_ms: Option<u64>,
    /// Provider clock minus phone clock, ms.
    pub(crate) clock_offset_ms: i64,
}

/// The id of a token on this phone: `<service id>-<user id>`, so re-activating the same token
/// (after a crash or a lost reply) replaces it instead of adding a second one.
pub fn token_id(service_id: &ServiceId, user_id: &UserId) -> String {
    format!("{service_id}-{user_id}")
}

fn params_of(record: &TokenRecord) -> Result<TokenParams, CoreError> {
    TokenParams::new(record.algorithm, record.digits, record.period).map_err(|e| {
        CoreError::StorageCorrupted {
            reason: e.to_string(),
        }
    })
}

/// Refuses a token in a final state: no code, no transaction, ever (its seed stays until the
/// user removes the token, like every seed).
fn refuse_final(record: &TokenRecord) -> Result<(), CoreError> {
    match record.state {
        RecordState::Revoked => Err(CoreError::TokenRevoked),
        RecordState::Replaced => Err(CoreError::TokenReplaced),
        RecordState::Expired => Err(CoreError::TokenExpired),
        RecordState::PendingConfirmation
        | RecordState::Active
        | RecordState::Locked
        | RecordState::Unknown => Ok(()),
    }
}

/// When a replaced token was retired: the provider's time from the status reply that said so;
/// for a record without it (not written by this code) the moment the phone learnt it.
fn replaced_at(record: &TokenRecord) -> u64 {
    record
        .replaced_at_ms
        .or(record.last_refresh_ms)
        .unwrap_or(record.created_at_ms)
}

fn corrected_now(device_ms: u64, offset_ms: i64) -> Result<u64, CoreError> {
    let now = device_ms.saturating_add_signed(offset_ms);
    if !(PLAUSIBLE_FROM_MS..PLAUSIBLE_UNTIL_MS).contains(&now) {
        return Err(CoreError::ClockImplausible);
    }
    Ok(now)
}

fn record_state(state: TokenState) -> RecordState {
    match state {
        TokenState::Issued | TokenState::PendingConfirmation => RecordState::PendingConfirmation,
        TokenState::Active => RecordState::Active,
        TokenState::Locked => RecordState::Locked,
        TokenState::Revoked | TokenState::ActivationLocked => RecordState::Revoked,
        TokenState::Replaced => RecordState::Replaced,
        TokenState::Expired => RecordState::Expired,
    }
}

fn net_error(err: NetError) -> CoreError {
    match err {
        NetError::Core(err) => err,
        NetError::Status { status, body, .. } => map_status(status, body.as_ref()),
    }
}
