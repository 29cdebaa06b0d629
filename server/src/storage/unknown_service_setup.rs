//! Table `unknown_service_setup`: the one sealed OPAQUE setup that answers activation starts
//! for Service IDs no service has (made once, so its fake replies never change).

use super::{Connection, columns::sealed};
use crate::secrets::kek::Sealed;

/// The sealed setup, if one was made.
pub async fn get(conn: &mut impl Connection) -> Result<Option<Sealed>, sqlx::Error> {
    on_backend!(conn, |c| {
        let row = sqlx::query("SELECT kek_version, sealed FROM unknown_service_setup WHERE id = 1")
            .fetch_optional(c)
            .await?;
        row.map(|row| sealed(&row, "sealed", "kek_version"))
            .transpose()
    })
}

/// Stores `setup` unless one is stored already (another provider on the same database may
/// have been first: the caller reads back what is stored).
pub async fn put_first(conn: &mut impl Connection, setup: &Sealed) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(
        "INSERT INTO unknown_service_setup (id, kek_version, sealed) VALUES (1, $1, $2)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(i64::from(setup.kek_version))
    .bind(&setup.blob)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Replaces the stored setup (KEK rotation).
pub async fn replace(conn: &mut impl Connection, setup: &Sealed) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(
        "UPDATE unknown_service_setup SET kek_version = $1, sealed = $2 WHERE id = 1"
    )
    .bind(i64::from(setup.kek_version))
    .bind(&setup.blob)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}
