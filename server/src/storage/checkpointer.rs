//! SQLite's WAL checkpoints, off the request path: a task on a connection of its own folds the
//! WAL back into the database every [`CHECKPOINT_INTERVAL`], so that the single writer's commits
//! never do it.
//!
//! Left to SQLite, the commit that takes the WAL past `wal_autocheckpoint` pages runs the
//! checkpoint itself, with its two fsyncs, while every queued write waits behind it: 50-70 ms
//! once a second at 3,300 verifications/s (the benchmark's maximum latency). A `PASSIVE`
//! checkpoint on another connection takes no lock a writer needs: commits keep appending to the
//! WAL meanwhile. Once it has copied every frame, a `RESTART` with nothing left to copy has the
//! next commit start the WAL over from its beginning (see `checkpoint`), so the file stays about
//! as large as the writes of one interval.
//!
//! Bounded: if the task falls behind or stops (a reader that pins an old snapshot for a long
//! time, a failing disk), the writer's own `wal_autocheckpoint` at [`WAL_FALLBACK_PAGES`] takes
//! over, as before — a stall on the request path, but never a WAL that grows without limit.
//!
//! Durability is unchanged: a commit is in the WAL before its reply either way; a checkpoint only
//! moves committed pages into the database file.

use std::time::Duration;

use sqlx::SqlitePool;

/// WAL size, in frames (pages), past which a checkpoint also has the WAL start over: about
/// 32 MiB, every 5-10 s at 3,300 verifications/s. Each `RESTART` costs the requests of that
/// moment a little (measured at 3,300/s: p99 4.9 ms without `RESTART`s, 15.5 ms with one every
/// 1,000 frames), so they are kept rare; the file stays about this size.
const RESTART_FRAMES: i64 = 8000;

/// How often the task checkpoints.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(200);

/// WAL size, in pages, at which the writer's own commit checkpoints after all (the fallback; see
/// the module documentation). 32,000 pages of 4 KiB: 125 MiB, ten seconds of verifications at
/// 3,300/s with no checkpoint at all.
pub const WAL_FALLBACK_PAGES: u32 = 32_000;

/// Starts the task on `pool` (one connection, not read-only, its own). It ends when the pool is
/// closed ([`Db::close`](super::Db::close) closes it first).
pub(super) fn spawn(pool: SqlitePool) {
    tokio::spawn(run(pool));
}

async fn run(pool: SqlitePool) {
    let mut ticker = tokio::time::interval(CHECKPOINT_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Logged once per run of failures, not every interval.
    let mut failing = false;
    loop {
        ticker.tick().await;
        if pool.is_closed() {
            return;
        }
        match checkpoint(&pool).await {
            Ok(_) => {
                if failing {
                    tracing::info!("WAL checkpoints work again");
                }
                failing = false;
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(err) => {
                if !failing {
                    tracing::warn!(
                        error = %err,
                        "WAL checkpoint failed; the writer checkpoints for itself past {WAL_FALLBACK_PAGES} pages"
                    );
                }
                failing = true;
            }
        }
    }
}

/// One checkpoint. `PASSIVE` copies what the WAL holds into the database without holding
/// anyone up. But SQLite starts the WAL over only when a writer begins at a moment when no
/// connection still reads from it, which under steady traffic need never happen (measured: the
/// WAL grew by every commit although each pass copied it all). So past [`RESTART_FRAMES`] a
/// `RESTART` follows, with nothing left to copy, and has the next commit start the WAL from its
/// beginning. It never waits: the connection's busy timeout is zero (`sqlite::open`), so a
/// `RESTART` that would have to wait for the transaction in progress or a reader of the WAL
/// gives up at once (reported in the row's `busy`, not as an error) and is tried again at the
/// next interval. (Waiting, it held the next writer back for up to SQLite's busy-handler
/// sleeps: measured, 8-32 ms for about 5 % of requests at 3,300/s.)
async fn checkpoint(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    // (busy, frames in the WAL, frames copied).
    let (_, frames, copied) =
        sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(pool)
            .await?;
    if frames > RESTART_FRAMES && copied == frames {
        sqlx::query("PRAGMA wal_checkpoint(RESTART)")
            .execute(pool)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::{
        config::DatabaseLocation,
        storage::{Db, Missing, Pools},
    };

    /// Over two seconds of commits of about 20 KiB of WAL each (a row with overflow pages and
    /// its index): with the writer's own checkpoints off (below the fallback), only the task
    /// keeps the file small.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_stays_bounded_under_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("softtoken.db");
        let location = DatabaseLocation::Sqlite {
            path: path.clone(),
            full_sync: false,
        };
        let db = Db::open(&location, Missing::Create).await.unwrap();
        let Pools::Sqlite { writer, .. } = &db.pools else {
            panic!("SQLite expected");
        };
        let detail = "x".repeat(4000);
        let wal = dir.path().join("softtoken.db-wal");
        let (started, mut commits, mut largest) = (Instant::now(), 0u64, 0u64);
        // Paced at about 3,000 commits/s so the writes span ten intervals on any machine.
        while started.elapsed() < Duration::from_secs(2) || commits < 8000 {
            for _ in 0..30 {
                sqlx::query(
                    "INSERT INTO audit (at_ms, event, outcome, actor, detail)
                     VALUES (0, 'bench', 'ok', 'test', ?1)",
                )
                .bind(&detail)
                .execute(writer)
                .await
                .unwrap();
                commits += 1;
            }
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let appended = commits * 4000;
        // RESTART_FRAMES (about 32 MiB) and what one interval appends, with room to spare.
        let bound = 64 << 20;
        assert!(5 * appended > 2 * bound, "only {appended} bytes written");
        assert!(
            largest < bound,
            "the WAL reached {largest} bytes after {appended} bytes of commits"
        );
        db.close().await;
    }
}
