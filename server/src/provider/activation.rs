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

use super::random_id;
use crate::{
    app::{App, token_context},
    error::ApiError,
    kek::Purpose,
    store::{self, ActivationRow, AuditEvent, TokenRow, to_i64, to_u64},
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
    app: &App,
    request: ActivationStartRequest,
    actor: &str,
) -> Result<ActivationStartResponse, ApiError> {
    let now = app.now_ms();
    let service = app.service(&request.service_id).await?;
    let mut tx = app.db.writer.begin().await?;
    let token = match &service {
        Some(_) => store::token(&mut tx, &request.service_id, &request.user_id).await?,
        None => None,
    };
    let (Some(service), Some(token)) = (service, token) else {
        drop(tx);
        return unknown_token_reply(app, &request, now);
    };
    let (sid, uid) = (token.service_id.clone(), token.user_id.clone());
    let audit = |outcome: &'static str, detail: Option<&'static str>| AuditEvent {
        detail,
        ..AuditEvent::token(
            request.service_id.as_str(),
            request.user_id.as_str(),
            "activation_start",
            outcome,
            actor,
        )
    };

    let state = token.state_at(now);
    if state == TokenState::Expired && token.stored_state() != TokenState::Expired {
        store::set_state(&mut tx, &sid, &uid, TokenState::Expired, now).await?;
    }
    if let Some(err) = refusal(state) {
        store::audit(&mut tx, now, audit("refused", Some(state.as_str()))).await?;
        tx.commit().await?;
        return Err(err);
    }
    let max_attempts = service.row.max_activation_attempts;
    if token.activation_attempts >= max_attempts {
        store::set_state(&mut tx, &sid, &uid, TokenState::ActivationLocked, now).await?;
        store::delete_activations_of(&mut tx, &sid, &uid).await?;
        store::audit(&mut tx, now, audit("locked", None)).await?;
        tx.commit().await?;
        return Err(ApiError::ActivationLocked);
    }

    let params = token.params().ok_or(ApiError::Internal)?;
    let binding = Binding::new(request.service_id, request.user_id, params);
    let password_file = open_password_file(app, &token)?;
    let (server, ke2) = ServerActivation::start(
        &mut OsRng,
        &service.setup,
        Some(&password_file),
        binding,
        request.ke1.as_slice(),
    )
    .map_err(|e| ApiError::BadRequest(format!("ke1: {e}")))?;

    store::count_activation_attempt(&mut tx, &sid, &uid).await?;
    let activation_id = random_id(16);
    let sealed = app.keys.seal(
        Purpose::ActivationState,
        activation_id.as_bytes(),
        &server.to_bytes(),
    )?;
    let ttl_ms = app.limits.activation_ttl_secs.saturating_mul(1000);
    let expires_at_ms = now.saturating_add(ttl_ms);
    store::insert_activation(
        &mut tx,
        &ActivationRow {
            activation_id: activation_id.clone(),
            service_id: sid.clone(),
            user_id: uid.clone(),
            state: sealed.blob,
            state_kek_version: i64::from(sealed.kek_version),
            expires_at_ms: to_i64(expires_at_ms),
        },
    )
    .await?;
    store::audit(&mut tx, now, audit("started", None)).await?;
    tx.commit().await?;

    let used = token.activation_attempts.saturating_add(1);
    Ok(ActivationStartResponse {
        v: V1,
        activation_id,
        ke2: Bytes(ke2),
        token: params,
        attempts_left: u32::try_from(max_attempts.saturating_sub(used)).unwrap_or(0),
        activation_expires_at_ms: expires_at_ms,
        server_time_ms: app.now_ms(),
    })
}

/// OPAQUE's fake-record reply: indistinguishable from a wrong password to the app.
fn unknown_token_reply(
    app: &App,
    request: &ActivationStartRequest,
    now: u64,
) -> Result<ActivationStartResponse, ApiError> {
    let params = TokenParams::default();
    let binding = Binding::new(request.service_id, request.user_id, params);
    let (_, ke2) = ServerActivation::start(
        &mut OsRng,
        &app.dummy_setup,
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
            .saturating_add(app.limits.activation_ttl_secs.saturating_mul(1000)),
        server_time_ms: app.now_ms(),
    })
}

