//! Issuing a token (手順1 トークン発行): register the activation password with OPAQUE,
//! forget it, store the token, mail the IDs.

use rand_core::OsRng;
use softtoken_protocol::{
    activation::{Binding, prepare_password, register},
    ids::{ServiceId, UserId},
    wire::{IssueTokenRequest, IssueTokenResponse, TokenState},
};

use crate::{
    error::ApiError,
    ids::random_user_id,
    mail::{self, TokenMail},
    secrets::{kek::Purpose, token_context},
    state::{ServerState, ServiceCtx},
    storage::{
        activations,
        audit::{self, AuditEvent},
        retry,
        tokens::{self, TokenRow},
    },
};

/// Shortest activation password the provider accepts, in characters.
pub const MIN_PASSWORD_CHARS: usize = 4;

/// Issues a token for `request` in `service`.
pub async fn issue(
    state: &ServerState,
    service: &ServiceCtx,
    request: IssueTokenRequest,
    actor: &str,
) -> Result<IssueTokenResponse, ApiError> {
    let email = request.email.trim().to_owned();
    // Checked once, with the mailer's own parser, before anything is stored: an address the
    // mailer would refuse is a 400 here, not a token whose mail never goes out.
    if mail::validate_address(&email).is_err() {
        return Err(ApiError::BadRequest(
            "email is not a mail address (a bare address, local@domain)".into(),
        ));
    }
    if request.activation_password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::BadRequest(format!(
            "activation_password must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let password = prepare_password(&request.activation_password)
        .map_err(|e| ApiError::BadRequest(format!("activation_password: {e}")))?;
    // Free text the bank chooses, stored as given: control characters are refused (a NUL is
    // not even storable in PostgreSQL's text, and no reference or label needs one), so both
    // backends answer the same 400.
    for (field, value) in [
        ("customer_ref", request.customer_ref.as_deref()),
        ("label", request.label.as_deref()),
    ] {
        if value.is_some_and(|text| text.chars().any(char::is_control)) {
            return Err(ApiError::BadRequest(format!(
                "{field} must not contain control characters"
            )));
        }
    }
    let service_id = service.row.service_id;
    let params = service.row.rules.params;
    let customer_ref = request
        .customer_ref
        .clone()
        .unwrap_or_else(|| email.clone());
    let user_id = fresh_user_id(state, &service_id).await?;
    let binding = Binding::new(service_id, user_id, params);

    // Argon2id takes ~0.1 s of CPU: keep it off the async workers, a core at a time.
    let _permit = state
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

    let context = token_context(&service_id, &user_id);
    let password_file =
        state
            .keys
            .seal(Purpose::PasswordFile, &context, password_file.as_bytes())?;
    let now = state.now_ms();
    let ttl_ms = service.row.rules.token_ttl_secs.saturating_mul(1000);
    let expires_at_ms = now.saturating_add(ttl_ms);
    let row = TokenRow {
        service_id,
        user_id,
        customer_ref: customer_ref.clone(),
        email: email.clone(),
        label: request.label.clone(),
        state: TokenState::Issued,
        params,
        password_file,
        seed: None,
        seed_generation: 0,
        activation_attempts: 0,
        failures: 0,
        last_step: None,
        issued_at_ms: now,
        expires_at_ms,
        activated_at_ms: None,
        confirmed_at_ms: None,
        revoked_at_ms: None,
        last_used_at_ms: None,
        device_json: None,
        replaced_at_ms: None,
        replaced_by: None,
    };

    // The transaction alone runs again if PostgreSQL aborted it in a conflict; the mail
    // below goes once, after the commit.
    retry::on_conflict(|| write_issued(state, &row, actor)).await?;

    let mail = TokenMail {
        to: &email,
        service_id: &service_id,
        user_id: &user_id,
        expires_at_ms,
        label: request.label.as_deref(),
    };
    // The token exists and the bank shows the IDs on screen (手順2) even if the mail fails;
    // the failure is logged and audited for the operator.
    if let Err(err) = state.mailer.send_token_mail(&mail).await {
        tracing::warn!(service_id = %service_id, user_id = %user_id, error = %err, "issuance mail failed");
        let mut conn = state.db.write().await?;
        audit::record(
            &mut conn,
            now,
            AuditEvent::token(service_id, user_id, "mail", "failed", actor),
        )
        .await?;
    }

    Ok(IssueTokenResponse {
        service_id,
        user_id,
        token: params,
        expires_at_ms,
        server_time_ms: state.now_ms(),
    })
}

/// A random User ID not yet used in the service.
async fn fresh_user_id(state: &ServerState, service_id: &ServiceId) -> Result<UserId, ApiError> {
    let mut conn = state.db.read().await?;
    // 10^14 bodies: a collision is astronomically rare, but cheap to rule out.
    for _ in 0..16 {
        let user_id = random_user_id();
        if !tokens::exists(&mut conn, service_id, &user_id).await? {
            return Ok(user_id);
        }
    }
    Err(ApiError::Internal)
}

/// Issuance's transaction: the customer's unfinished tokens revoked (a re-issue replaces
/// them), `row` inserted, both audited.
async fn write_issued(state: &ServerState, row: &TokenRow, actor: &str) -> Result<(), ApiError> {
    let (service_id, user_id, now) = (row.service_id, row.user_id, row.issued_at_ms);
    let customer_ref = &row.customer_ref;
    let mut tx = state.db.write().await?;
    tx.begin().await?;
    // Re-issuing for the same customer replaces an unfinished token (the manual's 「戻る」);
    // concurrent issuances for one customer take turns, so the last one replaces the others.
    tokens::lock_customer(&mut tx, &service_id, customer_ref).await?;
    for old in tokens::unfinished_of_customer(&mut tx, &service_id, customer_ref).await? {
        tokens::set_state(&mut tx, &service_id, &old, TokenState::Revoked, now).await?;
        activations::delete_of_token(&mut tx, &service_id, &old).await?;
        audit::record(
            &mut tx,
            now,
            AuditEvent::token(service_id, old, "revoke", "ok", actor)
                .with_detail("replaced by re-issue"),
        )
        .await?;
    }
    tokens::insert(&mut tx, row).await?;
    audit::record(
        &mut tx,
        now,
        AuditEvent::token(service_id, user_id, "issue", "ok", actor),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plausible_email(email: &str) -> bool {
        mail::validate_address(email).is_ok()
    }

    #[test]
    fn email_plausibility() {
        assert!(plausible_email("hanako@example.jp"));
        assert!(!plausible_email("hanako.example.jp"));
        assert!(!plausible_email("a@b@example.jp"));
        assert!(!plausible_email("@example.jp"));
        assert!(!plausible_email("hanako@localhost"));
        assert!(!plausible_email("hana ko@example.jp"));
        // What the mailer refused after the token was stored (issue 12, finding 8).
        assert!(!plausible_email("Hanako <hanako@example.jp>"));
        assert!(!plausible_email("Hanako<hanako@example.jp>"));
        assert!(!plausible_email("a;b@example.jp"));
        assert!(!plausible_email("a@example.jp;b@example.jp"));
        assert!(!plausible_email("a@example.jp, b@example.jp"));
    }
}
