//! The server's processes as the kernel sees them: a free port, the postmaster's pid, its
//! children, a crash by SIGKILL.
//!
//! Each PostgreSQL child process calls `setsid()`, so the server is not one process group a
//! single signal could reach: a crash is made by freezing the postmaster (SIGSTOP, so it forks
//! no more), listing its children from `/proc`, then SIGKILLing all of them at once.

use std::{
    fs,
    net::{Ipv4Addr, TcpListener},
    path::Path,
    thread,
    time::{Duration, Instant},
};

use rustix::process::{Pid, Signal, kill_process};

use super::PgError;

/// A TCP port on 127.0.0.1 that was free a moment ago. The listener is closed before the server
/// binds, so another process may take it in between: the caller retries on "could not bind".
pub(crate) fn free_port() -> Result<u16, PgError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(PgError::io("finding a free port on 127.0.0.1"))?;
    let port = listener
        .local_addr()
        .map_err(PgError::io("finding a free port on 127.0.0.1"))?
        .port();
    Ok(port)
}

/// The postmaster's pid, from the first line of `postmaster.pid` in the data directory; `None`
/// when the file is missing (the server is stopped).
pub(crate) fn postmaster_pid(data: &Path) -> Option<Pid> {
    let text = fs::read_to_string(data.join("postmaster.pid")).ok()?;
    let raw: i32 = text.lines().next()?.trim().parse().ok()?;
    Pid::from_raw(raw)
}

/// Kills the server the way a crash would: no shutdown checkpoint, no goodbye to clients.
/// Returns once none of its processes runs any more.
pub(crate) fn kill_server(postmaster: Pid) -> Result<(), PgError> {
    let signal_error = |what: &'static str| {
        move |errno: rustix::io::Errno| PgError::Io {
            what: format!(
                "{what} the postmaster (pid {})",
                postmaster.as_raw_nonzero()
            ),
            error: errno.into(),
        }
    };
    kill_process(postmaster, Signal::STOP).map_err(signal_error("stopping"))?;
    let mut victims = children_of(postmaster);
    victims.push(postmaster);
    for pid in &victims {
        // A child may have exited on its own meanwhile: that is no error.
        let _ = kill_process(*pid, Signal::KILL);
    }
    wait_until_gone(&victims, Duration::from_secs(10))
}

/// The pids whose parent is `parent`, read from `/proc/<pid>/stat`.
fn children_of(parent: Pid) -> Vec<Pid> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|raw| {
            let (_, parent_of_raw) = state_and_parent(raw)?;
            (parent_of_raw == parent.as_raw_nonzero().get())
                .then(|| Pid::from_raw(raw))
                .flatten()
        })
        .collect()
}

/// A process's state letter and parent pid from `/proc/<pid>/stat`
/// ("pid (comm) S ppid …"; comm may hold spaces and parentheses, so split after the last `)`).
fn state_and_parent(pid: i32) -> Option<(char, i32)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some((state, parent))
}

/// Waits up to `limit` for a killed process to be reaped by its parent (here init): PostgreSQL
/// refuses to start while the pid in `postmaster.pid` exists, and a zombie exists. Returns
/// whether it was reaped.
pub(crate) fn wait_reaped(pid: Pid, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Path::new(&format!("/proc/{}", pid.as_raw_nonzero())).exists() {
        if Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Whether `pid` still runs: exists and is not a zombie waiting to be reaped (a zombie holds no
/// memory and no port).
pub(crate) fn is_running(pid: Pid) -> bool {
    state_and_parent(pid.as_raw_nonzero().get()).is_some_and(|(state, _)| state != 'Z')
}

fn wait_until_gone(pids: &[Pid], limit: Duration) -> Result<(), PgError> {
    let deadline = Instant::now() + limit;
    while pids.iter().any(|pid| is_running(*pid)) {
        if Instant::now() > deadline {
            return Err(PgError::Timeout {
                what: "the killed server's processes ending".to_owned(),
                seconds: limit.as_secs(),
            });
        }
        thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}
