//! Table `api_keys`: the banks' API keys, each by its public id with a SHA-256 of its secret.

use softtoken_protocol::ids::ServiceId;
use sqlx::FromRow;

use super::columns::{StoredRow, bytes, optional_string, string};
use super::{
    Connection,
    columns::{int, number, optional_number, text},
};

/// The columns of [`ApiKeyRow`].
macro_rules! api_key_columns {
    () => {
        "key_id, service_id, secret_sha256, label, created_at_ms, revoked_at_ms"
    };
}

/// A bank API key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// Public key id.
    pub key_id: String,
    /// The service it may act for.
    pub service_id: ServiceId,
    /// SHA-256 of the secret part.
    pub secret_sha256: Vec<u8>,
    /// Label.
    pub label: Option<String>,
    /// Created at, unix ms.
    pub created_at_ms: u64,
    /// Revoked at, unix ms.
    pub revoked_at_ms: Option<u64>,
}

impl<R: StoredRow + sqlx::Row> FromRow<'_, R> for ApiKeyRow {
    fn from_row(row: &R) -> Result<Self, sqlx::Error> {
        Ok(ApiKeyRow {
            key_id: string(row, "key_id")?,
            service_id: text(row, "service_id")?,
            secret_sha256: bytes(row, "secret_sha256")?,
            label: optional_string(row, "label")?,
            created_at_ms: number(row, "created_at_ms")?,
            revoked_at_ms: optional_number(row, "revoked_at_ms")?,
        })
    }
}

/// Inserts an API key.
pub async fn insert(conn: &mut impl Connection, row: &ApiKeyRow) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(concat!(
        "INSERT INTO api_keys (",
        api_key_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(&row.key_id)
    .bind(row.service_id.as_str())
    .bind(&row.secret_sha256)
    .bind(&row.label)
    .bind(int(row.created_at_ms))
    .bind(row.revoked_at_ms.map(int))
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// One API key by id (revoked ones included).
pub async fn get(
    conn: &mut impl Connection,
    key_id: &str,
) -> Result<Option<ApiKeyRow>, sqlx::Error> {
    on_backend!(conn, |c| sqlx::query_as(concat!(
        "SELECT ",
        api_key_columns!(),
        " FROM api_keys WHERE key_id = $1"
    ))
    .bind(key_id)
    .fetch_optional(c)
    .await)
}

/// All API keys, by service and age.
pub async fn all(conn: &mut impl Connection) -> Result<Vec<ApiKeyRow>, sqlx::Error> {
    on_backend!(conn, |c| sqlx::query_as(concat!(
        "SELECT ",
        api_key_columns!(),
        " FROM api_keys ORDER BY service_id, created_at_ms"
    ))
    .fetch_all(c)
    .await)
}

/// Revokes an API key; returns whether a live key was revoked.
pub async fn revoke(
    conn: &mut impl Connection,
    key_id: &str,
    now_ms: u64,
) -> Result<bool, sqlx::Error> {
    let done: u64 = on_backend!(conn, |c| sqlx::query(
        "UPDATE api_keys SET revoked_at_ms = $1 WHERE key_id = $2 AND revoked_at_ms IS NULL",
    )
    .bind(int(now_ms))
    .bind(key_id)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}
