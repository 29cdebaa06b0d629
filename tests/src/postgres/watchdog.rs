//! The cluster's watchdog: a small `sh` that outlives a killed test process and then stops the
//! server and removes its directory.
//!
//! A test binary killed by SIGKILL, or one that keeps its cluster in a `static` (statics are
//! never dropped), runs no `Drop`: without help its postmaster would run forever. So each cluster
//! starts a watchdog whose stdin is a pipe from the test process. Nothing is ever written to it:
//! when the test process ends, however it ends, the kernel closes the pipe, the watchdog's `read`
//! returns, and it runs `pg_ctl stop -m immediate` and `rm -rf` on the cluster's directory. The
//! watchdog is in a process group of its own, so a Ctrl-C meant for the test run does not kill
//! it before it has cleaned up (the postmaster, which puts itself in its own session, does not
//! get the Ctrl-C either). A cluster dropped normally stops itself and kills its watchdog.
//!
//! What can still leak: a server whose watchdog was itself killed (`kill -9` of the whole
//! process tree by pid, or a machine reboot, where nothing runs anyway).

use std::{
    os::unix::process::CommandExt,
    path::Path,
    process::{Child, Command, Stdio},
};

use super::{PgError, tools::shown};

/// Waits for the end of the test process (EOF on stdin), then runs the stop command it was
/// given and removes the cluster's directory. `trap '' HUP INT`: a closing terminal or a Ctrl-C
/// must not kill it first.
const SCRIPT: &str = r#"trap '' HUP INT
read -r line
dir=$1
shift
"$@" >/dev/null 2>&1
rm -rf "$dir"
"#;

/// A running watchdog; killing it (when the cluster is dropped normally) cleans nothing.
#[derive(Debug)]
pub(crate) struct Watchdog {
    child: Child,
}

impl Watchdog {
    /// Starts a watchdog that will run `stop` and remove `dir` once this process ends.
    pub(crate) fn start(dir: &Path, stop: &Command) -> Result<Watchdog, PgError> {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(SCRIPT)
            .arg("softtoken-pg-watchdog")
            .arg(dir)
            .arg(stop.get_program())
            .args(stop.get_args())
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let child = command.spawn().map_err(PgError::io(format!(
            "starting the watchdog of {}",
            shown(stop)
        )))?;
        Ok(Watchdog { child })
    }

    /// The watchdog's pid, for tests of the harness.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Our own child: SIGKILL by its pid, then reap it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
