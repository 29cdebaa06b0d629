//! The key-encryption key and the database: the check at every start that the configured KEK
//! opens this database's secrets, and re-sealing everything after a rotation.

use super::AdminError;
use crate::{
    error::StartupError,
    secrets::{
        UNKNOWN_SERVICE_CONTEXT,
        kek::{KeyRing, Purpose, Sealed},
        token_context,
    },
    storage::{
        Db, activations,
        audit::{self, AuditEvent},
        kek_check, services, tokens, unknown_service_setup,
    },
};

/// What the check value seals.
const KEK_CHECK_PLAINTEXT: &[u8] = b"softtoken kek check";

/// Proves at startup that the configured KEK opens this database's secrets: the first start
/// stores a sealed check value; later starts must open it.
pub async fn check(db: &Db, keys: &KeyRing) -> Result<(), StartupError> {
    let database = |e: sqlx::Error| StartupError::Database(e.to_string());
    let mut conn = db.write().await.map_err(database)?;
    let sealed = match kek_check::get(&mut conn).await.map_err(database)? {
        Some(sealed) => sealed,
        None => {
            let sealed = keys
                .seal(Purpose::Check, b"", KEK_CHECK_PLAINTEXT)
                .map_err(|e| StartupError::Kek(e.to_string()))?;
            // Only if still none: another provider starting on the same new database may have
            // stored its own first; whichever is stored is what every key is checked against.
            kek_check::put_first(&mut conn, &sealed)
                .await
                .map_err(database)?;
            kek_check::get(&mut conn)
                .await
                .map_err(database)?
                .ok_or_else(|| {
                    StartupError::Database("the KEK check value was not stored".into())
                })?
        }
    };
    opens_check_value(keys, &sealed)
}

/// Whether `keys` open a database's sealed check value (`check` at every start; `copy-database`
/// before it copies anything).
pub fn opens_check_value(keys: &KeyRing, sealed: &Sealed) -> Result<(), StartupError> {
    let version = sealed.kek_version;
    let opened = keys
        .open(Purpose::Check, b"", version, &sealed.blob)
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

/// Re-seals every secret under the current KEK (after adding a new `kek.current` and moving
/// the old one to `kek.previous`). Returns how many values were re-sealed. Activations in
/// flight are dropped (apps simply start again).
pub async fn rewrap(db: &Db, keys: &KeyRing, now_ms: u64) -> Result<usize, AdminError> {
    let current = keys.current_version();
    let stale = |sealed: &Sealed| sealed.kek_version != current;
    let mut tx = db.write().await?;
    tx.begin().await?;
    let mut count = 0;
    for service in services::all(&mut tx).await? {
        if stale(&service.opaque_setup) {
            let sealed = keys.rewrap(
                Purpose::ProviderSetup,
                service.service_id.as_bytes(),
                service.opaque_setup.kek_version,
                &service.opaque_setup.blob,
            )?;
            services::update_setup(&mut tx, &service.service_id, &sealed).await?;
            count += 1;
        }
    }
    if let Some(setup) = unknown_service_setup::get(&mut tx)
        .await?
        .filter(|setup| stale(setup))
    {
        let sealed = keys.rewrap(
            Purpose::ProviderSetup,
            UNKNOWN_SERVICE_CONTEXT,
            setup.kek_version,
            &setup.blob,
        )?;
        unknown_service_setup::replace(&mut tx, &sealed).await?;
        count += 1;
    }
    for mut token in tokens::all(&mut tx).await? {
        let context = token_context(&token.service_id, &token.user_id);
        let mut changed = false;
        if stale(&token.password_file) {
            token.password_file = keys.rewrap(
                Purpose::PasswordFile,
                &context,
                token.password_file.kek_version,
                &token.password_file.blob,
            )?;
            changed = true;
        }
        if let Some(seed) = token.seed.as_mut().filter(|seed| stale(seed)) {
            *seed = keys.rewrap(Purpose::Seed, &context, seed.kek_version, &seed.blob)?;
            changed = true;
        }
        if changed {
            tokens::update_secrets(&mut tx, &token).await?;
            count += 1;
        }
    }
    activations::purge_expired(&mut tx, u64::MAX).await?;
    let sealed = keys.seal(Purpose::Check, b"", KEK_CHECK_PLAINTEXT)?;
    kek_check::put(&mut tx, &sealed).await?;
    audit::record(&mut tx, now_ms, AuditEvent::admin("kek_rewrap", None)).await?;
    tx.commit().await?;
    Ok(count)
}
