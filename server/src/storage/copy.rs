//! Copying a SQLite provider into an empty PostgreSQL database (`softtoken-server
//! copy-database`, which `ops::copy` runs): every table of [`TABLES`], each row as it is.
//!
//! Values are copied, never reinterpreted: sealed secrets stay the bytes they are (the KEK's
//! AAD binds purpose, token and KEK version, not the database), counters, last accepted steps
//! and times stay the numbers they are. Which columns a table has and what type each is come
//! from the target's catalog (the migrations made it), so a column a migration adds is copied
//! without a change here; a table a migration adds is refused until it is in [`TABLES`]
//! (`server/tests/copy_database.rs` fails first).
//!
//! The source is read in one SQLite read transaction ([`SqliteSource`]): every table, count
//! and check value comes from the same snapshot, even if a provider were still writing. The
//! target is written in one PostgreSQL transaction with its tables locked: it is refused if any
//! has a row, filled with multi-row `INSERT`s of at most [`BATCH_ROWS`] rows streamed from the
//! source (memory stays bounded however long the audit is), its identity sequences are moved
//! past the copied ids, and each table's count is compared with the source's before `COMMIT`.
//! Any failure rolls everything back.

use std::{collections::BTreeSet, path::Path, time::Duration};

use futures_util::TryStreamExt as _;
use sqlx::{
    Connection as _, PgConnection, Postgres, QueryBuilder, Row as _, Sqlite, SqlitePool,
    pool::PoolConnection,
    sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteRow},
};

use super::{Connection, Missing, backend::Raw, kek_check, postgres, private, sqlite};
use crate::{config::PostgresSettings, secrets::kek::Sealed};

/// Every table of the provider's schema, each before the tables whose foreign keys name it
/// (`api_keys` and `tokens` name `services`; `transactions` names `tokens`).
pub const TABLES: &[&str] = &[
    "kek_check",
    "unknown_service_setup",
    "services",
    "api_keys",
    "tokens",
    "tokenless_attempts",
    "activations",
    "transactions",
    "used_challenges",
    "audit",
];

/// Most rows per `INSERT`: large enough that a round trip carries many rows, small enough that
/// a batch of the widest table (`tokens`, 28 columns, a few hundred bytes of sealed secrets a
/// row) stays well under a megabyte.
pub const BATCH_ROWS: usize = 500;

/// PostgreSQL's limit on the parameters of one statement.
const MAX_BINDS: usize = 65_535;

/// Longest the copy waits for the lock on the target's tables (something else, a provider
/// started on the target too early, is using them): then it gives up, having written nothing.
const LOCK_TIMEOUT_MS: u64 = 10_000;

/// Longest the source waits for a provider writing it (SQLite's busy timeout).
const SOURCE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema version this binary's migrations reach (both backends number them alike).
pub fn schema_version() -> i64 {
    sqlite::MIGRATOR
        .iter()
        .map(|migration| migration.version)
        .max()
        .unwrap_or(0)
}

/// Which side of the copy a table or column is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The SQLite database copied from.
    Source,
    /// The PostgreSQL database copied into.
    Target,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Source => "source (SQLite)",
            Side::Target => "target (PostgreSQL)",
        })
    }
}

