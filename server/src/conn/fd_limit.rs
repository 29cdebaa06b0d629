//! File descriptors: every connection holds one, and so do the database, its WAL and the
//! files the provider writes. At start the soft `RLIMIT_NOFILE` (often 1,024) is raised to the
//! hard limit, and the connection cap defaults to that limit less [`FD_HEADROOM`], so the cap
//! — not the kernel's `EMFILE` — decides who is refused, and the database can always open.

use std::fmt;

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors kept free of connections: the database (a writer and four readers, each with the
/// database, WAL and shared-memory files), the listener, the runtime's own, log and mail files.
pub const FD_HEADROOM: u64 = 128;

/// The descriptor limits before and after [`raise_to_hard`] (`None`: unlimited).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdLimits {
    /// The soft limit found at start.
    pub soft_before: Option<u64>,
    /// The soft limit now.
    pub soft: Option<u64>,
    /// The hard limit.
    pub hard: Option<u64>,
}

impl fmt::Display for FdLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |limit: Option<u64>| limit.map_or("unlimited".to_owned(), |n| n.to_string());
        write!(
            f,
            "soft {} (was {}), hard {}",
            show(self.soft),
            show(self.soft_before),
            show(self.hard)
        )
    }
}

impl FdLimits {
    /// The default connection cap: the soft limit less [`FD_HEADROOM`] (at least 16, at most
    /// 65,536 when the limit is huge or unlimited).
    pub fn default_max_connections(&self) -> usize {
        let available = self
            .soft
            .map_or(u64::MAX, |soft| soft.saturating_sub(FD_HEADROOM));
        usize::try_from(available.clamp(16, 65_536)).unwrap_or(65_536)
    }

    /// `wanted`, or less if the soft limit leaves no room for it beside [`FD_HEADROOM`].
    pub fn cap(&self, wanted: usize) -> usize {
        wanted.min(self.default_max_connections().max(16))
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (where the hard limit is unlimited, the
/// soft one is left: Linux refuses an unlimited soft limit for descriptors). On failure the
/// limits stay as they were and the error says why; the caller logs it and goes on.
pub fn raise_to_hard() -> Result<FdLimits, rustix::io::Errno> {
    let before = getrlimit(Resource::Nofile);
    let raised = match (before.current, before.maximum) {
        (Some(soft), Some(hard)) if soft < hard => {
            setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: Some(hard),
                    maximum: Some(hard),
                },
            )?;
            Some(hard)
        }
        _ => before.current,
    };
    Ok(FdLimits {
        soft_before: before.current,
        soft: raised,
        hard: before.maximum,
    })
}

/// The limits as they are, unchanged.
pub fn current() -> FdLimits {
    let now = getrlimit(Resource::Nofile);
    FdLimits {
        soft_before: now.current,
        soft: now.current,
        hard: now.maximum,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_reaches_the_hard_limit() {
        let limits = raise_to_hard().unwrap();
        assert_eq!(limits.soft, limits.hard.or(limits.soft));
        assert_eq!(current().soft, limits.soft);
    }

    #[test]
    fn the_default_cap_keeps_headroom() {
        let limits = |soft| FdLimits {
            soft_before: soft,
            soft,
            hard: soft,
        };
        assert_eq!(limits(Some(1024)).default_max_connections(), 896);
        assert_eq!(limits(Some(1024)).cap(5000), 896);
        assert_eq!(limits(Some(1024)).cap(100), 100);
        assert_eq!(limits(None).default_max_connections(), 65_536);
        assert_eq!(limits(Some(64)).default_max_connections(), 16);
    }
}
