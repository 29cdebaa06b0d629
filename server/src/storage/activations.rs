//! Table `activations`: activations between KE2 and KE3, with the sealed OPAQUE server state.

use softtoken_protocol::ids::{ServiceId, UserId};
use sqlx::FromRow;

use super::columns::{StoredRow, string};
use super::{
    Connection,
    columns::{int, number, sealed, text},
};
use crate::secrets::kek::Sealed;

/// The columns of [`ActivationRow`].
macro_rules! activation_columns {
    () => {
        "activation_id, service_id, user_id, state, state_kek_version, expires_at_ms"
    };
}

/// An activation between KE2 and KE3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationRow {
    /// Handle given to the app.
    pub activation_id: String,
    /// Service ID.
    pub service_id: ServiceId,
    /// User ID.
    pub user_id: UserId,
    /// Sealed OPAQUE server state.
    pub state: Sealed,
    /// Deadline, unix ms.
    pub expires_at_ms: u64,
}

impl<R: StoredRow + sqlx::Row> FromRow<'_, R> for ActivationRow {
    fn from_row(row: &R) -> Result<Self, sqlx::Error> {
        Ok(ActivationRow {
            activation_id: string(row, "activation_id")?,
            service_id: text(row, "service_id")?,
            user_id: text(row, "user_id")?,
            state: sealed(row, "state", "state_kek_version")?,
            expires_at_ms: number(row, "expires_at_ms")?,
        })
    }
}

/// Inserts an activation.
pub async fn insert(conn: &mut impl Connection, row: &ActivationRow) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(concat!(
        "INSERT INTO activations (",
        activation_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(&row.activation_id)
    .bind(row.service_id.as_str())
    .bind(row.user_id.as_str())
    .bind(&row.state.blob)
    .bind(i64::from(row.state.kek_version))
    .bind(int(row.expires_at_ms))
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Removes and returns an activation (each can be finished at most once).
pub async fn take(
    conn: &mut impl Connection,
    activation_id: &str,
) -> Result<Option<ActivationRow>, sqlx::Error> {
    on_backend!(conn, |c| sqlx::query_as(concat!(
        "DELETE FROM activations WHERE activation_id = $1 RETURNING ",
        activation_columns!()
    ))
    .bind(activation_id)
    .fetch_optional(c)
    .await)
}

/// Deletes a token's activations in flight (on revocation).
pub async fn delete_of_token(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(
        "DELETE FROM activations WHERE service_id = $1 AND user_id = $2"
    )
    .bind(service_id.as_str())
    .bind(user_id.as_str())
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Deletes the activations whose deadline is at or before `now_ms`; returns how many.
pub async fn purge_expired(conn: &mut impl Connection, now_ms: u64) -> Result<u64, sqlx::Error> {
    let done: u64 = on_backend!(conn, |c| sqlx::query(
        "DELETE FROM activations WHERE expires_at_ms <= $1"
    )
    .bind(int(now_ms))
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done)
}
