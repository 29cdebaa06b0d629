//! Transaction authentication's endpoints (`docs/protocol.md` §9.5, §9.6): the phone's list and
//! decision (no API key; per-IP limited like the other device endpoints) and the bank's five
//! calls (a [`BankKey`] scoped to the service in the path). Handlers only translate between the
//! wire messages and [`rules::transactions`].

use std::sync::Arc;

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{StatusCode, Uri, request::Parts},
    response::Response,
};
use softtoken_protocol::{
    transaction::{Amount, OfflineChallenge, Payee, Reference, TransactionId},
    wire::{
        Bytes, MAX_BANK_REQUEST_BYTES, MAX_DEVICE_REQUEST_BYTES, V1, VerifyRequest,
        transactions as wire,
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
    rules::transactions::{
        device::{DecisionRequest, ListRequest},
        offline, outcome,
        register::{self, Registration},
        typed_code,
    },
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
fn details(row: &TransactionRow, now: u64) -> wire::TransactionDetails {
    let txn = &row.transaction;
    wire::TransactionDetails {
        id: txn.id,
        service_id: txn.service_id,
        user_id: txn.user_id,
        state: row.state_at(now),
        payee: wire::WirePayee::from(&txn.payee),
        amount: wire::WireAmount::from(txn.amount),
        reference: txn.reference.as_ref().map(|r| r.as_str().to_owned()),
        created_at_ms: row.created_at_ms,
        expires_at_ms: txn.expires_at_ms,
        decided_at_ms: row.decided_at(now),
        attempts_left: typed_code_attempts_left(row),
        server_time_ms: now,
    }
}

fn typed_code_attempts_left(row: &TransactionRow) -> u32 {
    crate::rules::transactions::MAX_CODE_FAILURES.saturating_sub(row.failures)
}

/// `POST /v1/tokens/transactions`.
pub(super) async fn pending(
    State(state): State<Arc<ServerState>>,
    request: Request,
) -> Result<Response, ApiError> {
    let request: wire::TransactionListRequest =
        read_json(request, MAX_DEVICE_REQUEST_BYTES).await?;
    let list = rules_device_pending(&state, &request).await?;
    Ok(ok(StatusCode::OK, &list))
}

async fn rules_device_pending(
    state: &ServerState,
    request: &wire::TransactionListRequest,
) -> Result<wire::TransactionListResponse, ApiError> {
    let list = crate::rules::transactions::device::pending(
        state,
        ListRequest {
            service_id: request.service_id,
            user_id: request.user_id,
            nonce: request.nonce.as_slice(),
            time_ms: request.time_ms,
            proof: request.proof.as_slice(),
        },
    )
    .await?;
    Ok(wire::TransactionListResponse {
        v: V1,
        state: list.token_state,
        server_time_ms: list.server_time_ms,
        mac: Bytes(list.mac.to_vec()),
        transactions: list
            .transactions
            .iter()
            .map(wire::PendingTransaction::from)
            .collect(),
    })
}

/// `POST /v1/transactions/decision`.
pub(super) async fn decision(
    State(state): State<Arc<ServerState>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    request: Request,
) -> Result<Response, ApiError> {
    let request: wire::DecisionRequest = read_json(request, MAX_DEVICE_REQUEST_BYTES).await?;
    let taken = crate::rules::transactions::device::decide(
        &state,
        DecisionRequest {
            service_id: request.service_id,
            user_id: request.user_id,
            transaction_id: request.transaction_id,
            decision: request.decision,
            mac: request.mac.as_slice(),
        },
        &actor(peer),
    )
    .await?;
    let reply = wire::DecisionResponse {
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
    let request: wire::RegisterTransactionRequest =
        read_json(request, MAX_BANK_REQUEST_BYTES).await?;
    let registration = Registration {
        payee: Payee::try_from(&request.payee)?,
        amount: Amount::new(request.amount.value, &request.amount.currency)?,
        reference: Reference::parse_optional(request.reference.as_deref())?,
        lifetime_s: request.lifetime_s,
    };
    let row =
        register::register(&state, &bank.service, &user_id, registration, &bank.actor).await?;
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
    let request: VerifyRequest = read_json(request, MAX_BANK_REQUEST_BYTES).await?;
    let checked = typed_code::verify(&state, &bank.service, &id, &request.otp, &bank.actor).await?;
    let reply = wire::TransactionVerifyResponse {
        result: wire::TransactionVerifyResult::parse(checked.result.as_str())?,
        state: checked.state,
        attempts_left: checked.attempts_left,
        failures_left: checked.failures_left,
        server_time_ms: state.now_ms(),
    };
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
    let request: wire::ChallengeVerifyRequest = read_json(request, MAX_BANK_REQUEST_BYTES).await?;
    let amount = request.amount.map(|yen| yen.to_string());
    let challenge = OfflineChallenge::parse(&request.account_number, amount.as_deref())?;
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
