//! Group commit for verification's fast path: right codes of several requests recorded in one
//! transaction and one round trip on the writing connection.
//!
//! Every statement is a round trip to the connection's thread (see [`storage`](super)), and all writes
//! go through one connection, so the writing connection's time per transaction — not SQLite's
//! own work, which is a few microseconds per row — bounds the verifications per second. One task
//! (the batcher) therefore takes the fast path's accept jobs from a channel, and for whatever is
//! queued (at most [`MAX_BATCH`]) sends
//!
//! ```sql
//! BEGIN IMMEDIATE;
//! UPDATE tokens … WHERE <still as seen> AND last_step < step;   -- job 0
//! INSERT INTO audit … WHERE changes() = 1 RETURNING 0;
//! UPDATE …; INSERT … RETURNING 1;                                -- job 1
//! …
//! COMMIT
//! ```
//!
//! ([`accept_steps_if_unchanged`]) and answers each job with whether its `UPDATE`
//! applied. Each job's statements are exactly those of a lone fast-path accept, and they run one
//! after the other in the transaction, so the outcome is the one sequential accepts would have
//! had: of two jobs for the same token and step
//! the second's guard (`last_step < step`) fails, and that request gets the full check
//! (`replayed`). A job is answered only after the `COMMIT`, so no reply promises an accept that a
//! crash could undo. If the batch fails, every job in it fails and nothing of it is kept: the
//! transaction was opened through [`WriteTx`], whose drop closes the connection (rolling back)
//! unless the batch's `COMMIT` went through.
//!
//! On PostgreSQL the batch is one statement ([`accept_steps_if_unchanged`] there: the jobs'
//! values as arrays, each token's conditional update and its audit record in one `WITH …
//! UPDATE … FROM unnest(…)`), committed by itself; jobs for a token already in the batch go in
//! a further statement of the same transaction, so that each is decided after the one before.
//! Each update is a compare-and-set PostgreSQL re-checks after waiting for a concurrent writer,
//! so the guarantees above hold with any number of instances, each with its own batcher. There
//! the connection is one of the pool's: holding it keeps no other writer out.
//!
//! The batcher keeps the writing connection for consecutive batches while jobs keep arriving —
//! waiting up to [`LINGER`] for the next one — but at most [`HOLD_MAX`] at a time, so that the
//! other writers (full checks, activations, revocations) get their turn soon: giving the
//! connection back to the pool costs a round trip of its own (sqlx pings a connection when it is
//! returned) in the writer's critical section, which under load was as long as a batch.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::sync::{mpsc, oneshot};

use super::{
    Db, WriteTx,
    accept::{ACCEPT_BATCH_MAX, SeenAccept, accept_steps_if_unchanged},
    retry,
    task_queue::{TaskQueue, drain},
    tokens::TokenRow,
};
use crate::error::is_unavailable;

/// Most jobs in one transaction. Bounds the time a job can wait behind the others of its batch,
/// and the statement (see [`ACCEPT_BATCH_MAX`]).
pub const MAX_BATCH: usize = ACCEPT_BATCH_MAX;

/// How long the batcher keeps the writing connection after a batch, waiting for the next job.
pub const LINGER: Duration = Duration::from_millis(1);

/// Longest the batcher keeps the writing connection at a time (it finishes the batch it is in).
/// Bounds what a full check, activation or revocation waits for it.
pub const HOLD_MAX: Duration = Duration::from_millis(3);

/// Jobs queued before senders wait (back-pressure; in-flight requests bound it anyway).
const QUEUE: usize = 1024;

/// One right code to record, for a token as read before the transaction.
pub struct AcceptJob {
    /// The token as the code was checked against; the write applies only if the database
    /// still holds it so (state, seed, seed generation, deadline, parameters).
    pub seen: Arc<TokenRow>,
    /// The TOTP step the code matched.
    pub step: u64,
    /// Now, unix ms (last use, confirmation and audit time).
    pub now_ms: u64,
    /// The audit actor (`bank:<key id>`).
    pub actor: String,
}

/// A job with the way back to its request.
struct Queued {
    job: AcceptJob,
    reply: oneshot::Sender<Result<bool, BatchFailed>>,
}

/// The batch a job was in failed (already logged by the batcher); nothing of it was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the verification batch failed; nothing of it was kept")]
pub struct BatchFailed {
    /// The database could not be reached or could not serve (see
    /// [`is_unavailable`]): a 503, not a 500, for the request.
    pub unavailable: bool,
}

/// The handle requests use to have a right code recorded; starts its task on first use.
pub struct AcceptBatcher {
    db: Db,
    queue: TaskQueue<Queued>,
}

