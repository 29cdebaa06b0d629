//! Activation (手順3): KE1 → KE2, then KE3 → the seed, with the attempt and state rules of
//! `docs/protocol.md` §7.1.
//!
//! Nothing about a (service, user) pair shows before its password is proved (§5.4): every
//! start answers `200` with a KE2 from a password file — the token's own while it has attempts
//! left, else the fake one [`PasswordFile::fake`] derives — counts one attempt against the
//! pair whether or not a token exists (`tokenless_attempts` when none does), and does the same
//! reads, writes and OPAQUE work either way. The token's state is told only at finish, once
//! KE3 has proved the password.

use std::sync::Arc;

use rand_core::OsRng;
use softtoken_protocol::{
    activation::{Binding, PasswordFile, ProviderSetup, ServerActivation},
    totp::TokenParams,
    wire::{
        ActivationFinishRequest, ActivationFinishResponse, ActivationStartRequest,
        ActivationStartResponse, Bytes, TokenState, V1,
    },
};

use crate::{
    error::ApiError,
    ids::random_id,
    secrets::{kek::Purpose, token_context},
    state::{ServerState, ServiceCtx},
    storage::{
        activations::{self, ActivationRow},
        audit::{self, AuditEvent},
        retry, tokenless_attempts,
        tokens::{self, TokenRow},
    },
};

/// The attempt limit for a Service ID no service has: a new service's default.
const UNKNOWN_SERVICE_MAX_ATTEMPTS: u32 = 5;

/// The error a token in `state` answers a proved activation with, if it cannot be activated.
fn refusal(state: TokenState) -> Option<ApiError> {
    match state {
        TokenState::Issued | TokenState::PendingConfirmation => None,
        TokenState::Active | TokenState::Locked => Some(ApiError::AlreadyActive),
        TokenState::ActivationLocked => Some(ApiError::ActivationLocked),
        TokenState::Revoked => Some(ApiError::TokenRevoked),
        TokenState::Replaced => Some(ApiError::TokenReplaced),
        TokenState::Expired => Some(ApiError::TokenExpired),
    }
}

/// What a Service ID's activations go by: the parameters of its new tokens (which a pair
/// without a token is answered with) and its attempt limit; the defaults for an unknown one.
fn rules_of(service: Option<&ServiceCtx>) -> (TokenParams, u32) {
    service.map_or(
        (TokenParams::default(), UNKNOWN_SERVICE_MAX_ATTEMPTS),
        |service| {
            let rules = &service.row.rules;
            (rules.params, rules.max_activation_attempts)
        },
    )
}

/// The OPAQUE setup that answers a Service ID: its service's, or the unknown-service one.
enum Setup {
    Service(Arc<ServiceCtx>),
    Unknown(Arc<ProviderSetup>),
}

impl Setup {
    fn opaque(&self) -> &ProviderSetup {
        match self {
            Setup::Service(service) => &service.setup,
            Setup::Unknown(setup) => setup,
        }
    }

    fn service(&self) -> Option<&ServiceCtx> {
        match self {
            Setup::Service(service) => Some(service),
            Setup::Unknown(_) => None,
        }
    }
}

/// `POST /v1/activations`. The whole start is one transaction, run again if PostgreSQL
/// aborted it in a conflict (a fresh KE2 then: nothing was answered).
pub async fn start(
    state: &ServerState,
    request: ActivationStartRequest,
    actor: &str,
) -> Result<ActivationStartResponse, ApiError> {
    retry::on_conflict(|| start_once(state, request.clone(), actor)).await
}

/// One run of [`start`].
async fn start_once(
    state: &ServerState,
    request: ActivationStartRequest,
    actor: &str,
) -> Result<ActivationStartResponse, ApiError> {
    let now = state.now_ms();
    let (sid, uid) = (request.service_id, request.user_id);
    // Before the writing connection: the unknown-service setup is written on its first use.
    let setup = match state.service(&sid).await? {
        Some(service) => Setup::Service(service),
        None => Setup::Unknown(state.unknown_service_setup().await?),
    };
    let (service_params, max_attempts) = rules_of(setup.service());

    let mut tx = state.db.write().await?;
    let token = tokens::begin_and_get(&mut tx, &sid, &uid).await?;
    // The token's own file only while its attempts last: past them no start can confirm a
    // guess (a locked setup is no password oracle), whatever the token's state.
    let own_file = match &token {
        Some(token) if token.activation_attempts < max_attempts => {
            Some(open_password_file(state, token)?)
        }
        _ => None,
    };
    let params = token.as_ref().map_or(service_params, |token| token.params);
    let binding = Binding::new(sid, uid, params);
    let answered_by_own_file = own_file.is_some();
    let password_file = match own_file {
        Some(file) => file,
        None => PasswordFile::fake(setup.opaque(), &binding).map_err(|_| ApiError::Internal)?,
    };
    let (server, ke2) = ServerActivation::start(
        &mut OsRng,
        setup.opaque(),
        Some(&password_file),
        binding,
        request.ke1.as_slice(),
    )
    .map_err(|e| ApiError::BadRequest(format!("ke1: {e}")))?;

    let attempts = match &token {
        Some(_) => {
            tokens::count_activation_attempt(&mut tx, &sid, &uid, max_attempts, now)
                .await?
                .0
        }
        None => tokenless_attempts::count(&mut tx, &sid, &uid, now).await?,
    };
    let activation_id = random_id(16);
    let sealed = state.keys.seal(
        Purpose::ActivationState,
        activation_id.as_bytes(),
        &server.to_bytes(),
    )?;
    let ttl_ms = state.limits.activation_ttl_secs.saturating_mul(1000);
    let expires_at_ms = now.saturating_add(ttl_ms);
    activations::insert(
        &mut tx,
        &ActivationRow {
            activation_id: activation_id.clone(),
            service_id: sid,
            user_id: uid,
            state: sealed,
            expires_at_ms,
        },
    )
    .await?;
    let (outcome, detail) = match (&token, answered_by_own_file) {
        (Some(_), true) => ("started", None),
        (Some(_), false) => ("fake_record", Some("attempts used up")),
        (None, _) => ("fake_record", Some("no such token")),
    };
    let event = AuditEvent {
        detail,
        ..AuditEvent::token(sid, uid, "activation_start", outcome, actor)
    };
    audit::record(&mut tx, now, event).await?;
    tx.commit().await?;

    Ok(ActivationStartResponse {
        v: V1,
        activation_id,
        ke2: Bytes(ke2),
        token: params,
        attempts_left: max_attempts.saturating_sub(attempts),
        activation_expires_at_ms: expires_at_ms,
        server_time_ms: state.now_ms(),
    })
}

