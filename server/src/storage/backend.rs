//! The two backends' connections side by side, and [`on_backend!`], which runs one statement's
//! code on whichever a connection is.

use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection, pool::PoolConnection};

/// A borrowed connection of either backend.
pub enum Raw<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// A pooled connection of either backend, given back to its pool when dropped.
pub(super) enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Pooled {
    /// The connection, borrowed.
    pub(super) fn raw(&mut self) -> Raw<'_> {
        match self {
            Pooled::Sqlite(conn) => Raw::Sqlite(conn),
            Pooled::Postgres(conn) => Raw::Postgres(conn),
        }
    }

    /// Makes the pool close this connection rather than keep it once it is dropped.
    pub(super) fn close_on_drop(&mut self) {
        match self {
            Pooled::Sqlite(conn) => conn.close_on_drop(),
            Pooled::Postgres(conn) => conn.close_on_drop(),
        }
    }
}

/// Runs `$body` with `$c` bound to the raw connection behind `$conn` (a `&mut impl
/// Connection`), once written, compiled once per backend: for a statement both engines run
/// alike (`$N` parameters, types both map the same way). Rows read inside `$body` must be
/// converted there too (the row types differ); [`columns`](super::columns) reads either.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $crate::storage::private::Connection::raw($conn)? {
            $crate::storage::backend::Raw::Sqlite($c) => $body,
            $crate::storage::backend::Raw::Postgres($c) => $body,
        }
    };
}

/// `$sql` (a `SELECT` literal), with ` FOR UPDATE` when the connection `$conn` must lock what
/// it reads (see `locks_reads`): PostgreSQL inside a write transaction.
macro_rules! select_locking {
    ($conn:expr, $sql:expr) => {
        if $crate::storage::private::Connection::locks_reads(&*$conn) {
            concat!($sql, " FOR UPDATE")
        } else {
            $sql
        }
    };
}