/// Why the copy failed or was refused. Nothing was written to the target in any case (the
/// transaction was rolled back, or never begun). Messages name tables and columns, never a
/// value.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The source is missing, not a SQLite database, or cannot be opened.
    #[error("source: {0}")]
    SourceUnusable(String),
    /// The target's settings do not make a connection (a malformed URL).
    #[error("target: {0}")]
    TargetUnusable(String),
    /// The source's schema is older than this binary's.
    #[error(
        "the source database is at schema version {found}, this softtoken-server's is \
         {expected}: run `softtoken-server migrate` on it first (with the provider's SQLite \
         configuration), then copy again"
    )]
    SourceOutdated {
        /// The source's version.
        found: i64,
        /// This binary's.
        expected: i64,
    },
    /// The source's schema is newer than this binary's.
    #[error(
        "the source database is at schema version {found}, newer than this softtoken-server's \
         {expected}: copy it with the softtoken-server release that wrote it"
    )]
    SourceNewer {
        /// The source's version.
        found: i64,
        /// This binary's.
        expected: i64,
    },
    /// The target has a provider row: it is a provider already (or a copy went there before).
    #[error(
        "{target} is not empty: table {table} has rows. copy-database fills an empty database \
         only (create a new one); nothing was written"
    )]
    TargetNotEmpty {
        /// The target, for messages.
        target: String,
        /// The first table (in [`TABLES`] order) with a row.
        table: &'static str,
    },
    /// A table the copy does not know: this binary would lose it.
    #[error(
        "the {side} has a table {table} that copy-database does not know; nothing was written \
         (a softtoken-server of another release made it)"
    )]
    UnknownTable {
        /// Where.
        side: Side,
        /// The table.
        table: String,
    },
    /// A table of [`TABLES`] is missing on one side.
    #[error("the {side} has no table {table}; nothing was written")]
    MissingTable {
        /// Where.
        side: Side,
        /// The table.
        table: &'static str,
    },
    /// A table's columns differ between the two databases (at the same schema version: a
    /// database changed by hand).
    #[error(
        "table {table}: the columns differ (source: {in_source}; target: {in_target}); nothing \
         was written"
    )]
    ColumnsDiffer {
        /// The table.
        table: &'static str,
        /// The source's columns.
        in_source: String,
        /// The target's columns.
        in_target: String,
    },
    /// A target column of a type the copy does not convert.
    #[error(
        "table {table}, column {column}: PostgreSQL type {pg_type} is not one copy-database \
         copies (bigint, text, bytea); nothing was written"
    )]
    UnsupportedColumn {
        /// The table.
        table: &'static str,
        /// The column.
        column: String,
        /// Its type, as `information_schema` names it.
        pg_type: String,
    },
    /// A source value is not of its column's type (the decode error names the column's index
    /// and the types, not the value).
    #[error("table {table}: a row of the source does not read as its columns: {error}")]
    BadRow {
        /// The table.
        table: &'static str,
        /// The decode error.
        #[source]
        error: sqlx::Error,
    },
    /// The counts differ after the copy (a bug): rolled back.
    #[error(
        "table {table}: {source_rows} rows in the source, {target_rows} in the target after \
         the copy ({copied} copied); rolled back, nothing was written"
    )]
    CountMismatch {
        /// The table.
        table: &'static str,
        /// Rows in the source.
        source_rows: u64,
        /// Rows the copy sent.
        copied: u64,
        /// Rows in the target.
        target_rows: u64,
    },
    /// Reading the source failed.
    #[error("reading the source: {0}")]
    Read(#[source] sqlx::Error),
    /// The target could not be reached or written.
    #[error("{target}: {error}")]
    Target {
        /// The target, for messages.
        target: String,
        /// What failed.
        #[source]
        error: sqlx::Error,
    },
    /// The target's migrations failed.
    #[error("migrating {target}: {error}")]
    Migrate {
        /// The target, for messages.
        target: String,
        /// What failed.
        error: String,
    },
}

impl CopyError {
    /// Whether the copy was refused for what the operator gave it (exit code 2), rather than
    /// failing while it ran (exit code 1).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            CopyError::Read(_)
                | CopyError::Target { .. }
                | CopyError::Migrate { .. }
                | CopyError::CountMismatch { .. }
        )
    }
}

/// One table's rows in both databases after the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    /// The table.
    pub table: &'static str,
    /// Rows in the source.
    pub source_rows: u64,
    /// Rows in the target.
    pub target_rows: u64,
}

// ---------------------------------------------------------------------------------------------
// The source
// ---------------------------------------------------------------------------------------------

/// The SQLite database copied from: one read-only connection inside one read transaction, so
/// everything read from it is one snapshot. Nothing is ever written to it.
pub struct SqliteSource {
    pool: SqlitePool,
    conn: PoolConnection<Sqlite>,
}

