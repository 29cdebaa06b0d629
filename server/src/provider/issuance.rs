//! Issuing a token (手順1 トークン発行): register the activation password with OPAQUE,
//! forget it, store the token, mail the IDs.

use rand_core::{OsRng, RngCore};
use softtoken_protocol::{
    activation::{Binding, prepare_password, register},
    ids::{ServiceId, UserId},
    wire::{IssueTokenRequest, IssueTokenResponse, TokenState},
};

use crate::{
    app::{App, ServiceCtx, token_context},
    error::ApiError,
    kek::Purpose,
    mail::TokenMail,
    store::{self, AuditEvent, TokenRow, to_i64},
};

/// Shortest activation password the provider accepts, in characters.
pub const MIN_PASSWORD_CHARS: usize = 4;

/// Issues a token for `request` in `service`.
pub async fn issue(
    app: &App,
    service: &ServiceCtx,
    request: IssueTokenRequest,
    actor: &str,
) -> Result<IssueTokenResponse, ApiError> {
    let email = request.email.trim().to_owned();
    if !plausible_email(&email) {
        return Err(ApiError::BadRequest("email is not a mail address".into()));
    }
    if request.activation_password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::BadRequest(format!(
            "activation_password must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let password = prepare_password(&request.activation_password)
        .map_err(|e| ApiError::BadRequest(format!("activation_password: {e}")))?;
    let service_id = ServiceId::parse(&service.row.service_id).map_err(|_| ApiError::Internal)?;
    let customer_ref = request
        .customer_ref
        .clone()
        .unwrap_or_else(|| email.clone());
    let user_id = fresh_user_id(app, &service_id).await?;
    let binding = Binding::new(service_id, user_id, service.params);

    // Argon2id takes ~0.1 s of CPU: keep it off the async workers, a core at a time.
    let _permit = app
        .argon2_permits
        .acquire()
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let setup_bytes = service.setup.to_bytes();
    let password_file = tokio::task::spawn_blocking(move || {
        let setup = softtoken_protocol::activation::ProviderSetup::from_bytes(&setup_bytes)?;
        register(&mut OsRng, &setup, &binding, &password)
    })
    .await
    .map_err(|_| ApiError::Internal)?
    .map_err(|e| {
        tracing::error!(error = %e, "OPAQUE registration failed");
        ApiError::Internal
    })?;

    let context = token_context(service_id.as_str(), user_id.as_str());
    let sealed = app
        .keys
        .seal(Purpose::PasswordFile, &context, password_file.as_bytes())?;
    let now = app.now_ms();
    let ttl_ms = u64::try_from(service.row.token_ttl_secs)
        .unwrap_or(0)
        .saturating_mul(1000);
    let expires_at_ms = now.saturating_add(ttl_ms);
    let row = TokenRow {
        service_id: service_id.as_str().to_owned(),
        user_id: user_id.as_str().to_owned(),
        customer_ref: customer_ref.clone(),
        email: email.clone(),
        label: request.label.clone(),
        state: TokenState::Issued.as_str().to_owned(),
        algorithm: service.params.algorithm().as_str().to_owned(),
        digits: i64::from(service.params.digits()),
        period: i64::from(service.params.period()),
        password_file: sealed.blob,
        password_file_kek_version: i64::from(sealed.kek_version),
        seed: None,
        seed_kek_version: None,
        seed_generation: 0,
        activation_attempts: 0,
        failures: 0,
        last_step: None,
        issued_at_ms: to_i64(now),
        expires_at_ms: to_i64(expires_at_ms),
        activated_at_ms: None,
        confirmed_at_ms: None,
        revoked_at_ms: None,
        last_used_at_ms: None,
        device_json: None,
    };

    let mut tx = app.db.writer.begin().await?;
    // Re-issuing for the same customer replaces an unfinished token (the manual's 「戻る」).
    for old in store::unfinished_tokens_of_customer(&mut tx, &service_id, &customer_ref).await? {
        store::set_state(&mut tx, service_id.as_str(), &old, TokenState::Revoked, now).await?;
        store::delete_activations_of(&mut tx, service_id.as_str(), &old).await?;
        store::audit(
            &mut tx,
            now,
            AuditEvent::token(service_id.as_str(), &old, "revoke", "ok", actor)
                .with_detail("replaced by re-issue"),
        )
        .await?;
    }
    store::insert_token(&mut tx, &row).await?;
    store::audit(
        &mut tx,
        now,
        AuditEvent::token(service_id.as_str(), user_id.as_str(), "issue", "ok", actor),
    )
    .await?;
    tx.commit().await?;

    let mail = TokenMail {
        to: &email,
        service_id: &service_id,
        user_id: &user_id,
        expires_at_ms,
        label: request.label.as_deref(),
    };
    // The token exists and the bank shows the IDs on screen (手順2) even if the mail fails;
    // the failure is logged and audited for the operator.
    if let Err(err) = app.mailer.send_token_mail(&mail).await {
        tracing::warn!(service_id = %service_id, user_id = %user_id, error = %err, "issuance mail failed");
        let mut conn = app.db.writer.acquire().await?;
        store::audit(
            &mut conn,
            now,
            AuditEvent::token(
                service_id.as_str(),
                user_id.as_str(),
                "mail",
                "failed",
                actor,
            ),
        )
        .await?;
    }

    Ok(IssueTokenResponse {
        service_id,
        user_id,
        token: service.params,
        expires_at_ms,
        server_time_ms: app.now_ms(),
    })
}

/// A cheap plausibility check; the mailer validates the address for real.
fn plausible_email(email: &str) -> bool {
    let mut parts = email.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(local), Some(domain), None)
        if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
            && !email.chars().any(char::is_whitespace))
}

/// A random User ID not yet used in the service.
async fn fresh_user_id(app: &App, service_id: &ServiceId) -> Result<UserId, ApiError> {
    let mut conn = app.db.reader.acquire().await?;
    // 10^14 bodies: a collision is astronomically rare, but cheap to rule out.
    for _ in 0..16 {
        let user_id = UserId::from_body_digits(random_digits());
        if !store::user_id_exists(&mut conn, service_id, &user_id).await? {
            return Ok(user_id);
        }
    }
    Err(ApiError::Internal)
}

/// Fourteen uniformly random decimal digits, the body of a new User ID.
pub(crate) fn random_digits() -> [u8; UserId::BODY_LEN] {
    let mut digits = [0u8; UserId::BODY_LEN];
    let mut filled = 0;
    let mut buf = [0u8; 32];
    while filled < digits.len() {
        OsRng.fill_bytes(&mut buf);
        // Rejection sampling: bytes >= 250 would bias the digits toward 0..=5.
        for byte in buf.iter().filter(|b| **b < 250) {
            if let Some(slot) = digits.get_mut(filled) {
                *slot = byte % 10;
                filled += 1;
            }
        }
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_plausibility() {
        assert!(plausible_email("hanako@example.jp"));
        assert!(!plausible_email("hanako.example.jp"));
        assert!(!plausible_email("a@b@example.jp"));
        assert!(!plausible_email("@example.jp"));
        assert!(!plausible_email("hanako@localhost"));
        assert!(!plausible_email("hana ko@example.jp"));
    }

    #[test]
    fn random_user_ids_are_valid() {
        for _ in 0..100 {
            let id = UserId::from_body_digits(random_digits());
            assert!(UserId::parse(id.as_str()).is_ok());
        }
    }
}
