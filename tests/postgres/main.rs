//! The test kit's throwaway PostgreSQL (`softtoken_testkit::postgres`), tested against the real
//! server: `cargo test -p softtoken-testkit --test postgres`. Needs PostgreSQL 15 installed
//! (`apt-get install postgresql`; `cargo xtask test` installs it).
//!
//! | file | what it shows |
//! |---|---|
//! | `databases` | the shared cluster (fast), a database per test reached through its URL, the options (fast, settings, TLS), the typed errors |
//! | `faults` | durable settings by default, stop, a crash by SIGKILL, starting again on the same port and data, restart, cleanup on drop and after a killed test process |
//! | `failover` | a synchronous standby: write on the primary, read on the standby, crash the primary, promote, write |
//! | `timings` | what starting a cluster, making a database and a standby cost here (`--nocapture` prints them) |
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod databases;
mod failover;
mod faults;
mod timings;

use softtoken_testkit::PgCluster;
use sqlx::{PgPool, postgres::PgPoolOptions};

/// The cluster the tests of this binary share (each makes its own database on it).
fn shared() -> &'static PgCluster {
    PgCluster::shared().expect("the shared PostgreSQL cluster")
}

/// A small pool on `url`: the client the provider uses, over TCP to 127.0.0.1.
async fn connect(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"))
}

/// Runs one statement.
async fn execute(pool: &PgPool, sql: &str) {
    sqlx::query(sql)
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The values of the first column of `sql`'s rows, as text.
async fn texts(pool: &PgPool, sql: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(sql)
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}
