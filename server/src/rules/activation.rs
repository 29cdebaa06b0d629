//! Activation (手順3): KE1 → KE2, then KE3 → the seed, with the attempt and state rules of
//! `docs/protocol.md` §7.1.

use rand_core::OsRng;
use softtoken_protocol::{
    activation::{Binding, PasswordFile, ServerActivation},
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
    state::ServerState,
    storage::{
        activations::{self, ActivationRow},
        audit::{self, AuditEvent},
        tokens::{self, TokenRow},
    },
};

/// Activation attempts reported for unknown tokens (the default limit minus this attempt), so
/// their replies look like any other.
const UNKNOWN_TOKEN_ATTEMPTS_LEFT: u32 = 4;

/// The error a token in `state` answers an activation with, if it cannot be activated.
fn refusal(state: TokenState) -> Option<ApiError> {
    match state {
        TokenState::Issued | TokenState::PendingConfirmation => None,
        TokenState::Active | TokenState::Locked => Some(ApiError::AlreadyActive),
        TokenState::ActivationLocked => Some(ApiError::ActivationLocked),
        TokenState::Revoked => Some(ApiError::TokenRevoked),
        TokenState::Expired => Some(ApiError::TokenExpired),
    }
}

/// `POST /v1/activations`.
pub async fn start(
    state: &ServerState,
    request: ActivationStartRequest,
    actor: &str,
) -> Result<ActivationStartResponse, ApiError> {
    let now = state.now_ms();
    let (sid, uid) = (request.service_id, request.user_id);
    let service = state.service(&sid).await?;
    let mut tx = state.db.write().await?;
    let token = match &service {
        Some(_) => {
            tx.begin().await?;
            tokens::get(&mut tx, &sid, &uid).await?
        }
        None => None,
    };
    let (Some(service), Some(token)) = (service, token) else {
        drop(tx);
        return unknown_token_reply(state, &request, now);
    };
    let audit = |outcome: &'static str, detail: Option<&'static str>| AuditEvent {
        detail,
        ..AuditEvent::token(sid, uid, "activation_start", outcome, actor)
    };

    let token_state = token.state_at(now);
    if token_state == TokenState::Expired && token.state != TokenState::Expired {
        tokens::set_state(&mut tx, &sid, &uid, TokenState::Expired, now).await?;
    }
    if let Some(err) = refusal(token_state) {
        audit::record(&mut tx, now, audit("refused", Some(token_state.as_str()))).await?;
        tx.commit().await?;
        return Err(err);
    }
    let max_attempts = service.row.rules.max_activation_attempts;
    if token.activation_attempts >= max_attempts {
        tokens::set_state(&mut tx, &sid, &uid, TokenState::ActivationLocked, now).await?;
        activations::delete_of_token(&mut tx, &sid, &uid).await?;
        audit::record(&mut tx, now, audit("locked", None)).await?;
        tx.commit().await?;
        return Err(ApiError::ActivationLocked);
    }

    let params = token.params;
    let binding = Binding::new(sid, uid, params);
    let password_file = open_password_file(state, &token)?;
    let (server, ke2) = ServerActivation::start(
        &mut OsRng,
        &service.setup,
        Some(&password_file),
        binding,
        request.ke1.as_slice(),
    )
    .map_err(|e| ApiError::BadRequest(format!("ke1: {e}")))?;

    tokens::count_activation_attempt(&mut tx, &sid, &uid).await?;
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
    audit::record(&mut tx, now, audit("started", None)).await?;
    tx.commit().await?;

    let used = token.activation_attempts.saturating_add(1);
    Ok(ActivationStartResponse {
        v: V1,
        activation_id,
        ke2: Bytes(ke2),
        token: params,
        attempts_left: max_attempts.saturating_sub(used),
        activation_expires_at_ms: expires_at_ms,
        server_time_ms: state.now_ms(),
    })
}

/// OPAQUE's fake-record reply: indistinguishable from a wrong password to the app.
fn unknown_token_reply(
    state: &ServerState,
    request: &ActivationStartRequest,
    now: u64,
) -> Result<ActivationStartResponse, ApiError> {
    let params = TokenParams::default();
    let binding = Binding::new(request.service_id, request.user_id, params);
    let (_, ke2) = ServerActivation::start(
        &mut OsRng,
        &state.dummy_setup,
        None,
        binding,
        request.ke1.as_slice(),
    )
    .map_err(|e| ApiError::BadRequest(format!("ke1: {e}")))?;
    Ok(ActivationStartResponse {
        v: V1,
        activation_id: random_id(16),
        ke2: Bytes(ke2),
        token: params,
        attempts_left: UNKNOWN_TOKEN_ATTEMPTS_LEFT,
        activation_expires_at_ms: now
            .saturating_add(state.limits.activation_ttl_secs.saturating_mul(1000)),
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

/// `POST /v1/activations/{id}/finish`.
pub async fn finish(
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
    let Some(service) = state.service(&sid).await? else {
        return Err(ApiError::Internal);
    };
    let Some(token) = tokens::get(&mut tx, &sid, &uid).await? else {
        tx.commit().await?;
        return Err(ApiError::NotFound("activation"));
    };
    let audit = |outcome: &'static str, detail: Option<&'static str>| AuditEvent {
        detail,
        ..AuditEvent::token(sid, uid, "activation_finish", outcome, actor)
    };
    let token_state = token.state_at(now);
    if let Some(err) = refusal(token_state) {
        audit::record(&mut tx, now, audit("refused", Some(token_state.as_str()))).await?;
        tx.commit().await?;
        return Err(err);
    }
    let attempts_left = service
        .row
        .rules
        .max_activation_attempts
        .saturating_sub(token.activation_attempts);

    let binding = Binding::new(sid, uid, token.params);
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
            return Err(ApiError::ActivationFailed { attempts_left });
        }
    };

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
