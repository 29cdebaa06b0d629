//! Operator tasks behind the admin subcommands and `--dev` bootstrap: services, bank API keys,
//! the KEK check and KEK rotation. No SQL is ever needed by hand.

use rand_core::OsRng;
use ring::digest;
use softtoken_protocol::{activation::ProviderSetup, ids::ServiceId, totp::TokenParams};
use subtle::ConstantTimeEq;

use super::{key_cache::KeyCache, random_id};
use crate::{
    app::token_context,
    db::Db,
    error::{ApiError, StartupError},
    kek::{KeyRing, Purpose},
    store::{self, ApiKeyRow, AuditEvent, ServiceRow, to_i64},
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

/// Why an admin task failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Invalid input.
    #[error("{0}")]
    Invalid(String),
    /// The service exists already.
    #[error("service {0} already exists")]
    ServiceExists(String),
    /// No such service.
    #[error("no service {0}")]
    NoService(String),
    /// No such live API key.
    #[error("no live API key {0}")]
    NoKey(String),
    /// Database failure.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Key-encryption failure.
    #[error("key encryption: {0}")]
    Kek(#[from] crate::kek::KekError),
}

/// Creates a service with a fresh OPAQUE setup sealed under the current KEK.
pub async fn create_service(
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
    let mut conn = db.writer.acquire().await?;
    if store::service(&mut conn, &spec.service_id).await?.is_some() {
        return Err(AdminError::ServiceExists(spec.service_id.to_string()));
    }
    let setup = ProviderSetup::generate(&mut OsRng);
    let sealed = keys.seal(
        Purpose::ProviderSetup,
        spec.service_id.as_str().as_bytes(),
        &setup.to_bytes(),
    )?;
    store::insert_service(
        &mut conn,
        &ServiceRow {
            service_id: spec.service_id.as_str().to_owned(),
            name: spec.name.clone(),
            algorithm: spec.params.algorithm().as_str().to_owned(),
            digits: i64::from(spec.params.digits()),
            period: i64::from(spec.params.period()),
            max_activation_attempts: i64::from(spec.max_activation_attempts),
            max_failures: i64::from(spec.max_failures),
            token_ttl_secs: to_i64(spec.token_ttl_secs),
            verify_window: i64::from(spec.verify_window),
            opaque_setup: sealed.blob,
            opaque_setup_kek_version: i64::from(sealed.kek_version),
            created_at_ms: to_i64(now_ms),
        },
    )
    .await?;
    store::audit(
        &mut conn,
        now_ms,
        AuditEvent {
            service_id: Some(spec.service_id.as_str()),
            user_id: None,
            event: "service_add",
            outcome: "ok",
            actor: "admin",
            detail: None,
        },
    )
    .await?;
    Ok(())
}

/// Prefix of every bank API key.
const KEY_PREFIX: &str = "st_";

/// Creates a bank API key for a service and returns it. Only a hash is stored: this is the one
/// time the key can be seen.
pub async fn create_api_key(
    db: &Db,
    service_id: &ServiceId,
    label: Option<String>,
    now_ms: u64,
) -> Result<String, AdminError> {
    let mut conn = db.writer.acquire().await?;
    if store::service(&mut conn, service_id).await?.is_none() {
        return Err(AdminError::NoService(service_id.to_string()));
    }
    // 8 random bytes name the key, in hex: an id can never start with '-' (which a command line
    // would read as a flag) or contain the '.' separating it from the secret. 32 random bytes,
    // base64url, are the secret.
    let key_id = {
        let mut bytes = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut OsRng, &mut bytes);
        hex::encode(bytes)
    };
    let secret = zeroize::Zeroizing::new(random_id(32));
    store::insert_api_key(
        &mut conn,
        &ApiKeyRow {
            key_id: key_id.clone(),
            service_id: service_id.as_str().to_owned(),
            secret_sha256: digest::digest(&digest::SHA256, secret.as_bytes())
                .as_ref()
                .to_vec(),
            label,
            created_at_ms: to_i64(now_ms),
            revoked_at_ms: None,
        },
    )
    .await?;
    store::audit(
        &mut conn,
        now_ms,
        AuditEvent {
            service_id: Some(service_id.as_str()),
            user_id: None,
            event: "key_create",
            outcome: "ok",
            actor: "admin",
            detail: Some(&key_id),
        },
    )
    .await?;
    Ok(format!("{KEY_PREFIX}{key_id}.{}", secret.as_str()))
}

/// Revokes a bank API key by id.
pub async fn revoke_api_key(db: &Db, key_id: &str, now_ms: u64) -> Result<(), AdminError> {
    let mut conn = db.writer.acquire().await?;
    if !store::revoke_api_key(&mut conn, key_id, now_ms).await? {
        return Err(AdminError::NoKey(key_id.to_owned()));
    }
    store::audit(
        &mut conn,
        now_ms,
        AuditEvent {
            service_id: None,
            user_id: None,
            event: "key_revoke",
            outcome: "ok",
            actor: "admin",
            detail: Some(key_id),
        },
    )
    .await?;
    Ok(())
}

