//! Running a write transaction again when PostgreSQL aborted it in a conflict with a
//! concurrent one: a deadlock it broke (SQLSTATE `40P01`) or a serialization failure
//! (`40001`). Either way the database rolled the whole transaction back, so nothing of it was
//! kept and — as replies are sent only after `COMMIT` — nobody was answered: running it again
//! from `BEGIN` is what the client would do, without the client seeing an error.
//!
//! The provider's transactions lock rows in a fixed order (docs/server.md, "Correctness with
//! many instances") and run at READ COMMITTED, so neither should happen between its own
//! instances; they can when something else locks the same rows (an operator's `psql`, a
//! migration, a future statement that forgets the order). A few tries, with a short jittered
//! wait between them so two victims do not collide again in step; after the last, the error
//! goes to the client as `503 unavailable` (the request may be repeated). SQLite never reports
//! either: its writes are serialized on one connection.
//!
//! Only the transaction is run again, never what follows a commit (a mail, a wake-up): callers
//! wrap the part from taking the writing connection to `COMMIT`.

use std::{future::Future, time::Duration};

use rand_core::{OsRng, RngCore};

use crate::error::{ApiError, is_write_conflict};

/// How many times a transaction is run in all (the first run included).
pub const ATTEMPTS: u32 = 3;

/// The wait before the first rerun, on average; doubled before each further one.
const BACKOFF: Duration = Duration::from_millis(10);

/// Whether `err` is PostgreSQL aborting the transaction in a conflict (deadlock or
/// serialization failure), which a rerun of the whole transaction resolves.
pub fn is_conflict(err: &sqlx::Error) -> bool {
    is_write_conflict(err)
}

/// An error that may say "aborted in a conflict, run the transaction again".
pub trait MayConflict {
    /// Whether this is such an error.
    fn is_conflict(&self) -> bool;
}

impl MayConflict for sqlx::Error {
    fn is_conflict(&self) -> bool {
        is_conflict(self)
    }
}

/// A request's error: the conflict of its transaction's last run, mapped (`From<sqlx::Error>`).
impl MayConflict for ApiError {
    fn is_conflict(&self) -> bool {
        *self == ApiError::WriteConflict
    }
}

/// Runs `transaction` (the whole of it: taking the writing connection, `BEGIN` … `COMMIT`)
/// until it does not fail with a conflict, at most [`ATTEMPTS`] times; its last result.
pub async fn on_conflict<T, E, Fut>(mut transaction: impl FnMut() -> Fut) -> Result<T, E>
where
    E: MayConflict,
    Fut: Future<Output = Result<T, E>>,
{
    let mut run = 1;
    loop {
        match transaction().await {
            Err(err) if err.is_conflict() && run < ATTEMPTS => {
                tracing::warn!(
                    run,
                    "write transaction aborted in a conflict with a concurrent one; running it again"
                );
                tokio::time::sleep(backoff(run)).await;
                run += 1;
            }
            result => return result,
        }
    }
}

/// The wait after failed run `run` (1-based): 10 ms doubled per run, times a random
/// factor from 0.5 to 1.5.
pub fn backoff(run: u32) -> Duration {
    let base = BACKOFF.saturating_mul(1 << run.saturating_sub(1).min(8));
    // 0 to 1023 thousandths of the base, plus half of it.
    let jitter = OsRng.next_u32() % 1024;
    base / 2 + base.saturating_mul(jitter) / 1024
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_its_jitter() {
        for run in 1..=ATTEMPTS {
            let base = BACKOFF * (1 << (run - 1));
            for _ in 0..50 {
                let wait = backoff(run);
                assert!(wait >= base / 2 && wait < base * 3 / 2, "{run}: {wait:?}");
            }
        }
    }

    #[tokio::test]
    async fn only_conflicts_are_run_again_and_only_so_often() {
        struct Failed(bool);
        impl MayConflict for Failed {
            fn is_conflict(&self) -> bool {
                self.0
            }
        }
        let mut runs = 0;
        let result: Result<(), Failed> = on_conflict(|| {
            runs += 1;
            async { Err(Failed(true)) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(runs, ATTEMPTS);

        let mut runs = 0;
        let result: Result<(), Failed> = on_conflict(|| {
            runs += 1;
            async { Err(Failed(false)) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(runs, 1);

        let mut runs = 0;
        let result: Result<u32, Failed> = on_conflict(|| {
            runs += 1;
            let conflict = runs < 2;
            async move { if conflict { Err(Failed(true)) } else { Ok(7) } }
        })
        .await;
        assert_eq!(result.ok(), Some(7));
        assert_eq!(runs, 2);
    }
}
