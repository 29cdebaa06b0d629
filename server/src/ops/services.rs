//! Services (banks): adding one with a fresh OPAQUE setup, listing them.

use rand_core::OsRng;
use softtoken_protocol::{activation::ProviderSetup, ids::ServiceId, totp::TokenParams};

pub use crate::storage::services::ServiceRules;

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
    /// Its rules: activation attempts and consecutive wrong codes before lockout (each
    /// 1..=100, default 5), how long an issued token may take to be set up (default 24 h) and
    /// the verification window in steps (0..=10, default 1).
    pub rules: ServiceRules,
}

impl ServiceSpec {
    /// A service with the default rules.
    pub fn new(service_id: ServiceId, name: impl Into<String>) -> Self {
        Self {
            service_id,
            name: name.into(),
            rules: ServiceRules {
                params: TokenParams::default(),
                max_activation_attempts: 5,
                max_failures: 5,
                token_ttl_secs: 24 * 60 * 60,
                verify_window: 1,
            },
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
    let rules = &spec.rules;
    if !(1..=100).contains(&rules.max_activation_attempts)
        || !(1..=100).contains(&rules.max_failures)
    {
        return Err(AdminError::Invalid(
            "attempt and failure limits must be 1..=100".into(),
        ));
    }
    if rules.verify_window > 10 || rules.token_ttl_secs == 0 {
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
            rules: spec.rules,
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