/// Checks a presented bank API key for `service_id`; returns the key id (for the audit actor).
/// Every failure is the same `unauthorized`, and the secret is compared in constant time. A key
/// `cache` confirmed less than [`KEY_CACHE_TTL`](super::key_cache::KEY_CACHE_TTL) ago is not read
/// again: a revoked key stops working within that time.
pub async fn authenticate(
    db: &Db,
    cache: &KeyCache,
    presented: &str,
    service_id: &ServiceId,
) -> Result<String, ApiError> {
    let rest = presented
        .strip_prefix(KEY_PREFIX)
        .ok_or(ApiError::Unauthorized)?;
    let (key_id, secret) = rest.split_once('.').ok_or(ApiError::Unauthorized)?;
    if key_id.len() > 64 || secret.len() > 128 {
        return Err(ApiError::Unauthorized);
    }
    let hash = digest::digest(&digest::SHA256, secret.as_bytes());
    if cache.confirmed(key_id, hash.as_ref(), service_id.as_str()) {
        return Ok(key_id.to_owned());
    }
    let mut conn = db.reader.acquire().await?;
    let row = store::api_key(&mut conn, key_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let secret_ok: bool = hash.as_ref().ct_eq(&row.secret_sha256).into();
    if !secret_ok || row.revoked_at_ms.is_some() || row.service_id != service_id.as_str() {
        return Err(ApiError::Unauthorized);
    }
    cache.confirm(&row.key_id, &row.secret_sha256, &row.service_id);
    Ok(row.key_id)
}

const KEK_CHECK_PLAINTEXT: &[u8] = b"softtoken kek check";

/// Proves at startup that the configured KEK opens this database's secrets: the first start
/// stores a sealed check value; later starts must open it.
pub async fn check_kek(db: &Db, keys: &KeyRing) -> Result<(), StartupError> {
    let mut conn = db
        .writer
        .acquire()
        .await
        .map_err(|e| StartupError::Database(e.to_string()))?;
    match store::kek_check(&mut conn)
        .await
        .map_err(|e| StartupError::Database(e.to_string()))?
    {
        Some((version, sealed)) => {
            let opened = keys
                .open(Purpose::Check, b"", version, &sealed)
                .map_err(|e| {
                    StartupError::Kek(format!(
                        "the configured key-encryption keys cannot open this database's secrets \
                     (sealed with KEK version {version}): {e}"
                    ))
                })?;
            if opened.as_slice() != KEK_CHECK_PLAINTEXT {
                return Err(StartupError::Kek("KEK check value mismatch".into()));
            }
            Ok(())
        }
        None => {
            let sealed = keys
                .seal(Purpose::Check, b"", KEK_CHECK_PLAINTEXT)
                .map_err(|e| StartupError::Kek(e.to_string()))?;
            store::put_kek_check(&mut conn, sealed.kek_version, &sealed.blob)
                .await
                .map_err(|e| StartupError::Database(e.to_string()))
        }
    }
}

/// Re-seals every secret under the current KEK (after adding a new `kek.current` and moving
/// the old one to `kek.previous`). Returns how many values were re-sealed. Activations in
/// flight are dropped (apps simply start again).
pub async fn rewrap(db: &Db, keys: &KeyRing, now_ms: u64) -> Result<usize, AdminError> {
    let current = keys.current_version();
    let mut tx = db.writer.begin().await?;
    let mut count = 0;
    for mut service in store::services(&mut tx).await? {
        let version = u32::try_from(service.opaque_setup_kek_version).unwrap_or(0);
        if version != current {
            let sealed = keys.rewrap(
                Purpose::ProviderSetup,
                service.service_id.as_bytes(),
                version,
                &service.opaque_setup,
            )?;
            service.opaque_setup = sealed.blob;
            store::update_service_setup(
                &mut tx,
                &service.service_id,
                &service.opaque_setup,
                sealed.kek_version,
            )
            .await?;
            count += 1;
        }
    }
    for mut token in store::all_tokens(&mut tx).await? {
        let context = token_context(&token.service_id, &token.user_id);
        let mut changed = false;
        let version = u32::try_from(token.password_file_kek_version).unwrap_or(0);
        if version != current {
            let sealed = keys.rewrap(
                Purpose::PasswordFile,
                &context,
                version,
                &token.password_file,
            )?;
            token.password_file = sealed.blob;
            token.password_file_kek_version = i64::from(sealed.kek_version);
            changed = true;
        }
        if let (Some(seed), Some(version)) = (&token.seed, token.seed_kek_version) {
            let version = u32::try_from(version).unwrap_or(0);
            if version != current {
                let sealed = keys.rewrap(Purpose::Seed, &context, version, seed)?;
                token.seed = Some(sealed.blob);
                token.seed_kek_version = Some(i64::from(sealed.kek_version));
                changed = true;
            }
        }
        if changed {
            store::update_token_secrets(&mut tx, &token).await?;
            count += 1;
        }
    }
    store::purge_expired_activations(&mut tx, u64::MAX).await?;
    let sealed = keys.seal(Purpose::Check, b"", KEK_CHECK_PLAINTEXT)?;
    store::put_kek_check(&mut tx, sealed.kek_version, &sealed.blob).await?;
    store::audit(
        &mut tx,
        now_ms,
        AuditEvent {
            service_id: None,
            user_id: None,
            event: "kek_rewrap",
            outcome: "ok",
            actor: "admin",
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(count)
}
