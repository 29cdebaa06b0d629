//! The disk's own sync latency during a fixed-rate run: a thread writes 4 KiB to a file in the
//! temporary directory (the filesystem the databases live on) and `fdatasync`s it every 5 ms.
//! Every PostgreSQL commit waits for such a sync (`synchronous_commit = on`), so a stall of the
//! disk shows in the run's latencies whatever the provider does; this says whether one
//! happened. (Measured on the benchmark machine: syncs that usually take 0.1-0.5 ms now and
//! then take 25-80 ms, even with the machine idle, and on some days 100-500 ms or more.)

use std::{
    io,
    os::unix::fs::FileExt,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use crate::report::Latencies;

/// Time between two probes.
const EVERY: Duration = Duration::from_millis(5);

pub struct DiskProbe {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<io::Result<Vec<Duration>>>,
}

impl DiskProbe {
    pub fn start() -> io::Result<DiskProbe> {
        let file = tempfile::tempfile()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("disk-probe".into())
            .spawn(move || {
                let block = [0x5a_u8; 4096];
                let mut syncs = Vec::new();
                while !stopped.load(Ordering::Relaxed) {
                    file.write_all_at(&block, 0)?;
                    let started = Instant::now();
                    file.sync_data()?;
                    syncs.push(started.elapsed());
                    std::thread::sleep(EVERY);
                }
                Ok(syncs)
            })?;
        Ok(DiskProbe { stop, thread })
    }

    /// Stops the probe: the latencies of its syncs.
    pub fn finish(self) -> io::Result<Latencies> {
        self.stop.store(true, Ordering::Relaxed);
        let syncs = self
            .thread
            .join()
            .map_err(|_| io::Error::other("the disk probe panicked"))??;
        Ok(Latencies::new(syncs))
    }
}
