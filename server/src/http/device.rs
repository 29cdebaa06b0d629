//! Device endpoints: activation and status (no API key).

use std::{net::SocketAddr, sync::Arc};

use axum::{
    extract::{ConnectInfo, Path, Request, State},
    http::StatusCode,
    response::Response,
};
use softtoken_protocol::wire::{
    ActivationFinishRequest, ActivationStartRequest, MAX_DEVICE_REQUEST_BYTES, StatusRequest,
};

use super::{ok, read_json};
use crate::{error::ApiError, rules, state::ServerState};

pub(super) fn actor(peer: SocketAddr) -> String {
    format!("device:{}", peer.ip())
}

pub(super) async fn start(
    State(state): State<Arc<ServerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Result<Response, ApiError> {
    let request: ActivationStartRequest = read_json(request, MAX_DEVICE_REQUEST_BYTES).await?;
    let reply = rules::activation::start(&state, request, &actor(peer)).await?;
    Ok(ok(StatusCode::OK, &reply))
}

pub(super) async fn finish(
    State(state): State<Arc<ServerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(activation_id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    if activation_id.len() > 64 {
        return Err(ApiError::NotFound("activation"));
    }
    let request: ActivationFinishRequest = read_json(request, MAX_DEVICE_REQUEST_BYTES).await?;
    let reply = rules::activation::finish(&state, &activation_id, request, &actor(peer)).await?;
    Ok(ok(StatusCode::OK, &reply))
}

pub(super) async fn status(
    State(state): State<Arc<ServerState>>,
    request: Request,
) -> Result<Response, ApiError> {
    let request: StatusRequest = read_json(request, MAX_DEVICE_REQUEST_BYTES).await?;
    let reply = rules::status::status(&state, request).await?;
    Ok(ok(StatusCode::OK, &reply))
}
