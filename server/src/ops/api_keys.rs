//! Bank API keys: making one (shown once), revoking one, listing them (never their secrets).

use softtoken_protocol::ids::ServiceId;
use zeroize::Zeroizing;

use super::AdminError;
use crate::{
    secrets::api_key,
    storage::{
        Db,
        api_keys::{self, ApiKeyRow},
        audit::{self, AuditEvent},
        services,
    },
};

/// Creates a bank API key for a service and returns it. Only a hash is stored: this is the one
/// time the key can be seen.
pub async fn create(
    db: &Db,
    service_id: &ServiceId,
    label: Option<String>,
    now_ms: u64,
) -> Result<Zeroizing<String>, AdminError> {
    let mut conn = db.write().await?;
    if services::get(&mut conn, service_id).await?.is_none() {
        return Err(AdminError::NoService(*service_id));
    }
    let new = api_key::generate();
    api_keys::insert(
        &mut conn,
        &ApiKeyRow {
            key_id: new.key_id.clone(),
            service_id: *service_id,
            secret_sha256: new.secret_sha256,
            label,
            created_at_ms: now_ms,
            revoked_at_ms: None,
        },
    )
    .await?;
    audit::record(
        &mut conn,
        now_ms,
        AuditEvent::admin("key_create", Some(*service_id)).with_detail(&new.key_id),
    )
    .await?;
    Ok(new.key)
}

/// Revokes a bank API key by id.
pub async fn revoke(db: &Db, key_id: &str, now_ms: u64) -> Result<(), AdminError> {
    let mut conn = db.write().await?;
    if !api_keys::revoke(&mut conn, key_id, now_ms).await? {
        return Err(AdminError::NoKey(key_id.to_owned()));
    }
    audit::record(
        &mut conn,
        now_ms,
        AuditEvent::admin("key_revoke", None).with_detail(key_id),
    )
    .await?;
    Ok(())
}

/// All API keys (ids, services, labels, whether revoked; the stored hash is no secret).
pub async fn list(db: &Db) -> Result<Vec<ApiKeyRow>, AdminError> {
    let mut conn = db.read().await?;
    Ok(api_keys::all(&mut conn).await?)
}
