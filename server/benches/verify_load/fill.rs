//! Ballast: rows copied in SQL from one real token with new User IDs, so the tokens table has
//! the size a run asks for. Only the tokens a run verifies need real seeds; the copies share
//! the template's sealed seed (bound to the template's User ID, so never opened) and are never
//! verified.

use softtoken_protocol::ids::{ServiceId, UserId};
use softtoken_server::storage::{Backend, Db};

use crate::BoxError;

/// Rows per statement (and per transaction): keeps SQLite's WAL and PostgreSQL's transaction
/// small.
const CHUNK: u64 = 50_000;

/// Fills the tokens table up to `target` rows with copies of `template`; `next` is the number
/// of the next copy (its User ID is `9` and the number in 15 digits: random User IDs never
/// collide with them in practice). Returns the table's rows.
pub async fn fill_to(
    db: &Db,
    service_id: &ServiceId,
    template: &UserId,
    target: u64,
    next: &mut u64,
) -> Result<u64, BoxError> {
    let columns = columns(db).await?;
    let mut rows = count(db).await?;
    while rows < target {
        let chunk = (target - rows).min(CHUNK);
        let (from, to) = (*next, *next + chunk - 1);
        let exprs: Vec<String> = columns
            .iter()
            .map(|column| match column.as_str() {
                "user_id" => match db.backend() {
                    Backend::Sqlite => "'9' || substr('000000000000000' || n.i, -15)".to_owned(),
                    Backend::Postgres => "'9' || lpad(n.i::text, 15, '0')".to_owned(),
                },
                "customer_ref" => "'ballast-' || n.i".to_owned(),
                "email" => "'ballast-' || n.i || '@bench.invalid'".to_owned(),
                other => format!("t.{other}"),
            })
            .collect();
        let numbers = match db.backend() {
            Backend::Sqlite => format!(
                "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {to}) "
            ),
            Backend::Postgres => String::new(),
        };
        let source = match db.backend() {
            Backend::Sqlite => "n".to_owned(),
            Backend::Postgres => format!("generate_series({from}::bigint, {to}::bigint) AS n(i)"),
        };
        let sql = format!(
            "{numbers}INSERT INTO tokens ({}) SELECT {} FROM {source}, tokens t \
             WHERE t.service_id = $1 AND t.user_id = $2",
            columns.join(", "),
            exprs.join(", ")
        );
        let added = db
            .test_execute(&sql, &[service_id.as_str(), template.as_str()])
            .await?;
        if added != chunk {
            return Err(format!("ballast: {added} rows added, {chunk} expected").into());
        }
        *next += chunk;
        rows += chunk;
    }
    Ok(rows)
}

/// Rows in the tokens table.
pub async fn count(db: &Db) -> Result<u64, BoxError> {
    Ok(u64::try_from(
        db.test_scalar("SELECT count(*) FROM tokens", &[]).await?,
    )?)
}

/// The tokens table's columns, in order.
async fn columns(db: &Db) -> Result<Vec<String>, BoxError> {
    let sql = match db.backend() {
        Backend::Sqlite => "SELECT name FROM pragma_table_info('tokens') ORDER BY cid",
        Backend::Postgres => {
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_name = 'tokens' ORDER BY ordinal_position"
        }
    };
    db.test_texts(sql, &[])
        .await?
        .into_iter()
        .map(|row| {
            row.into_iter()
                .next()
                .flatten()
                .ok_or_else(|| BoxError::from("a column without a name"))
        })
        .collect()
}

/// After a bulk write: SQLite folds its WAL into the file (so no run starts with a large WAL);
/// PostgreSQL updates the table's statistics and writes a checkpoint (so the run does not pay
/// for the fill).
pub async fn settle(db: &Db) -> Result<(), BoxError> {
    match db.backend() {
        Backend::Sqlite => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(db.writer_pool())
                .await?;
        }
        Backend::Postgres => {
            db.test_execute("ANALYZE", &[]).await?;
            db.test_execute("CHECKPOINT", &[]).await?;
        }
    }
    Ok(())
}
