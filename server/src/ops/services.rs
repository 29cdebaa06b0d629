//! Services (banks): adding one with a fresh OPAQUE setup, listing them.

use rand_core::OsRng;
use softtoken_protocol::{activation::ProviderSetup, ids::ServiceId, totp::TokenParams};

use super::AdminError;
use crate::{
    secrets::kek::{KeyRing, Purpose},
    storage::{
        Db,
        audit::{self, AuditEvent},
        services::{self, ServiceRow},
    },
};

/// What a new service is configured with.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// Service ID (8 digits).
    pub service_id: ServiceId,
    /// Display name (the bank).
    pub name: String,
    /// Parameters of its tokens.
    pub params: TokenParams,
    /// Activation attempts before lockout (1..=100, default 5).
    pub max_activation_attempts: u32,
    /// Consecutive wrong codes before lockout (1..=100, default 5).
    pub max_failures: u32,
    /// How long an issued token may take to be set up, seconds (default 24 h).
    pub token_ttl_secs: u64,
    /// Verification window in steps (0..=10, default 1).
    pub verify_window: u32,
}

impl ServiceSpec {
    /// A service with the default rules.
    pub fn new(service_id: ServiceId, name: impl Into<String>) -> Self {
        Self {
            service_id,
            name: name.into(),
            params: TokenParams::default(),
            max_activation_attempts: 5,
            max_failures: 5,
            token_ttl_secs: 24 * 60 * 60,
            verify_window: 1,
        }
    }
}

/// Creates a service with a fresh OPAQUE setup sealed under the current KEK.
pub async fn create(
    db: &Db,
    keys: &KeyRing,
    spec: &ServiceSpec,
    now_ms: u64,
) -> Result<(), AdminError> {
    if !(1..=100).contains(&spec.max_activation_attempts) || !(1..=100).contains(&spec.max_failures)
    {
        return Err(AdminError::Invalid(
            "attempt and failure limits must be 1..=100".into(),
        ));
    }
    if spec.verify_window > 10 || spec.token_ttl_secs == 0 {
        return Err(AdminError::Invalid(
            "verify window must be 0..=10 and the TTL positive".into(),
        ));
    }
    let mut conn = db.write().await?;
    if services::get(&mut conn, &spec.service_id).await?.is_some() {
        return Err(AdminError::ServiceExists(spec.service_id));
    }
    let setup = ProviderSetup::generate(&mut OsRng);
    let sealed = keys.seal(
        Purpose::ProviderSetup,
        spec.service_id.as_bytes(),
        &setup.to_bytes(),
    )?;
    services::insert(
        &mut conn,
        &ServiceRow {
            service_id: spec.service_id,
            name: spec.name.clone(),
            params: spec.params,
            max_activation_attempts: spec.max_activation_attempts,
            max_failures: spec.max_failures,
            token_ttl_secs: spec.token_ttl_secs,
            verify_window: spec.verify_window,
            opaque_setup: sealed,
            created_at_ms: now_ms,
        },
    )
    .await?;
    audit::record(
        &mut conn,
        now_ms,
        AuditEvent::admin("service_add", Some(spec.service_id)),
    )
    .await?;
    Ok(())
}

/// Whether a service exists.
pub async fn exists(db: &Db, service_id: &ServiceId) -> Result<bool, AdminError> {
    let mut conn = db.read().await?;
    Ok(services::get(&mut conn, service_id).await?.is_some())
}

/// All services, by Service ID.
pub async fn list(db: &Db) -> Result<Vec<ServiceRow>, AdminError> {
    let mut conn = db.read().await?;
    Ok(services::all(&mut conn).await?)
}
