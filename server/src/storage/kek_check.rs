//! Table `kek_check`: one sealed check value proving the configured KEK is the one this
//! database's secrets were sealed under.

use sqlx::sqlite::SqliteRow;

use super::{Connection, columns::sealed};
use crate::secrets::kek::Sealed;

/// The sealed check value, if the database has one.
pub async fn get(conn: &mut impl Connection) -> Result<Option<Sealed>, sqlx::Error> {
    let row: Option<SqliteRow> =
        sqlx::query("SELECT kek_version, sealed FROM kek_check WHERE id = 1")
            .fetch_optional(conn.sqlite()?)
            .await?;
    row.map(|row| sealed(&row, "sealed", "kek_version"))
        .transpose()
}

/// Stores (or replaces) the sealed check value.
pub async fn put(conn: &mut impl Connection, check: &Sealed) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT OR REPLACE INTO kek_check (id, kek_version, sealed) VALUES (1, ?1, ?2)")
        .bind(i64::from(check.kek_version))
        .bind(&check.blob)
        .execute(conn.sqlite()?)
        .await?;
    Ok(())
}
