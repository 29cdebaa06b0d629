//! Table `kek_check`: one sealed check value proving the configured KEK is the one this
//! database's secrets were sealed under.

use super::{Connection, columns::sealed};
use crate::secrets::kek::Sealed;

/// The sealed check value, if the database has one.
pub async fn get(conn: &mut impl Connection) -> Result<Option<Sealed>, sqlx::Error> {
    on_backend!(conn, |c| {
        let row = sqlx::query("SELECT kek_version, sealed FROM kek_check WHERE id = 1")
            .fetch_optional(c)
            .await?;
        row.map(|row| sealed(&row, "sealed", "kek_version"))
            .transpose()
    })
}

/// Stores the sealed check value unless the database has one (two providers starting at once
/// on a new shared database: the first one's stays, and each then checks its key against it).
pub async fn put_first(conn: &mut impl Connection, check: &Sealed) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(
        "INSERT INTO kek_check (id, kek_version, sealed) VALUES (1, $1, $2)
         ON CONFLICT (id) DO NOTHING"
    )
    .bind(i64::from(check.kek_version))
    .bind(&check.blob)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Stores (or replaces) the sealed check value.
pub async fn put(conn: &mut impl Connection, check: &Sealed) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| {
        sqlx::query("INSERT INTO kek_check (id, kek_version, sealed) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET kek_version = excluded.kek_version, sealed = excluded.sealed")
        .bind(i64::from(check.kek_version))
        .bind(&check.blob)
        .execute(c)
        .await.map(|done| done.rows_affected())
    })?;
    Ok(())
}