impl SqliteSource {
    /// Opens the SQLite database at `path` read-only and begins the read transaction. A
    /// missing file, an empty one or one that is not a SQLite database is refused.
    pub async fn open(path: &Path) -> Result<SqliteSource, CopyError> {
        let shown = path.display();
        if !path.exists() {
            return Err(CopyError::SourceUnusable(format!("no database at {shown}")));
        }
        sqlite::check_file(path, Missing::Refuse)
            .map_err(|e| CopyError::SourceUnusable(e.to_string()))?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false)
            .busy_timeout(SOURCE_BUSY_TIMEOUT);
        let unusable = |e: sqlx::Error| CopyError::SourceUnusable(format!("{shown}: {e}"));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(unusable)?;
        let mut conn = pool.acquire().await.map_err(unusable)?;
        // Deferred: the snapshot is taken at the first read and kept until `close`.
        sqlx::query("BEGIN")
            .execute(&mut *conn)
            .await
            .map_err(unusable)?;
        Ok(SqliteSource { pool, conn })
    }

    /// The source's schema version (`PRAGMA user_version`, which every SQLite migration sets).
    pub async fn schema_version(&mut self) -> Result<i64, CopyError> {
        sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&mut *self.conn)
            .await
            .map_err(CopyError::Read)
    }

    /// Refuses a source whose schema version is not this binary's.
    pub async fn check_schema_version(&mut self) -> Result<i64, CopyError> {
        let (found, expected) = (self.schema_version().await?, schema_version());
        match found.cmp(&expected) {
            std::cmp::Ordering::Less => Err(CopyError::SourceOutdated { found, expected }),
            std::cmp::Ordering::Greater => Err(CopyError::SourceNewer { found, expected }),
            std::cmp::Ordering::Equal => Ok(found),
        }
    }

    /// The source's sealed KEK check value, if it has one.
    pub async fn kek_check(&mut self) -> Result<Option<Sealed>, CopyError> {
        kek_check::get(self).await.map_err(CopyError::Read)
    }

    /// Ends the read transaction and closes the database.
    pub async fn close(mut self) {
        // A read transaction has nothing to commit: this only releases the snapshot.
        let _ = sqlx::query("COMMIT").execute(&mut *self.conn).await;
        drop(self.conn);
        self.pool.close().await;
    }

    /// The provider's tables in the source (SQLite's own and the migrations' excluded).
    async fn tables(&mut self) -> Result<BTreeSet<String>, CopyError> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations'",
        )
        .fetch_all(&mut *self.conn)
        .await
        .map_err(CopyError::Read)?;
        Ok(names.into_iter().collect())
    }

    /// The columns of `table` in the source.
    async fn columns(&mut self, table: &str) -> Result<BTreeSet<String>, CopyError> {
        let names: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
            .bind(table)
            .fetch_all(&mut *self.conn)
            .await
            .map_err(CopyError::Read)?;
        Ok(names.into_iter().collect())
    }

    /// The rows of `table`.
    async fn count(&mut self, table: &str) -> Result<u64, CopyError> {
        let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", quoted(table)))
            .fetch_one(&mut *self.conn)
            .await
            .map_err(CopyError::Read)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The last id SQLite handed out for `table`'s `AUTOINCREMENT` column (0: none): it may be
    /// above the largest id left (rows purged), and ids are never handed out twice.
    async fn autoincrement_seq(&mut self, table: &str) -> Result<i64, CopyError> {
        let has_sequences: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'",
        )
        .fetch_one(&mut *self.conn)
        .await
        .map_err(CopyError::Read)?;
        if has_sequences == 0 {
            return Ok(0);
        }
        sqlx::query_scalar("SELECT COALESCE(max(seq), 0) FROM sqlite_sequence WHERE name = $1")
            .bind(table)
            .fetch_one(&mut *self.conn)
            .await
            .map_err(CopyError::Read)
    }
}

impl Connection for SqliteSource {}

impl private::Connection for SqliteSource {
    fn raw(&mut self) -> Result<Raw<'_>, sqlx::Error> {
        Ok(Raw::Sqlite(&mut self.conn))
    }
}

// ---------------------------------------------------------------------------------------------
// The target
// ---------------------------------------------------------------------------------------------

