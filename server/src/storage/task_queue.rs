//! The queue to a storage task that serves requests in batches — the accept
//! [`batcher`](super::batcher) and the [`token_reads`](super::token_reads) reader: started on
//! first use (so its owner can be built outside a Tokio runtime), started again if it has ended
//! (its runtime shut down), and drained without waiting.

use std::{
    future::Future,
    sync::{Mutex, PoisonError},
};

use tokio::sync::mpsc;

/// The sending side of a task's queue, with the task started lazily.
pub(super) struct TaskQueue<T> {
    sender: Mutex<Option<mpsc::Sender<T>>>,
    capacity: usize,
}

impl<T: Send + 'static> TaskQueue<T> {
    /// A queue of `capacity` items (senders wait beyond it); no task yet.
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            sender: Mutex::new(None),
            capacity,
        }
    }

    /// The channel to the task, starting it with `start` (on the current runtime) if there is
    /// none or it has ended.
    pub(super) fn sender<F, Task>(&self, start: F) -> mpsc::Sender<T>
    where
        F: FnOnce(mpsc::Receiver<T>) -> Task,
        Task: Future<Output = ()> + Send + 'static,
    {
        let mut slot = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.as_ref() {
            Some(sender) if !sender.is_closed() => sender.clone(),
            _ => {
                let (sender, receiver) = mpsc::channel(self.capacity);
                tokio::spawn(start(receiver));
                *slot = Some(sender.clone());
                sender
            }
        }
    }
}

/// Moves queued items into `batch` until it holds `max`, without waiting.
pub(super) fn drain<T>(queue: &mut mpsc::Receiver<T>, batch: &mut Vec<T>, max: usize) {
    while batch.len() < max {
        match queue.try_recv() {
            Ok(item) => batch.push(item),
            Err(_) => break,
        }
    }
}
