//! Bank endpoints: each takes a [`BankKey`], the bearer API key checked against the service in
//! the path before anything else is read.

use std::sync::Arc;

use axum::{
    extract::{FromRequestParts, RawPathParams, Request, State},
    http::{StatusCode, request::Parts},
    response::Response,
};
use softtoken_protocol::{
    ids::UserId,
    wire::{IssueTokenRequest, MAX_BANK_REQUEST_BYTES, VerifyRequest},
};

use super::{ok, read_json};
use crate::{auth::BankKey, error::ApiError, rules, state::ServerState};

/// The `{user_id}` of a token's path; a malformed one is a bad request (a typo of the bank's).
pub(super) struct TokenUser(pub(super) UserId);

impl<S: Send + Sync> FromRequestParts<S> for TokenUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = path_param(parts, state, "user_id").await?;
        UserId::parse(&raw)
            .map(TokenUser)
            .map_err(|e| ApiError::BadRequest(e.to_string()))
    }
}

/// The raw value of the path parameter `name` (a route without it: `404`).
pub(super) async fn path_param<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    name: &str,
) -> Result<String, ApiError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?;
    params
        .iter()
        .find_map(|(param, value)| (param == name).then(|| value.to_owned()))
        .ok_or(ApiError::NotFound("route"))
}

pub(super) async fn issue(
    State(state): State<Arc<ServerState>>,
    bank: BankKey,
    request: Request,
) -> Result<Response, ApiError> {
    let request: IssueTokenRequest = read_json(request, MAX_BANK_REQUEST_BYTES).await?;
    let reply = rules::issuance::issue(&state, &bank.service, request, &bank.actor).await?;
    Ok(ok(StatusCode::CREATED, &reply))
}

pub(super) async fn verify(
    State(state): State<Arc<ServerState>>,
    bank: BankKey,
    TokenUser(user_id): TokenUser,
    request: Request,
) -> Result<Response, ApiError> {
    let request: VerifyRequest = read_json(request, MAX_BANK_REQUEST_BYTES).await?;
    let reply =
        rules::verification::verify(&state, &bank.service, &user_id, &request.otp, &bank.actor)
            .await?;
    Ok(ok(StatusCode::OK, &reply))
}

pub(super) async fn details(
    State(state): State<Arc<ServerState>>,
    bank: BankKey,
    TokenUser(user_id): TokenUser,
) -> Result<Response, ApiError> {
    let reply = rules::lifecycle::details(&state, &bank.service, &user_id).await?;
    Ok(ok(StatusCode::OK, &reply))
}

pub(super) async fn revoke(
    State(state): State<Arc<ServerState>>,
    bank: BankKey,
    TokenUser(user_id): TokenUser,
) -> Result<Response, ApiError> {
    let reply = rules::lifecycle::revoke(&state, &bank.service, &user_id, &bank.actor).await?;
    Ok(ok(StatusCode::OK, &reply))
}

pub(super) async fn unlock(
    State(state): State<Arc<ServerState>>,
    bank: BankKey,
    TokenUser(user_id): TokenUser,
) -> Result<Response, ApiError> {
    let reply = rules::lifecycle::unlock(&state, &bank.service, &user_id, &bank.actor).await?;
    Ok(ok(StatusCode::OK, &reply))
}