/// The PostgreSQL database copied into: one connection.
pub struct PostgresTarget {
    conn: PgConnection,
    shown: String,
}

impl PostgresTarget {
    /// Connects to the database `settings` name (with their password, TLS and timeouts).
    pub async fn connect(settings: &PostgresSettings) -> Result<PostgresTarget, CopyError> {
        // With several hosts in the url: the one that takes writes (a standby refuses them).
        let (options, shown) = postgres::writable_target(settings)
            .await
            .map_err(|e| CopyError::TargetUnusable(e.to_string()))?;
        let conn = PgConnection::connect_with(&options)
            .await
            .map_err(|error| CopyError::Target {
                target: format!("cannot connect to {shown}"),
                error,
            })?;
        Ok(PostgresTarget { conn, shown })
    }

    /// The target, for messages: database, host and port.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Refuses a target with a provider row, then creates the schema (or applies the missing
    /// migrations) if it has none. Returns the target's schema version.
    pub async fn prepare(&mut self) -> Result<i64, CopyError> {
        // Before migrating: a provider's database at an older version is refused untouched.
        self.refuse_rows().await?;
        postgres::MIGRATOR
            .run(&mut self.conn)
            .await
            .map_err(|e| CopyError::Migrate {
                target: self.shown.clone(),
                error: e.to_string(),
            })?;
        Ok(schema_version())
    }

    /// Closes the connection.
    pub async fn close(self) {
        let _ = self.conn.close().await;
    }

    /// A failure of a statement on the target.
    fn failed(&self) -> impl Fn(sqlx::Error) -> CopyError + '_ {
        |error| CopyError::Target {
            target: self.shown.clone(),
            error,
        }
    }

    /// [`CopyError::TargetNotEmpty`] if a table of [`TABLES`] that exists has a row.
    async fn refuse_rows(&mut self) -> Result<(), CopyError> {
        for table in TABLES {
            let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
                .bind(*table)
                .fetch_one(&mut self.conn)
                .await
                .map_err(self.failed())?;
            if !exists {
                continue;
            }
            let has_rows: bool =
                sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM {})", quoted(table)))
                    .fetch_one(&mut self.conn)
                    .await
                    .map_err(self.failed())?;
            if has_rows {
                return Err(CopyError::TargetNotEmpty {
                    target: self.shown.clone(),
                    table,
                });
            }
        }
        Ok(())
    }

    /// Runs a statement of no result.
    async fn execute(&mut self, sql: &str) -> Result<(), CopyError> {
        sqlx::query(sql)
            .execute(&mut self.conn)
            .await
            .map(drop)
            .map_err(self.failed())
    }

    /// The provider's tables in the target (the migrations' own excluded).
    async fn tables(&mut self) -> Result<BTreeSet<String>, CopyError> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> '_sqlx_migrations'",
        )
        .fetch_all(&mut self.conn)
        .await
        .map_err(self.failed())?;
        Ok(names.into_iter().collect())
    }

    /// The columns of `table`, in order, with what the copy reads them as.
    async fn columns(&mut self, table: &'static str) -> Result<Vec<Column>, CopyError> {
        let rows = sqlx::query(
            "SELECT column_name::text AS name, data_type::text AS pg_type, \
             (is_identity = 'YES') AS identity \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 \
             ORDER BY ordinal_position",
        )
        .bind(table)
        .fetch_all(&mut self.conn)
        .await
        .map_err(self.failed())?;
        rows.iter()
            .map(|row| {
                let name: String = row.try_get("name").map_err(self.failed())?;
                let pg_type: String = row.try_get("pg_type").map_err(self.failed())?;
                let identity: bool = row.try_get("identity").map_err(self.failed())?;
                let kind = Kind::of(&pg_type).ok_or_else(|| CopyError::UnsupportedColumn {
                    table,
                    column: name.clone(),
                    pg_type,
                })?;
                Ok(Column {
                    name,
                    kind,
                    identity,
                })
            })
            .collect()
    }

    /// The rows of `table`.
    async fn count(&mut self, table: &str) -> Result<u64, CopyError> {
        let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", quoted(table)))
            .fetch_one(&mut self.conn)
            .await
            .map_err(self.failed())?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Inserts the rows of `batch` (emptying it) with one multi-row `INSERT`.
    async fn insert(&mut self, head: &str, batch: &mut Vec<Vec<Value>>) -> Result<(), CopyError> {
        let mut insert = QueryBuilder::<Postgres>::new(head);
        insert.push_values(batch.drain(..), |mut row, values| {
            for value in values {
                match value {
                    Value::Integer(value) => row.push_bind(value),
                    Value::Text(value) => row.push_bind(value),
                    Value::Bytes(value) => row.push_bind(value),
                };
            }
        });
        insert
            .build()
            .execute(&mut self.conn)
            .await
            .map(drop)
            .map_err(self.failed())
    }

    /// Moves the sequence of `table`'s identity column `column` past every id copied and
    /// every id the source ever handed out (`at_least`), so the next row gets a new one.
    async fn fix_sequence(
        &mut self,
        table: &str,
        column: &str,
        at_least: i64,
    ) -> Result<(), CopyError> {
        let largest: i64 = sqlx::query_scalar(&format!(
            "SELECT COALESCE(max({}), 0)::bigint FROM {}",
            quoted(column),
            quoted(table)
        ))
        .fetch_one(&mut self.conn)
        .await
        .map_err(self.failed())?;
        let last = largest.max(at_least);
        // `setval(seq, n, true)`: the next id is n + 1; with nothing handed out yet, the
        // sequence starts at 1 (`false`: 1 is the next).
        sqlx::query("SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)")
            .bind(table)
            .bind(column)
            .bind(last.max(1))
            .bind(last > 0)
            .execute(&mut self.conn)
            .await
            .map(drop)
            .map_err(self.failed())
    }
}

