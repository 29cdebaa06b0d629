//! Table `unknown_service_setup`: the one sealed OPAQUE setup that answers activation starts
//! for Service IDs no service has (made once, so its fake replies never change).

use sqlx::sqlite::SqliteRow;

use super::{Connection, columns::sealed};
use crate::secrets::kek::Sealed;

/// The sealed setup, if one was made.
pub async fn get(conn: &mut impl Connection) -> Result<Option<Sealed>, sqlx::Error> {
    let row: Option<SqliteRow> =
        sqlx::query("SELECT kek_version, sealed FROM unknown_service_setup WHERE id = 1")
            .fetch_optional(conn.sqlite()?)
            .await?;
    row.map(|row| sealed(&row, "sealed", "kek_version"))
        .transpose()
}

/// Stores `setup` unless one is stored already (another provider on the same database may
/// have been first: the caller reads back what is stored).
pub async fn put_first(conn: &mut impl Connection, setup: &Sealed) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT OR IGNORE INTO unknown_service_setup (id, kek_version, sealed) VALUES (1, ?1, ?2)",
    )
    .bind(i64::from(setup.kek_version))
    .bind(&setup.blob)
    .execute(conn.sqlite()?)
    .await?;
    Ok(())
}

/// Replaces the stored setup (KEK rotation).
pub async fn replace(conn: &mut impl Connection, setup: &Sealed) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE unknown_service_setup SET kek_version = ?1, sealed = ?2 WHERE id = 1")
        .bind(i64::from(setup.kek_version))
        .bind(&setup.blob)
        .execute(conn.sqlite()?)
        .await?;
    Ok(())
}