impl AcceptBatcher {
    /// A batcher writing through the database's writing connection. No task runs until the
    /// first job, so this can be built outside a Tokio runtime.
    pub fn new(db: &Db) -> Self {
        Self {
            db: db.clone(),
            queue: TaskQueue::new(QUEUE),
        }
    }

    /// Records the job's accept if the token is still as seen and no step at or after the
    /// job's was accepted. `Ok(true)`: accepted and committed. `Ok(false)`: nothing was written
    /// for this job; the caller decides afresh with the full check.
    pub async fn accept(&self, job: AcceptJob) -> Result<bool, BatchFailed> {
        let (reply, answer) = oneshot::channel();
        let sender = self.queue.sender(|queue| run(self.db.clone(), queue));
        if sender.send(Queued { job, reply }).await.is_err() {
            // The task is gone (its runtime shut down): no shortcut, the full check decides.
            return Ok(false);
        }
        match answer.await {
            Ok(Ok(accepted)) => Ok(accepted),
            Ok(Err(failed)) => Err(failed),
            // The batcher dropped the job unanswered (it was shut down): nothing committed
            // for it that this request would know of — let the full check decide.
            Err(_) => Ok(false),
        }
    }
}

/// The batcher: runs until every sender is gone (the [`AcceptBatcher`] was dropped).
async fn run(db: Db, mut queue: mpsc::Receiver<Queued>) {
    let mut batch: Vec<Queued> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        let mut tx = match db.write().await {
            Ok(tx) => tx,
            Err(err) => {
                tracing::error!(error = %err, "verification batch: no writing connection");
                fail(&mut batch, &err);
                continue;
            }
        };
        let held = Instant::now();
        loop {
            // Whatever queued while the connection was awaited or the last batch ran.
            drain(&mut queue, &mut batch, MAX_BATCH);
            // A request that went away (client gone) is not recorded: as if it never came.
            batch.retain(|queued| !queued.reply.is_closed());
            if !batch.is_empty() {
                match run_batch_retrying(&db, &mut tx, &batch).await {
                    Ok(accepted) => {
                        for (queued, accepted) in batch.drain(..).zip(accepted) {
                            // The request may have gone in the meantime; its accept stands.
                            let _ = queued.reply.send(Ok(accepted));
                        }
                    }
                    Err(err) => {
                        tracing::error!(error = %err, jobs = batch.len(), "verification batch failed");
                        fail(&mut batch, &err);
                        // `tx` may still hold the transaction: dropping it closes the
                        // connection, which rolls back.
                        break;
                    }
                }
            }
            if held.elapsed() >= HOLD_MAX {
                break;
            }
            if queue.is_empty() {
                match tokio::time::timeout(LINGER, queue.recv()).await {
                    Ok(Some(next)) => batch.push(next),
                    // Quiet (or every sender gone): let the other writers in.
                    Ok(None) | Err(_) => break,
                }
            }
        }
        drop(tx);
    }
}

/// Answers every job of a failed batch.
fn fail(batch: &mut Vec<Queued>, err: &sqlx::Error) {
    let failed = BatchFailed {
        unavailable: is_unavailable(err),
    };
    for queued in batch.drain(..) {
        let _ = queued.reply.send(Err(failed));
    }
}

/// Runs one batch, again on a fresh transaction if PostgreSQL aborted it in a conflict (at
/// most [`retry::ATTEMPTS`] runs in all): nothing of an aborted batch was kept and none of its
/// requests was answered yet.
async fn run_batch_retrying(
    db: &Db,
    tx: &mut WriteTx,
    batch: &[Queued],
) -> Result<Vec<bool>, sqlx::Error> {
    let mut run = 1;
    loop {
        match run_batch(tx, batch).await {
            Err(err) if retry::is_conflict(&err) && run < retry::ATTEMPTS => {
                tracing::warn!(error = %err, run, jobs = batch.len(), "verification batch aborted in a conflict; running it again");
                tokio::time::sleep(retry::backoff(run)).await;
                // The old transaction is dropped: rolled back (PostgreSQL already has).
                *tx = db.write().await?;
                run += 1;
            }
            result => return result,
        }
    }
}

/// Runs one batch; returns, per job in order, whether it was accepted.
async fn run_batch(tx: &mut WriteTx, batch: &[Queued]) -> Result<Vec<bool>, sqlx::Error> {
    let accepts: Vec<SeenAccept<'_>> = batch
        .iter()
        .map(|Queued { job, .. }| SeenAccept {
            seen: &job.seen,
            step: job.step,
            now_ms: job.now_ms,
            actor: &job.actor,
        })
        .collect();
    accept_steps_if_unchanged(tx, &accepts).await
}