// ---------------------------------------------------------------------------------------------
// The copy
// ---------------------------------------------------------------------------------------------

/// Copies every table of `source` into `target` (already [prepared](PostgresTarget::prepare))
/// in one transaction, and returns each table's count in both. On any failure the transaction
/// is rolled back: the target stays as it was.
pub async fn copy(
    source: &mut SqliteSource,
    target: &mut PostgresTarget,
) -> Result<Vec<TableCount>, CopyError> {
    target.execute("BEGIN").await?;
    match copy_in_transaction(source, target).await {
        Ok(counts) => {
            target.execute("COMMIT").await?;
            Ok(counts)
        }
        Err(err) => {
            // If even the rollback fails the connection is gone, which rolls back too.
            let _ = target.execute("ROLLBACK").await;
            Err(err)
        }
    }
}

async fn copy_in_transaction(
    source: &mut SqliteSource,
    target: &mut PostgresTarget,
) -> Result<Vec<TableCount>, CopyError> {
    // A large table may take longer than the provider's statement timeout to count; a lock
    // held by someone else is not waited for long.
    target.execute("SET LOCAL statement_timeout = 0").await?;
    target
        .execute(&format!("SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}"))
        .await?;
    // Nobody else reads or writes the tables until the copy commits or rolls back.
    let all: Vec<String> = TABLES.iter().map(|table| quoted(table)).collect();
    target
        .execute(&format!(
            "LOCK TABLE {} IN ACCESS EXCLUSIVE MODE",
            all.join(", ")
        ))
        .await?;
    // Again, locked: a row written since `prepare` checked.
    target.refuse_rows().await?;
    check_tables(Side::Source, &source.tables().await?)?;
    check_tables(Side::Target, &target.tables().await?)?;

    let mut counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let columns = target.columns(table).await?;
        let in_source = source.columns(table).await?;
        let in_target: BTreeSet<String> = columns.iter().map(|c| c.name.clone()).collect();
        if in_source != in_target {
            return Err(CopyError::ColumnsDiffer {
                table,
                in_source: listed(&in_source),
                in_target: listed(&in_target),
            });
        }
        let copied = copy_table(source, target, table, &columns).await?;
        for column in columns.iter().filter(|column| column.identity) {
            let handed_out = source.autoincrement_seq(table).await?;
            target.fix_sequence(table, &column.name, handed_out).await?;
        }
        let source_rows = source.count(table).await?;
        let target_rows = target.count(table).await?;
        if copied != source_rows || target_rows != source_rows {
            return Err(CopyError::CountMismatch {
                table,
                source_rows,
                copied,
                target_rows,
            });
        }
        counts.push(TableCount {
            table,
            source_rows,
            target_rows,
        });
    }
    Ok(counts)
}

