//! `POST /v1/tokens/status`: the app proves it holds the seed and learns the token's state and
//! the provider's clock.

use softtoken_protocol::{
    secret::Seed,
    status::StatusKey,
    wire::{Bytes, StatusRequest, StatusResponse, TokenState, V1},
};

use crate::{error::ApiError, state::ServerState, storage::tokens};

/// Answers a status request, or `status_denied` for an unknown token, a token without a seed,
/// or a wrong proof (indistinguishably).
pub async fn status(
    state: &ServerState,
    request: StatusRequest,
) -> Result<StatusResponse, ApiError> {
    let mut conn = state.db.read().await?;
    let token = tokens::get(&mut conn, &request.service_id, &request.user_id).await?;
    drop(conn);
    let Some(token) = token else {
        return Err(ApiError::StatusDenied);
    };
    let Some(seed) = state.open_seed(&token)? else {
        return Err(ApiError::StatusDenied);
    };
    let key = StatusKey::derive(
        &Seed::from_slice(&seed),
        &request.service_id,
        &request.user_id,
    );
    if !key.verify_request(
        request.nonce.as_slice(),
        request.time_ms,
        request.proof.as_slice(),
    ) {
        return Err(ApiError::StatusDenied);
    }
    let now = state.now_ms();
    let token_state = token.state_at(now);
    let replaced_at_ms = match token_state {
        TokenState::Replaced => Some(token.replaced_at_ms.unwrap_or(now)),
        _ => None,
    };
    Ok(StatusResponse {
        v: V1,
        state: token_state,
        server_time_ms: now,
        replaced_at_ms,
        mac: Bytes(
            key.response_mac(request.nonce.as_slice(), token_state, now, replaced_at_ms)
                .to_vec(),
        ),
    })
}
