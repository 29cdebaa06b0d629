//! Joining a new kernel session keyring: the one `unsafe` call of the CLI.
//!
//! On Linux the seeds live in the kernel keyring, reached through the session keyring. A process
//! started outside a login session (containers, CI, `ssh` without pam_keyinit, root shells)
//! falls back to the user's default session keyring, where keys can be added but not read back
//! as root: the keystore then reports "access denied". `keyctl session -` fixes that by giving
//! the command a session keyring of its own; this module does the same from inside the process,
//! so `softtoken demo` needs no setup and `softtoken session` works without keyutils installed.
//!
//! Neither linux-keyutils (what the keyring store uses) nor rustix exposes
//! `KEYCTL_JOIN_SESSION_KEYRING`, hence the raw syscall here.
//!
//! **Threads.** Linux keeps the session keyring in each thread's credentials, and a new thread
//! inherits the creating thread's. Join from the main thread *before* any other thread is
//! started (in particular before the tokio runtime), so that every thread sees the keyring.
#![allow(
    unsafe_code,
    reason = "one raw keyctl(2) syscall; no maintained safe wrapper exposes it"
)]

/// The id of the new session keyring, or the OS error.
#[cfg(target_os = "linux")]
pub fn join_new_session_keyring() -> std::io::Result<i64> {
    /// `KEYCTL_JOIN_SESSION_KEYRING` from `<linux/keyctl.h>`.
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: keyctl(KEYCTL_JOIN_SESSION_KEYRING, name) takes one pointer argument, a
    // NUL-terminated name or NULL; NULL asks for a new anonymous keyring, so the kernel reads no
    // memory of ours. The call only replaces this thread's session keyring in its credentials
    // and returns the keyring id or -1 with errno set; it cannot violate Rust's memory safety.
    let id = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    if id < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(id)
    }
}

/// Elsewhere there is no kernel keyring: nothing to join.
#[cfg(not(target_os = "linux"))]
pub fn join_new_session_keyring() -> std::io::Result<i64> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "kernel session keyrings exist only on Linux",
    ))
}
