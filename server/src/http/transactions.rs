//! Transaction authentication's endpoints (`docs/protocol.md` §9.5, §9.6): the phone's list and
//! decision (no API key; per-IP limited like the other device endpoints) and the bank's five
//! calls (a [`BankKey`] scoped to the service in the path). Handlers only translate between the
//! wire messages and [`crate::rules::transactions`].

use std::sync::Arc;

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{StatusCode, Uri, request::Parts},
    response::Response,
};
use softtoken_protocol::{
    transaction::TransactionId,
    wire::{
        Bytes, ChallengeVerifyRequest, DecisionRequest, DecisionResponse, MAX_BANK_REQUEST_BYTES,
        MAX_DEVICE_REQUEST_BYTES, RegisterTransactionRequest, TransactionDetails,
        TransactionListRequest, TransactionVerifyRequest, V1,
    },
};

use super::{
    bank::{TokenUser, path_param},
    device::actor,
    ok, read_json,
};
use crate::{
    auth::BankKey,
    error::ApiError,
    rules::transactions::{device, offline, outcome, register, typed_code},
    state::ServerState,
    storage::transactions::TransactionRow,
};

/// The `{transaction_id}` of a path; a malformed one is a bad request (a typo of the bank's).
pub(super) struct TransactionPath(TransactionId);

impl<S: Send + Sync> FromRequestParts<S> for TransactionPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = path_param(parts, state, "transaction_id").await?;
        TransactionId::parse(&raw)
            .map(TransactionPath)
            .map_err(ApiError::from)
    }
}

/// What the bank sees of a transaction (9.6).
fn details(row: &TransactionRow, now: u64) -> TransactionDetails {
    TransactionDetails::new(&row.transaction, row.record_at(now), now)
}

/// `POST /v1/tokens/transactions`.
pub(super) async fn pending(
    State(state): State<Arc<ServerState>>,
    request: Request,
) -> Result<Response, ApiError> {
    let request: TransactionListRequest = read_json(request, MAX_DEVICE_REQUEST_BYTES).await?;
    let list = device::pending(
        &state,
        device::ListRequest {
            service_id: request.service_id,
            user_id: request.user_id,
            nonce: request.nonce.as_slice(),
            time_ms: request.time_ms,
            proof: request.proof.as_slice(),
        },
    )
    .await?;
    Ok(ok(StatusCode::OK, &list))
}

/// `POST /v1/transactions/decision`.
pub(super) async fn decision(
    State(state): State<Arc<ServerState>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    request: Request,
) -> Result<Response, ApiError> {
    let request: DecisionRequest = read_json(request, MAX_DEVICE_REQUEST_BYTES).await?;
    let taken = device::decide(
        &state,
        device::DecisionRequest {
            service_id: request.service_id,
            user_id: request.user_id,
            transaction_id: request.transaction_id,
            decision: request.decision,
            mac: request.mac.as_slice(),
        },
        &actor(peer),
    )
    .await?;
    let reply = DecisionResponse {
        v: V1,
        transaction_id: taken.transaction_id,
        state: taken.state,
        server_time_ms: taken.server_time_ms,
        mac: Bytes(taken.mac.to_vec()),
    };
    Ok(ok(StatusCode::OK, &reply))
}

/// `POST /v1/services/{service_id}/tokens/{user_id}/transactions`.
pub(super) async fn register(
    State(state): State<Arc<ServerState>>,
    bank: BankKey,
    TokenUser(user_id): TokenUser,
    request: Request,
) -> Result<Response, ApiError> {
    let request: RegisterTransactionRequest = read_json(request, MAX_BANK_REQUEST_BYTES).await?;
    let row = register::register(&state, &bank.service, &user_id, request, &bank.actor).await?;
    Ok(ok(StatusCode::CREATED, &details(&row, row.created_at_ms)))
}

/// `wait_s` of a read's query (`?wait_s=N`, 0 when absent; other parameters are ignored).
fn wait_s(uri: &Uri) -> Result<u64, ApiError> {
    let Some(value) = uri
        .query()
        .into_iter()
        .flat_map(|query| query.split('&'))
        .find_map(|pair| pair.strip_prefix("wait_s="))
    else {
        return Ok(0);
    };
    value
        .parse()
        .map_err(|_| ApiError::BadRequest("wait_s must be a whole number of seconds".into()))
}

/// `GET /v1/services/{service_id}/transactions/{transaction_id}[?wait_s=N]`.
pub(super) async fn read(
    State(state): State<Arc<ServerState>>,
    bank: BankKey,
    TransactionPath(id): TransactionPath,
    uri: Uri,
) -> Result<Response, ApiError> {
    let row = outcome::read(&state, &bank.service, &id, wait_s(&uri)?).await?;
    Ok(ok(StatusCode::OK, &details(&row, state.now_ms())))
}

/// `POST /v1/services/{service_id}/transactions/{transaction_id}/verify`.
pub(super) async fn verify_code(
    State(state): State<Arc<ServerState>>,
    bank: BankKey,
    TransactionPath(id): TransactionPath,
    request: Request,
) -> Result<Response, ApiError> {
    let request: TransactionVerifyRequest = read_json(request, MAX_BANK_REQUEST_BYTES).await?;
    let reply = typed_code::verify(&state, &bank.service, &id, &request.otp, &bank.actor).await?;
    Ok(ok(StatusCode::OK, &reply))
}

/// `POST /v1/services/{service_id}/transactions/{transaction_id}/cancel`.
pub(super) async fn cancel(
    State(state): State<Arc<ServerState>>,
    bank: BankKey,
    TransactionPath(id): TransactionPath,
) -> Result<Response, ApiError> {
    let row = outcome::cancel(&state, &bank.service, &id, &bank.actor).await?;
    Ok(ok(StatusCode::OK, &details(&row, state.now_ms())))
}

/// `POST /v1/services/{service_id}/tokens/{user_id}/challenge/verify`.
pub(super) async fn verify_challenge(
    State(state): State<Arc<ServerState>>,
    bank: BankKey,
    TokenUser(user_id): TokenUser,
    request: Request,
) -> Result<Response, ApiError> {
    let request: ChallengeVerifyRequest = read_json(request, MAX_BANK_REQUEST_BYTES).await?;
    let challenge = request.challenge()?;
    let reply = offline::verify(
        &state,
        &bank.service,
        &user_id,
        &challenge,
        &request.otp,
        &bank.actor,
    )
    .await?;
    Ok(ok(StatusCode::OK, &reply))
}