/// Streams `table`'s rows from the source into the target, [`BATCH_ROWS`] (or fewer, for a
/// wide table) per `INSERT`. Returns how many rows it sent.
async fn copy_table(
    source: &mut SqliteSource,
    target: &mut PostgresTarget,
    table: &'static str,
    columns: &[Column],
) -> Result<u64, CopyError> {
    let names: Vec<String> = columns.iter().map(|c| quoted(&c.name)).collect();
    let names = names.join(", ");
    let select = format!("SELECT {names} FROM {}", quoted(table));
    // An id the database would generate (`GENERATED ALWAYS`) is copied as it was instead.
    let overriding = if columns.iter().any(|c| c.identity) {
        " OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    let head = format!("INSERT INTO {} ({names}){overriding} ", quoted(table));
    let per_batch = (MAX_BINDS / columns.len().max(1)).clamp(1, BATCH_ROWS);

    let mut batch = Vec::with_capacity(per_batch);
    let mut copied = 0u64;
    let mut rows = sqlx::query(&select).fetch(&mut *source.conn);
    while let Some(row) = rows.try_next().await.map_err(CopyError::Read)? {
        batch.push(read_row(&row, columns).map_err(|error| CopyError::BadRow { table, error })?);
        if batch.len() == per_batch {
            copied += batch.len() as u64;
            target.insert(&head, &mut batch).await?;
        }
    }
    if !batch.is_empty() {
        copied += batch.len() as u64;
        target.insert(&head, &mut batch).await?;
    }
    Ok(copied)
}

/// Refuses a side whose tables are not exactly [`TABLES`].
fn check_tables(side: Side, found: &BTreeSet<String>) -> Result<(), CopyError> {
    if let Some(table) = found.iter().find(|t| !TABLES.contains(&t.as_str())) {
        return Err(CopyError::UnknownTable {
            side,
            table: table.clone(),
        });
    }
    match TABLES.iter().find(|table| !found.contains(**table)) {
        Some(table) => Err(CopyError::MissingTable { side, table }),
        None => Ok(()),
    }
}

/// What a column's values are read and bound as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// SQLite INTEGER, PostgreSQL BIGINT.
    Integer,
    /// TEXT on both.
    Text,
    /// SQLite BLOB, PostgreSQL BYTEA.
    Bytes,
}

impl Kind {
    /// The kind of a PostgreSQL type, as `information_schema.columns.data_type` names it.
    fn of(pg_type: &str) -> Option<Kind> {
        match pg_type {
            "bigint" => Some(Kind::Integer),
            "text" => Some(Kind::Text),
            "bytea" => Some(Kind::Bytes),
            _ => None,
        }
    }
}

/// A column of the target.
#[derive(Debug)]
struct Column {
    name: String,
    kind: Kind,
    /// An identity column (its sequence must be moved past the copied ids).
    identity: bool,
}

/// One value on its way (NULL as `None`).
enum Value {
    Integer(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// A source row's values, in `columns`' order (the `SELECT` names them so).
fn read_row(row: &SqliteRow, columns: &[Column]) -> Result<Vec<Value>, sqlx::Error> {
    columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            Ok(match column.kind {
                Kind::Integer => Value::Integer(row.try_get(i)?),
                Kind::Text => Value::Text(row.try_get(i)?),
                Kind::Bytes => Value::Bytes(row.try_get(i)?),
            })
        })
        .collect()
}

/// An identifier quoted for SQL (names come from [`TABLES`] and the catalogs; quoting keeps a
/// reserved word or an odd name a name).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A set of names, for messages.
fn listed(names: &BTreeSet<String>) -> String {
    names.iter().cloned().collect::<Vec<_>>().join(", ")
}
