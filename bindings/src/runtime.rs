//! The library's own tokio runtime. Every async export runs its work here, so the shell's
//! executor (Kotlin coroutines, Swift concurrency) only awaits a handle, and the core's
//! networking and blocking work (Argon2id) always find the tokio context they need.

use std::{future::Future, sync::OnceLock};

use tokio::{runtime::Runtime, task::JoinHandle};

use crate::error::FfiError;

/// Worker threads: the work is I/O waits plus one Argon2id at a time (on the blocking pool),
/// so two are plenty on a phone.
const WORKER_THREADS: usize = 2;

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

fn runtime() -> Result<&'static Runtime, FfiError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKER_THREADS)
                .thread_name("softtoken-rt")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the library's runtime: {e}"))
        })
        .as_ref()
        .map_err(FfiError::internal)
}

/// Aborts the task when dropped: when the foreign caller cancels (a Kotlin coroutine
/// cancelled, a Swift task cancelled) uniffi drops our future, and the work stops with it
/// instead of running on unobserved.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `work` on the library's runtime and waits for it.
pub(crate) async fn run<T, F>(work: F) -> Result<T, FfiError>
where
    F: Future<Output = Result<T, FfiError>> + Send + 'static,
    T: Send + 'static,
{
    let mut task = AbortOnDrop(runtime()?.spawn(work));
    match (&mut task.0).await {
        Ok(result) => result,
        Err(err) if err.is_panic() => Err(FfiError::internal(
            "internal error (a bug in the SoftToken library): please report it",
        )),
        Err(_) => Err(FfiError::internal("the operation was cancelled")),
    }
}
