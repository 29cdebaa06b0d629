//! `POST /v1/tokens/status`: the app proves it holds the seed and learns the token's state and
//! the provider's clock.

use softtoken_protocol::{
    secret::Seed,
    status::StatusKey,
    wire::{Bytes, StatusRequest, StatusResponse, V1},
};

use crate::{app::App, error::ApiError, store};

/// Answers a status request, or `status_denied` for an unknown token, a token without a seed,
/// or a wrong proof (indistinguishably).
pub async fn status(app: &App, request: StatusRequest) -> Result<StatusResponse, ApiError> {
    let mut conn = app.db.reader.acquire().await?;
    let token = store::token(&mut conn, &request.service_id, &request.user_id).await?;
    drop(conn);
    let Some(token) = token else {
        return Err(ApiError::StatusDenied);
    };
    let Some(seed) = app.open_seed(&token)? else {
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
    let now = app.now_ms();
    let state = token.state_at(now);
    Ok(StatusResponse {
        v: V1,
        state,
        server_time_ms: now,
        mac: Bytes(
            key.response_mac(request.nonce.as_slice(), state, now)
                .to_vec(),
        ),
    })
}
