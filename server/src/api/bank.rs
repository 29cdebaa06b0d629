//! Bank endpoints (bearer API key scoped to the service in the path).

use std::sync::Arc;

use axum::{
    extract::{Path, Request, State},
    http::{HeaderMap, StatusCode, header},
    response::Response,
};
use softtoken_protocol::{
    ids::{ServiceId, UserId},
    wire::{IssueTokenRequest, MAX_BANK_REQUEST_BYTES, VerifyRequest},
};

use super::{ok, read_json};
use crate::{
    app::{App, ServiceCtx},
    error::ApiError,
    provider::{self, admin},
};

/// Authenticates the bank for the service in the path and returns `(service, audit actor)`.
/// A malformed or unknown service answers `unauthorized`, like a wrong key, so keys cannot
/// probe for services.
async fn authorize(
    app: &App,
    headers: &HeaderMap,
    service_id: &str,
) -> Result<(Arc<ServiceCtx>, String), ApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized)?;
    let service_id = ServiceId::parse(service_id).map_err(|_| ApiError::Unauthorized)?;
    let key_id =
        admin::authenticate(&app.db, &app.bank_keys, presented.trim(), &service_id).await?;
    let service = app
        .service(&service_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok((service, format!("bank:{key_id}")))
}

fn user_id(raw: &str) -> Result<UserId, ApiError> {
    UserId::parse(raw).map_err(|e| ApiError::BadRequest(e.to_string()))
}

pub(super) async fn issue(
    State(app): State<Arc<App>>,
    Path(service_id): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    let (service, actor) = authorize(&app, &headers, &service_id).await?;
    let request: IssueTokenRequest = read_json(request, MAX_BANK_REQUEST_BYTES).await?;
    let reply = provider::issuance::issue(&app, &service, request, &actor).await?;
    Ok(ok(StatusCode::CREATED, &reply))
}

pub(super) async fn verify(
    State(app): State<Arc<App>>,
    Path((service_id, user)): Path<(String, String)>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    let (service, actor) = authorize(&app, &headers, &service_id).await?;
    let user_id = user_id(&user)?;
    let request: VerifyRequest = read_json(request, MAX_BANK_REQUEST_BYTES).await?;
    let reply =
        provider::verification::verify(&app, &service, &user_id, &request.otp, &actor).await?;
    Ok(ok(StatusCode::OK, &reply))
}

/// What the bank asks of one token without a body.
enum TokenAction {
    Details,
    Revoke,
    Unlock,
}

async fn token_action(
    app: &App,
    headers: &HeaderMap,
    service_id: &str,
    user: &str,
    action: TokenAction,
) -> Result<Response, ApiError> {
    let (service, actor) = authorize(app, headers, service_id).await?;
    let service_id = ServiceId::parse(&service.row.service_id).map_err(|_| ApiError::Internal)?;
    let user_id = user_id(user)?;
    let reply = match action {
        TokenAction::Details => provider::lifecycle::get(app, &service_id, &user_id).await?,
        TokenAction::Revoke => {
            provider::lifecycle::revoke(app, &service_id, &user_id, &actor).await?
        }
        TokenAction::Unlock => {
            provider::lifecycle::unlock(app, &service_id, &user_id, &actor).await?
        }
    };
    Ok(ok(StatusCode::OK, &reply))
}

pub(super) async fn details(
    State(app): State<Arc<App>>,
    Path((service_id, user)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    token_action(&app, &headers, &service_id, &user, TokenAction::Details).await
}

pub(super) async fn revoke(
    State(app): State<Arc<App>>,
    Path((service_id, user)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    token_action(&app, &headers, &service_id, &user, TokenAction::Revoke).await
}

pub(super) async fn unlock(
    State(app): State<Arc<App>>,
    Path((service_id, user)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    token_action(&app, &headers, &service_id, &user, TokenAction::Unlock).await
}
