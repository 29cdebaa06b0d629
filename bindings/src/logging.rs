//! The logger hook: the library's `tracing` events (the core, its HTTP client), forwarded to an
//! [`FfiLogger`] the shell implements (Logcat, `os_log`, a test's list). Apps hand the shell
//! their own logger (Kotlin `Logger`, a Swift closure), which the shell adapts onto this one.
//!
//! The core never logs secrets (passwords, seeds, codes), so whatever arrives here may be
//! written to the platform log.

use std::{
    fmt::Write as _,
    sync::{
        Arc, OnceLock, RwLock,
        atomic::{AtomicU8, Ordering},
    },
};

use tracing::{
    Event, Metadata, Subscriber,
    field::{Field, Visit},
    span,
    subscriber::Interest,
};

/// Severity of a log record, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
pub enum LogLevel {
    /// Something failed.
    Error,
    /// Something unexpected that the library handled.
    Warn,
    /// A milestone (activation finished, token refreshed).
    Info,
    /// Detail for debugging.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    fn rank(self) -> u8 {
        match self {
            LogLevel::Error => 1,
            LogLevel::Warn => 2,
            LogLevel::Info => 3,
            LogLevel::Debug => 4,
            LogLevel::Trace => 5,
        }
    }

    fn of(level: &tracing::Level) -> LogLevel {
        match *level {
            tracing::Level::ERROR => LogLevel::Error,
            tracing::Level::WARN => LogLevel::Warn,
            tracing::Level::INFO => LogLevel::Info,
            tracing::Level::DEBUG => LogLevel::Debug,
            tracing::Level::TRACE => LogLevel::Trace,
        }
    }
}

/// Receives the library's log records. Called from any thread; must not block for long.
#[uniffi::export(with_foreign)]
pub trait FfiLogger: Send + Sync {
    /// One record: its level, its origin (a Rust module path such as `softtoken_core::net`),
    /// and the message with its fields (`message key=value …`).
    fn log(&self, level: LogLevel, target: String, message: String);
}

/// The current logger and its level; `None` logs nothing.
static LOGGER: RwLock<Option<Arc<dyn FfiLogger>>> = RwLock::new(None);
/// The most verbose level forwarded (a [`LogLevel::rank`]; 0 = off).
static MAX_RANK: AtomicU8 = AtomicU8::new(0);
/// Whether our subscriber is the process's global one (it can be set once per process).
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Sends the library's log records at `max_level` and more severe to `logger`, replacing any
/// previous logger; `None` stops logging. Can be called any number of times.
///
/// If the process already had another global `tracing` subscriber (a Rust host that set its
/// own), that one keeps receiving the records and this call has no effect.
#[uniffi::export]
pub fn set_logger(logger: Option<Arc<dyn FfiLogger>>, max_level: LogLevel) {
    INSTALLED.get_or_init(|| tracing::subscriber::set_global_default(Forwarder).is_ok());
    let rank = if logger.is_some() {
        max_level.rank()
    } else {
        0
    };
    match LOGGER.write() {
        Ok(mut slot) => *slot = logger,
        Err(poisoned) => *poisoned.into_inner() = logger,
    }
    MAX_RANK.store(rank, Ordering::Relaxed);
    // Cached per-callsite decisions were made under the old level.
    tracing::callsite::rebuild_interest_cache();
}

/// The process-wide `tracing` subscriber that forwards events to [`LOGGER`]. Spans are not
/// tracked: only events are forwarded.
struct Forwarder;

impl Subscriber for Forwarder {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // The level can change at any time: ask `enabled` on every event.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event()
            && LogLevel::of(metadata.level()).rank() <= MAX_RANK.load(Ordering::Relaxed)
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let logger = match LOGGER.read() {
            Ok(slot) => slot.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let Some(logger) = logger else {
            return;
        };
        let mut text = MessageText::default();
        event.record(&mut text);
        let metadata = event.metadata();
        logger.log(
            LogLevel::of(metadata.level()),
            metadata.target().to_owned(),
            text.0,
        );
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

/// Renders an event as `message key=value …`.
#[derive(Default)]
struct MessageText(String);

impl Visit for MessageText {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let sep = if self.0.is_empty() { "" } else { " " };
        // Writing to a String cannot fail.
        let _ = if field.name() == "message" {
            write!(self.0, "{sep}{value:?}")
        } else {
            write!(self.0, "{sep}{}={value:?}", field.name())
        };
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let sep = if self.0.is_empty() { "" } else { " " };
        let _ = if field.name() == "message" {
            write!(self.0, "{sep}{value}")
        } else {
            write!(self.0, "{sep}{}={value}", field.name())
        };
    }
}
