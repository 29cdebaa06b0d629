//! SQLite's WAL checkpoints, off the request path: a task on a connection of its own folds the
//! WAL back into the database every [`CHECKPOINT_INTERVAL`], so that the single writer's commits
//! never do it.
//!
//! Left to SQLite, the commit that takes the WAL past `wal_autocheckpoint` pages runs the
//! checkpoint itself, with its two fsyncs, while every queued write waits behind it: 50-70 ms
//! once a second at 3,300 verifications/s (the benchmark's maximum latency). A `PASSIVE`
//! checkpoint on another connection takes no lock a writer needs: commits keep appending to the
//! WAL meanwhile. Once the WAL is large, and the passes have copied nearly every frame, the
//! database file is synced, a `RESTART` copies the rest and this connection's own next commit
//! starts the WAL over from its beginning (see `checkpoint`), so the file stays about
//! `RESTART_FRAMES` large and no request's commit pays for either sync.
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
/// 32 MiB, every second or two at 3,300 verifications/s. Each `RESTART` blocks writers while it
/// runs, so they are kept rare; the file stays about this size.
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
/// anyone up; commits keep appending meanwhile, so a second pass (and a third) copies only what
/// came during the one before, and each is shorter ([`PASSES`]).
///
/// But SQLite starts the WAL over only when a writer begins at a moment when no connection still
/// reads from it, which under steady traffic need never happen (measured: the WAL grew by every
/// commit although each pass copied it all). So past [`RESTART_FRAMES`], once the passes have
/// left at most [`RESTART_LEFT`] frames, a `RESTART` copies those and waits for the readers of
/// the WAL to finish; it blocks writers while it runs, which is why it comes only after the
/// passes, with almost nothing left to copy or sync. It never waits itself: the connection's
/// busy timeout is zero (`sqlite::open`), so a `RESTART` that would have to wait for the
/// transaction in progress or a reader gives up at once (reported in the row's `busy`, not as an
/// error) and is tried again at the next interval. (Waiting, it held the next writer back for up
/// to SQLite's busy-handler sleeps: measured, 8-32 ms for about 5 % of requests at 3,300/s.)
///
/// The first commit into a restarted WAL writes the WAL's header and syncs it. Left to the
/// writer, that sync landed among the disk writes of the next checkpoint and took it 15-27 ms
/// (measured with `perf sched` at 3,300/s: the largest stalls of the run). So right after a
/// `RESTART` this connection makes that first commit itself (see [`restart_wal_here`]), while
/// the disk has just been synced and the sync is short.
async fn checkpoint(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut left = i64::MAX;
    let mut frames = 0;
    for _ in 0..PASSES {
        // (busy, frames in the WAL, frames copied).
        let (_, in_wal, copied) =
            sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(pool)
                .await?;
        frames = in_wal;
        left = in_wal - copied;
        if left == 0 || in_wal <= RESTART_FRAMES {
            break;
        }
    }
    if frames > RESTART_FRAMES && (0..=RESTART_LEFT).contains(&left) {
        // A pass that does not reach the WAL's end leaves the pages it copied unsynced in the
        // database file; the `RESTART` would sync them all while it blocks writers (measured:
        // 14-20 ms). Synced here first, with nothing blocked, the `RESTART`'s own sync has only
        // its last few frames to write.
        sync_database_file(pool).await?;
        let (busy, _, _) = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(RESTART)")
            .fetch_one(pool)
            .await?;
        if busy == 0 {
            restart_wal_here(pool).await?;
        }
    }
    Ok(())
}

/// `fsync` of the database file through a descriptor of our own (a sync covers the file's
/// pages whichever descriptor wrote them), on a blocking thread.
async fn sync_database_file(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let path = pool.connect_options().get_filename().to_owned();
    tokio::task::spawn_blocking(move || std::fs::File::open(path)?.sync_data())
        .await
        .map_err(|join| sqlx::Error::Io(std::io::Error::other(join)))?
        .map_err(sqlx::Error::Io)
}

/// `PASSIVE` passes per checkpoint at most: each copies what came during the one before.
const PASSES: usize = 3;

/// Frames a `RESTART` may still have to copy (while it blocks writers): about 2 ms of commits at
/// 3,300 verifications/s. More left, and the restart waits for the next interval.
const RESTART_LEFT: i64 = 64;

/// Commits on the checkpointer's connection a write that changes nothing — the database header's
/// `application_id`, which the provider does not use, set to the value it has — so that this
/// commit, not a request's, starts the WAL over and syncs its header. If a writer's commit came
/// first (the write lock is taken: `SQLITE_BUSY` at once, the busy timeout being zero), that
/// commit has already restarted the WAL: nothing to do.
async fn restart_wal_here(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let id: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&mut *conn)
        .await?;
    // A PRAGMA takes no parameter; `id` is the integer just read.
    match sqlx::query(&format!("PRAGMA application_id = {id}"))
        .execute(&mut *conn)
        .await
    {
        Err(sqlx::Error::Database(err)) if is_busy(err.as_ref()) => Ok(()),
        other => other.map(|_| ()),
    }
}

/// `SQLITE_BUSY` or `SQLITE_LOCKED`, plain or extended (the low byte is the primary code):
/// another connection holds the lock.
fn is_busy(err: &dyn sqlx::error::DatabaseError) -> bool {
    err.code()
        .and_then(|code| code.parse::<i64>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
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

    /// A WAL past [`RESTART_FRAMES`], with nothing writing: one checkpoint copies it, syncs, and
    /// starts it over with the checkpointer's own commit, so the WAL then holds that commit's
    /// one frame (the database header's page), not thousands.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_restart_starts_the_wal_over_with_the_checkpointers_own_commit() {
        let dir = tempfile::tempdir().unwrap();
        let location = DatabaseLocation::Sqlite {
            path: dir.path().join("softtoken.db"),
            full_sync: false,
        };
        let db = Db::open(&location, Missing::Create).await.unwrap();
        let Pools::Sqlite {
            writer,
            checkpointer,
            ..
        } = &db.pools
        else {
            panic!("SQLite expected");
        };
        // One transaction of about 9,000 pages: one commit past RESTART_FRAMES.
        let detail = "x".repeat(4000);
        let mut tx = writer.begin().await.unwrap();
        for _ in 0..9000 {
            sqlx::query(
                "INSERT INTO audit (at_ms, event, outcome, actor, detail)
                 VALUES (0, 'bench', 'ok', 'test', ?1)",
            )
            .bind(&detail)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        // The task may have got there first; either way the WAL is started over after this.
        checkpoint(checkpointer).await.unwrap();
        let (_, frames, copied) =
            sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(checkpointer)
                .await
                .unwrap();
        assert!(
            frames <= 2,
            "the WAL still holds {frames} frames ({copied} copied)"
        );
        let id: i64 = sqlx::query_scalar("PRAGMA application_id")
            .fetch_one(writer)
            .await
            .unwrap();
        assert_eq!(id, 0, "the restart's write changed nothing");
        db.close().await;
    }
}
