//! SQLite's WAL checkpoints, off the request path: a task on a connection of its own folds the
//! WAL back into the database every [`CHECKPOINT_INTERVAL`], so that the single writer's commits
//! never do it. Only the rare `RESTART` that starts the WAL over takes the writing connection.
//!
//! Left to SQLite, the commit that takes the WAL past `wal_autocheckpoint` pages runs the
//! checkpoint itself, with its two fsyncs, while every queued write waits behind it: 50-70 ms
//! once a second at 3,300 verifications/s (the benchmark's maximum latency). A `PASSIVE`
//! checkpoint on another connection takes no lock a writer needs: commits keep appending to the
//! WAL meanwhile. Once the WAL is large, and the passes have copied nearly every frame, the
//! database file is synced, then on the writing connection a `RESTART` copies the rest and a
//! commit of the task's own starts the WAL over from its beginning (see `checkpoint`), so the
//! file stays about `RESTART_FRAMES` large and no request's commit pays for either sync.
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
/// 250 MiB, every 5-20 s at 3,300 verifications/s (the WAL grows by 47 MB/s with a million
/// tokens, 14 KB a verification). The `RESTART` holds every write up while it syncs, and a
/// sync waits as long as the disk stalls, so restarts are kept rare: at 8,000 frames (32 MiB)
/// there were 14 of them in a ten-second run at a million tokens, and requests waited behind
/// each. (The unit tests use 8,000 so that a few seconds of writes see restarts.) The price: the
/// writer overwrites a WAL page some 5 s after it last touched it, and a host whose memory
/// reclaim takes page-cache pages idle for that long (the benchmark machine's) makes the writer
/// read the page back first; a restart every 24,000 frames measured no better, its restarts
/// being three times as many (docs/server.md, "Why SQLite's tail follows the disk").
const RESTART_FRAMES: i64 = if cfg!(test) { 8_000 } else { 64_000 };

/// How often the task checkpoints.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(200);

/// WAL size, in pages, at which the writer's own commit checkpoints after all (the fallback; see
/// the module documentation): twice the size at which the task starts the WAL over, 128,000
/// pages of 4 KiB (500 MiB), ten seconds or more of verifications at 3,300/s with no restart.
pub const WAL_FALLBACK_PAGES: u32 = 128_000;

/// Starts the task on `pool` (one connection, not read-only, its own), which takes `writer`'s
/// connection only for a `RESTART` (see [`checkpoint`]). It ends when `pool` is closed
/// ([`Db::close`](super::Db::close) closes it first).
pub(super) fn spawn(pool: SqlitePool, writer: SqlitePool) {
    tokio::spawn(run(pool, writer));
}

async fn run(pool: SqlitePool, writer: SqlitePool) {
    let mut ticker = tokio::time::interval(CHECKPOINT_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Logged once per run of failures, not every interval.
    let mut failing = false;
    loop {
        ticker.tick().await;
        if pool.is_closed() {
            return;
        }
        match checkpoint(&pool, &writer).await {
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
/// passes, with almost nothing left to copy or sync. It runs on the writing connection itself
/// (see [`restart`]), so the writes it holds up wait for that connection, and each goes on the
/// moment it is back: a writer that met the `RESTART`'s lock instead slept in SQLite's busy
/// handler, which polls at 1, 3, 8, 18 and 33 ms (measured at 3,300/s: a 19 ms `RESTART` cost the
/// requests behind it 33 ms).
///
/// The first commit into a restarted WAL writes the WAL's header and syncs it. Left to the next
/// request, that sync landed among the disk writes of the next checkpoint and took it 15-27 ms
/// (measured with `perf sched` at 3,300/s: the largest stalls of the run). So right after a
/// `RESTART` the checkpointer makes that first commit itself (see [`restart`]), while the disk
/// has just been synced and the sync is short.
async fn checkpoint(pool: &SqlitePool, writer: &SqlitePool) -> Result<(), sqlx::Error> {
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
        restart(writer).await?;
    }
    Ok(())
}

/// The `RESTART` and the first commit into the restarted WAL, on the writing connection (taken
/// from `writer`, waiting for it like any write), with its busy timeout zero meanwhile: a
/// `RESTART` that would have to wait for a reader gives up at once (reported in the row's
/// `busy`, not as an error) instead of sleeping while it holds every write up, and is tried
/// again at the next interval. The connection's own timeout is put back after. If any step
/// fails, the connection is closed (its timeout may still be zero), and the pool opens a fresh
/// one with the configured timeout.
async fn restart(writer: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut conn = writer.acquire().await?;
    let result = restart_on(&mut conn).await;
    if result.is_err() {
        conn.close_on_drop();
    }
    result
}

async fn restart_on(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    let timeout_ms: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query("PRAGMA busy_timeout = 0")
        .execute(&mut *conn)
        .await?;
    // (busy, frames in the WAL, frames copied).
    let (busy, _, _) = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(RESTART)")
        .fetch_one(&mut *conn)
        .await?;
    if busy == 0 {
        start_wal_over(conn).await?;
    }
    // A PRAGMA takes no parameter; `timeout_ms` is the integer just read.
    sqlx::query(&format!("PRAGMA busy_timeout = {timeout_ms}"))
        .execute(&mut *conn)
        .await?;
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

/// Commits a write that changes nothing — the database header's `application_id`, which the
/// provider does not use, set to the value it has — so that this commit, not a request's,
/// starts the WAL over and syncs its header.
async fn start_wal_over(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    let id: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&mut *conn)
        .await?;
    // A PRAGMA takes no parameter; `id` is the integer just read.
    sqlx::query(&format!("PRAGMA application_id = {id}"))
        .execute(&mut *conn)
        .await?;
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
        // RESTART_FRAMES (8,000 in tests: about 32 MiB) and what one interval appends, with room
        // to spare.
        let bound = 64 << 20;
        assert!(5 * appended > 2 * bound, "only {appended} bytes written");
        assert!(
            largest < bound,
            "the WAL reached {largest} bytes after {appended} bytes of commits"
        );
        db.close().await;
    }

    /// A WAL past [`RESTART_FRAMES`], with nothing writing: one checkpoint copies it, syncs, and
    /// starts it over with its own commit on the writing connection, so the WAL then holds that
    /// commit's one frame (the database header's page), not thousands; the writing connection
    /// has its busy timeout back.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_restart_starts_the_wal_over_with_its_own_commit() {
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
        checkpoint(checkpointer, writer).await.unwrap();
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
        let timeout_ms: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(writer)
            .await
            .unwrap();
        assert_eq!(timeout_ms, 5000, "the writer's busy timeout is put back");
        db.close().await;
    }
}