fn open_password_file(state: &ServerState, token: &TokenRow) -> Result<PasswordFile, ApiError> {
    let context = token_context(&token.service_id, &token.user_id);
    let bytes = state.keys.open(
        Purpose::PasswordFile,
        &context,
        token.password_file.kek_version,
        &token.password_file.blob,
    )?;
    PasswordFile::from_bytes(&bytes).map_err(|_| ApiError::Internal)
}

/// `POST /v1/activations/{id}/finish`. One transaction (the activation taken, the token
/// set up), run again if PostgreSQL aborted it in a conflict: its rollback put the activation
/// back.
pub async fn finish(
    state: &ServerState,
    activation_id: &str,
    request: ActivationFinishRequest,
    actor: &str,
) -> Result<ActivationFinishResponse, ApiError> {
    retry::on_conflict(|| finish_once(state, activation_id, request.clone(), actor)).await
}

/// One run of [`finish`].
async fn finish_once(
    state: &ServerState,
    activation_id: &str,
    request: ActivationFinishRequest,
    actor: &str,
) -> Result<ActivationFinishResponse, ApiError> {
    let now = state.now_ms();
    let mut tx = state.db.write().await?;
    tx.begin().await?;
    let Some(activation) = activations::take(&mut tx, activation_id).await? else {
        return Err(ApiError::NotFound("activation"));
    };
    if now >= activation.expires_at_ms {
        tx.commit().await?;
        return Err(ApiError::NotFound("activation"));
    }
    let (sid, uid) = (activation.service_id, activation.user_id);
    let service = state.service(&sid).await?;
    let (service_params, max_attempts) = rules_of(service.as_deref());
    // Both counters are read whether or not a token exists, as the start wrote one of them.
    let token = tokens::get(&mut tx, &sid, &uid).await?;
    let tokenless = tokenless_attempts::get(&mut tx, &sid, &uid).await?;
    let attempts = token
        .as_ref()
        .map_or(tokenless, |token| token.activation_attempts);
    let params = token.as_ref().map_or(service_params, |token| token.params);
    let audit = |outcome: &'static str, detail: Option<&'static str>| AuditEvent {
        detail,
        ..AuditEvent::token(sid, uid, "activation_finish", outcome, actor)
    };

    let binding = Binding::new(sid, uid, params);
    let state_bytes = state.keys.open(
        Purpose::ActivationState,
        activation_id.as_bytes(),
        activation.state.kek_version,
        &activation.state.blob,
    )?;
    let server =
        ServerActivation::from_bytes(&state_bytes, binding).map_err(|_| ApiError::Internal)?;
    let finished = match server.finish(
        request.ke3.as_slice(),
        request.client_confirmation.as_slice(),
    ) {
        Ok(finished) => finished,
        Err(err) => {
            tracing::info!(service_id = %sid, user_id = %uid, error = %err, "activation failed");
            audit::record(&mut tx, now, audit("failed", None)).await?;
            tx.commit().await?;
            return Err(ApiError::ActivationFailed {
                attempts_left: max_attempts.saturating_sub(attempts),
            });
        }
    };

    // The password is proved, so the token exists (a fake file opens for no password) and
    // its state may be told.
    let Some(token) = token else {
        return Err(ApiError::Internal);
    };
    let token_state = token.state_at(now);
    if let Some(err) = refusal(token_state) {
        audit::record(&mut tx, now, audit("refused", Some(token_state.as_str()))).await?;
        tx.commit().await?;
        return Err(err);
    }
    let context = token_context(&sid, &uid);
    let sealed = state
        .keys
        .seal(Purpose::Seed, &context, finished.seed.expose())?;
    let device_json = serde_json::to_string(&request.device).map_err(|_| ApiError::Internal)?;
    tokens::store_activated_seed(&mut tx, &sid, &uid, &sealed, &device_json, now).await?;
    audit::record(&mut tx, now, audit("ok", None)).await?;
    tx.commit().await?;

    Ok(ActivationFinishResponse {
        v: V1,
        state: TokenState::PendingConfirmation,
        server_confirmation: Bytes(finished.server_confirmation.to_vec()),
        server_time_ms: state.now_ms(),
    })
}
