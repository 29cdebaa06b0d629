//! Verification's fast-path reads of token rows: on SQLite from the reading pool; on
//! PostgreSQL (with a `pool_size` of at least `MIN_POOL`, 4) batched — whatever reads are
//! queued go to the database as one statement, on a connection the reader keeps.
//!
//! On PostgreSQL every read from the pool costs two round trips to the server: the query, and
//! sqlx's check of the connection when it goes back to the pool (a `Sync` and its answer, in a
//! task of its own). At 3,300 verifications/s, each reading a token the caches do not hold,
//! those were a large part of PostgreSQL's and the provider's CPU time. So one task (the
//! reader) takes the reads from a channel and, for whatever is queued (at most
//! [`MAX_BATCH`]), sends one `SELECT … WHERE (service_id, user_id) IN (unnest …)` on a
//! connection it keeps, which goes back to the pool only after a failure. Nothing waits to fill
//! a batch: a read that finds the reader idle goes at once, alone; reads that arrive while a
//! batch is out go together in the next.
//!
//! A read sees what was committed when its statement ran, as a pool read would: the fast path
//! decides nothing from it alone (the batcher's update applies only if the row is still as
//! read). A failed batch answers each of its reads with [`ReadFailed`], which for the fast path
//! means only "no shortcut": the full check reads again on a writing connection. The reader
//! then gives its connection back (the pool closes it if it is broken) and takes one from the
//! pool again for the next batch — after a failover, one to the new primary. The kept
//! connection counts toward `pool_size`.

use std::collections::HashMap;

use softtoken_protocol::ids::{ServiceId, UserId};
use sqlx::{Postgres, pool::PoolConnection};
use tokio::sync::{mpsc, oneshot};

use super::{
    Db,
    task_queue::{TaskQueue, drain},
    tokens,
    tokens::TokenRow,
};

/// Most reads in one statement.
pub const MAX_BATCH: usize = 64;

/// The smallest PostgreSQL pool (`pool_size`) the reader keeps a connection of; below it each
/// read takes one from the pool, as on SQLite, so that a pool of one or two is never held.
const MIN_POOL: u32 = 4;

/// Reads queued before senders wait (in-flight requests bound it anyway).
const QUEUE: usize = 1024;

/// The read could not be done (already logged by the reader); nothing was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the token could not be read")]
pub struct ReadFailed;

/// One read, with the way back to its request.
struct Job {
    service_id: ServiceId,
    user_id: UserId,
    reply: oneshot::Sender<Result<Option<TokenRow>, ReadFailed>>,
}

/// The handle the fast path reads tokens through; on PostgreSQL it starts its task on first
/// use.
pub struct TokenReads {
    db: Db,
    queue: TaskQueue<Job>,
}

impl TokenReads {
    /// Reads through `db`. No task runs until the first read, so this can be built outside a
    /// Tokio runtime.
    pub fn new(db: &Db) -> Self {
        Self {
            db: db.clone(),
            queue: TaskQueue::new(QUEUE),
        }
    }

    /// The token's row as committed, or `None` if there is no such token.
    pub async fn get(
        &self,
        service_id: &ServiceId,
        user_id: &UserId,
    ) -> Result<Option<TokenRow>, ReadFailed> {
        if !self.batched() {
            let mut conn = self.db.read().await.map_err(|_| ReadFailed)?;
            return tokens::get(&mut conn, service_id, user_id)
                .await
                .map_err(|_| ReadFailed);
        }
        let (reply, answer) = oneshot::channel();
        let job = Job {
            service_id: *service_id,
            user_id: *user_id,
            reply,
        };
        let sender = self.queue.sender(|queue| run(self.db.clone(), queue));
        if sender.send(job).await.is_err() {
            // The task is gone (its runtime shut down).
            return Err(ReadFailed);
        }
        answer.await.unwrap_or(Err(ReadFailed))
    }

    /// Whether reads go through the reader: on PostgreSQL, with a pool large enough that the
    /// connection it keeps leaves others for the writers ([`MIN_POOL`]).
    fn batched(&self) -> bool {
        self.db
            .postgres_pool_size()
            .is_some_and(|size| size >= MIN_POOL)
    }
}

/// The reader (PostgreSQL): runs until every sender is gone.
async fn run(db: Db, mut queue: mpsc::Receiver<Job>) {
    let mut reader = Reader::new(db);
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        drain(&mut queue, &mut batch, MAX_BATCH);
        reader.read(&mut batch).await;
    }
}

/// What the reader keeps from one batch to the next.
struct Reader {
    db: Db,
    /// The connection it reads on, taken from the pool at the first batch and again after a
    /// failure.
    conn: Option<PoolConnection<Postgres>>,
    /// Whether the last batch failed: logged once per run of failures (an outage fails every
    /// batch), not per batch.
    failing: bool,
}

impl Reader {
    fn new(db: Db) -> Self {
        Self {
            db,
            conn: None,
            failing: false,
        }
    }

    /// Reads the tokens of `batch` in one statement and answers each job; leaves `batch` empty.
    async fn read(&mut self, batch: &mut Vec<Job>) {
        // A request that went away is not read for.
        batch.retain(|job| !job.reply.is_closed());
        if batch.is_empty() {
            return;
        }
        let keys: Vec<(&str, &str)> = batch
            .iter()
            .map(|job| (job.service_id.as_str(), job.user_id.as_str()))
            .collect();
        let read = match self.conn.as_mut() {
            Some(conn) => tokens::get_many_postgres(conn, &keys).await,
            None => match self.db.own_postgres_connection().await {
                Ok(fresh) => tokens::get_many_postgres(&mut *self.conn.insert(fresh), &keys).await,
                Err(err) => Err(err),
            },
        };
        match read {
            Ok(rows) => {
                if self.failing {
                    tracing::info!("token reads work again");
                    self.failing = false;
                }
                let found: HashMap<(ServiceId, UserId), TokenRow> = rows
                    .into_iter()
                    .map(|row| ((row.service_id, row.user_id), row))
                    .collect();
                for job in batch.drain(..) {
                    // A copy each: the same token may be read twice in a batch, and the
                    // statement returns its row once.
                    let row = found.get(&(job.service_id, job.user_id)).cloned();
                    let _ = job.reply.send(Ok(row));
                }
            }
            Err(err) => {
                if !self.failing {
                    tracing::warn!(error = %err, "token reads failed; the full check reads instead");
                    self.failing = true;
                }
                // Given back (the pool's check closes it if it is broken); the next batch takes
                // a connection from the pool again.
                self.conn = None;
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(ReadFailed));
                }
            }
        }
    }
}

/// Reads `keys` as the PostgreSQL reader reads one batch (one statement, on a connection of
/// the pool's) and returns each read's answer, in order. For tests: through requests, two reads
/// land in one batch only by chance.
#[cfg(feature = "testing")]
pub async fn read_as_one_batch(
    db: &Db,
    keys: &[(ServiceId, UserId)],
) -> Vec<Result<Option<TokenRow>, ReadFailed>> {
    let mut batch = Vec::with_capacity(keys.len());
    let mut answers = Vec::with_capacity(keys.len());
    for (service_id, user_id) in keys {
        let (reply, answer) = oneshot::channel();
        batch.push(Job {
            service_id: *service_id,
            user_id: *user_id,
            reply,
        });
        answers.push(answer);
    }
    Reader::new(db.clone()).read(&mut batch).await;
    let mut results = Vec::with_capacity(answers.len());
    for answer in answers {
        results.push(answer.await.unwrap_or(Err(ReadFailed)));
    }
    results
}
