//! Table `services`: one row per bank (tenant), with its rules and its sealed OPAQUE setup.

use softtoken_protocol::{ids::ServiceId, totp::TokenParams};
use sqlx::FromRow;

use super::columns::{StoredRow, string};
use super::{
    Connection,
    columns::{int, number, params, sealed, text},
};
use crate::secrets::kek::Sealed;

/// The columns of [`ServiceRow`].
macro_rules! service_columns {
    () => {
        "service_id, name, algorithm, digits, period, max_activation_attempts, max_failures,
         token_ttl_secs, verify_window, opaque_setup, opaque_setup_kek_version, created_at_ms"
    };
}

/// What a service decides for its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceRules {
    /// Parameters of new tokens.
    pub params: TokenParams,
    /// Activation attempts before lockout.
    pub max_activation_attempts: u32,
    /// Consecutive wrong codes before lockout.
    pub max_failures: u32,
    /// Lifetime of an issued token until set up, seconds.
    pub token_ttl_secs: u64,
    /// Verification window in steps.
    pub verify_window: u32,
}

/// A service (bank) as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    /// Service ID.
    pub service_id: ServiceId,
    /// Display name.
    pub name: String,
    /// Its rules.
    pub rules: ServiceRules,
    /// Sealed OPAQUE provider setup.
    pub opaque_setup: Sealed,
    /// Created at, unix ms.
    pub created_at_ms: u64,
}

impl<R: StoredRow + sqlx::Row> FromRow<'_, R> for ServiceRow {
    fn from_row(row: &R) -> Result<Self, sqlx::Error> {
        Ok(ServiceRow {
            service_id: text(row, "service_id")?,
            name: string(row, "name")?,
            rules: ServiceRules {
                params: params(row)?,
                max_activation_attempts: number(row, "max_activation_attempts")?,
                max_failures: number(row, "max_failures")?,
                token_ttl_secs: number(row, "token_ttl_secs")?,
                verify_window: number(row, "verify_window")?,
            },
            opaque_setup: sealed(row, "opaque_setup", "opaque_setup_kek_version")?,
            created_at_ms: number(row, "created_at_ms")?,
        })
    }
}

/// Inserts a service.
pub async fn insert(conn: &mut impl Connection, row: &ServiceRow) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(concat!(
        "INSERT INTO services (",
        service_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(row.service_id.as_str())
    .bind(&row.name)
    .bind(row.rules.params.algorithm().as_str())
    .bind(i64::from(row.rules.params.digits()))
    .bind(i64::from(row.rules.params.period()))
    .bind(i64::from(row.rules.max_activation_attempts))
    .bind(i64::from(row.rules.max_failures))
    .bind(int(row.rules.token_ttl_secs))
    .bind(i64::from(row.rules.verify_window))
    .bind(&row.opaque_setup.blob)
    .bind(i64::from(row.opaque_setup.kek_version))
    .bind(int(row.created_at_ms))
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// One service.
pub async fn get(
    conn: &mut impl Connection,
    service_id: &ServiceId,
) -> Result<Option<ServiceRow>, sqlx::Error> {
    on_backend!(conn, |c| sqlx::query_as(concat!(
        "SELECT ",
        service_columns!(),
        " FROM services WHERE service_id = $1"
    ))
    .bind(service_id.as_str())
    .fetch_optional(c)
    .await)
}

/// All services, by Service ID.
pub async fn all(conn: &mut impl Connection) -> Result<Vec<ServiceRow>, sqlx::Error> {
    on_backend!(conn, |c| sqlx::query_as(concat!(
        "SELECT ",
        service_columns!(),
        " FROM services ORDER BY service_id"
    ))
    .fetch_all(c)
    .await)
}

/// Replaces a service's sealed OPAQUE setup (KEK rotation).
pub async fn update_setup(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    setup: &Sealed,
) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(
        "UPDATE services SET opaque_setup = $1, opaque_setup_kek_version = $2
         WHERE service_id = $3",
    )
    .bind(&setup.blob)
    .bind(i64::from(setup.kek_version))
    .bind(service_id.as_str())
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}
