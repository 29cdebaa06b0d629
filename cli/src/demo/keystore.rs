//! Where the demo's phones keep their seeds: the OS keystore when this process can use it
//! (on Linux after joining a session keyring of its own), otherwise an in-memory store, so the
//! demo runs anywhere — e.g. in a container whose seccomp profile blocks keyctl — and says so.

use std::sync::Arc;

use softtoken_core::{StoreChoice, secret_store::MemorySecretStore};

use crate::keystore::probe;

/// The keystore chosen for the demo.
pub enum DemoKeystore {
    /// The platform keystore works.
    Platform {
        /// On Linux, the id of the demo's own session keyring.
        session_keyring: Option<i64>,
    },
    /// It does not; seeds stay in this process's memory.
    Memory {
        /// Why the platform keystore could not be used.
        reason: String,
    },
}

impl DemoKeystore {
    /// Joins a new session keyring (Linux) and checks the platform keystore. Call before any
    /// thread is started.
    pub fn prepare() -> Self {
        // A keyring of the demo's own: nothing of the user's is touched, and whatever the demo
        // stores disappears with the process even if it is killed half-way.
        let session_keyring = if cfg!(target_os = "linux") {
            crate::keyring_session::join_new_session_keyring().ok()
        } else {
            None
        };
        match probe() {
            Ok(()) => DemoKeystore::Platform { session_keyring },
            Err(reason) => DemoKeystore::Memory { reason },
        }
    }

    /// A store for one phone (each phone gets its own memory store in the fallback).
    pub fn store(&self) -> StoreChoice {
        match self {
            DemoKeystore::Platform { .. } => StoreChoice::Platform,
            DemoKeystore::Memory { .. } => StoreChoice::Foreign(Arc::new(MemorySecretStore::new())),
        }
    }

    /// One line for the narration.
    pub fn describe(&self) -> String {
        match self {
            DemoKeystore::Platform {
                session_keyring: Some(id),
            } => format!(
                "the Linux kernel keyring, in a session keyring of this demo's own (id {id}); \
                 it disappears when the demo ends"
            ),
            DemoKeystore::Platform {
                session_keyring: None,
            } => format!("{} (the platform keystore)", self.short_name()),
            DemoKeystore::Memory { reason } => format!(
                "an in-memory store for this demo only: the OS keystore is not usable here \
                 ({reason})"
            ),
        }
    }

    /// What to call it in a sentence.
    pub fn short_name(&self) -> &'static str {
        match self {
            DemoKeystore::Memory { .. } => "the demo's in-memory store",
            DemoKeystore::Platform { .. } if cfg!(target_os = "linux") => "the kernel keyring",
            DemoKeystore::Platform { .. } if cfg!(target_os = "macos") => "the Keychain",
            DemoKeystore::Platform { .. } => "the OS keystore",
        }
    }
}