fn open_password_file(app: &App, token: &TokenRow) -> Result<PasswordFile, ApiError> {
    let version = u32::try_from(token.password_file_kek_version).map_err(|_| ApiError::Internal)?;
    let context = token_context(&token.service_id, &token.user_id);
    let bytes = app.keys.open(
        Purpose::PasswordFile,
        &context,
        version,
        &token.password_file,
    )?;
    PasswordFile::from_bytes(&bytes).map_err(|_| ApiError::Internal)
}

/// `POST /v1/activations/{id}/finish`.
pub async fn finish(
    app: &App,
    activation_id: &str,
    request: ActivationFinishRequest,
    actor: &str,
) -> Result<ActivationFinishResponse, ApiError> {
    let now = app.now_ms();
    let mut tx = app.db.writer.begin().await?;
    let Some(activation) = store::take_activation(&mut tx, activation_id).await? else {
        return Err(ApiError::NotFound("activation"));
    };
    if now >= to_u64(activation.expires_at_ms) {
        tx.commit().await?;
        return Err(ApiError::NotFound("activation"));
    }
    let Some(service_id) = softtoken_protocol::ids::ServiceId::parse(&activation.service_id).ok()
    else {
        return Err(ApiError::Internal);
    };
    let Some(user_id) = softtoken_protocol::ids::UserId::parse(&activation.user_id).ok() else {
        return Err(ApiError::Internal);
    };
    let Some(service) = app.service(&service_id).await? else {
        return Err(ApiError::Internal);
    };
    let Some(token) = store::token(&mut tx, &service_id, &user_id).await? else {
        tx.commit().await?;
        return Err(ApiError::NotFound("activation"));
    };
    let (sid, uid) = (token.service_id.as_str(), token.user_id.as_str());
    let audit = |outcome: &'static str, detail: Option<&'static str>| AuditEvent {
        detail,
        ..AuditEvent::token(sid, uid, "activation_finish", outcome, actor)
    };
    let state = token.state_at(now);
    if let Some(err) = refusal(state) {
        store::audit(&mut tx, now, audit("refused", Some(state.as_str()))).await?;
        tx.commit().await?;
        return Err(err);
    }
    let attempts_left = u32::try_from(
        service
            .row
            .max_activation_attempts
            .saturating_sub(token.activation_attempts),
    )
    .unwrap_or(0);

    let params = token.params().ok_or(ApiError::Internal)?;
    let binding = Binding::new(service_id, user_id, params);
    let version = u32::try_from(activation.state_kek_version).map_err(|_| ApiError::Internal)?;
    let state_bytes = app.keys.open(
        Purpose::ActivationState,
        activation_id.as_bytes(),
        version,
        &activation.state,
    )?;
    let server =
        ServerActivation::from_bytes(&state_bytes, binding).map_err(|_| ApiError::Internal)?;
    let finished = match server.finish(
        request.ke3.as_slice(),
        request.client_confirmation.as_slice(),
    ) {
        Ok(finished) => finished,
        Err(err) => {
            tracing::info!(service_id = sid, user_id = uid, error = %err, "activation failed");
            store::audit(&mut tx, now, audit("failed", None)).await?;
            tx.commit().await?;
            return Err(ApiError::ActivationFailed { attempts_left });
        }
    };

    let context = token_context(sid, uid);
    let sealed = app
        .keys
        .seal(Purpose::Seed, &context, finished.seed.expose())?;
    let device_json = serde_json::to_string(&request.device).map_err(|_| ApiError::Internal)?;
    store::store_activated_seed(
        &mut tx,
        sid,
        uid,
        &sealed.blob,
        sealed.kek_version,
        &device_json,
        now,
    )
    .await?;
    store::audit(&mut tx, now, audit("ok", None)).await?;
    tx.commit().await?;

    Ok(ActivationFinishResponse {
        v: V1,
        state: TokenState::PendingConfirmation,
        server_confirmation: Bytes(finished.server_confirmation.to_vec()),
        server_time_ms: app.now_ms(),
    })
}
