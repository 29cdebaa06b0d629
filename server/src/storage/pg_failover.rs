//! Failover between the hosts of a multi-host `[database] url` (`postgres://u@h1,h2/db`): the
//! pool connects to one host at a time, the first of the list that takes writes, and moves to
//! another when that one stops taking them — a primary killed and its standby promoted.
//!
//! - Every new connection is checked to take writes (`after_connect`): a standby, or a server
//!   in read-only mode, is refused, so no request ever runs on one. The pool retries a refused
//!   connection until its acquire wait ends, reading its target afresh each time, so a request
//!   waiting while the target moves gets the new primary if it comes in time.
//! - When a request fails because the database could not serve it, or waits longer than
//!   [`SLOW_ACQUIRE`] for a connection ([`Failover::recheck`], from the HTTP layer's 503s and
//!   from `Db`'s waits for the pool), one task checks the current host,
//!   and if it no longer takes writes probes the others in order (each within
//!   [`PROBE_TIMEOUT`], for at most [`RECHECK_FOR`]) and points the pool at the first that
//!   does (`Pool::set_connect_options`). The current host is kept while it takes writes even if
//!   an earlier one does too: an old primary that came back must not take the provider back
//!   (fencing it is the operator's duty; `docs/server.md`, "Failover").
//! - Connections opened before a switch are not handed out after it (`before_acquire`), so
//!   none stays on the old host.
//!
//! Nothing is accepted without its commit: a request whose statement or `COMMIT` failed on the
//! way answers 503, and synchronous replication makes a returned `COMMIT` survive the promotion.
//! Logs name hosts as `host:port` only, never the password.

use std::{
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use sqlx::{
    ConnectOptions, Connection as _, PgPool,
    postgres::{PgConnectOptions, PgConnection, PgPoolOptions},
};

/// Longest one probe of a host may take (connect, ask, close): a host that does not answer
/// within it is skipped for this round.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Longest one recheck keeps probing for a writable host (a standby being promoted); then it
/// gives up, and the next failed request starts another.
pub const RECHECK_FOR: Duration = Duration::from_secs(10);

/// A wait for a pooled connection longer than this has the target rechecked: the pool may be
/// retrying a host that is gone (a refused connection is retried silently until the pool's
/// wait ends). Longer than a healthy connect; a recheck that finds the host fine costs one
/// probe.
pub const SLOW_ACQUIRE: Duration = Duration::from_millis(250);

/// Least time between the end of one recheck and the start of the next: a pool busy under load
/// (slow waits, no failover) costs at most two probes a second.
pub const RECHECK_SPACING: Duration = Duration::from_millis(500);

/// Pause between two rounds of probes while no host takes writes.
pub const PROBE_PAUSE: Duration = Duration::from_millis(200);

/// Whether the server this connection reaches takes writes: not a standby (in recovery), and
/// not read-only by configuration (`default_transaction_read_only`), as libpq's
/// `target_session_attrs=read-write` asks.
const WRITABLE_SQL: &str =
    "SELECT NOT (pg_is_in_recovery() OR current_setting('transaction_read_only')::bool)";

/// The hosts of the URL and which one the pool connects to.
pub struct Failover {
    hosts: Vec<Host>,
    /// Index into `hosts` of the pool's target.
    current: AtomicUsize,
    /// When the pool last moved to another host; connections older than that are discarded.
    switched_at: Mutex<Option<Instant>>,
    /// Whether a recheck task is running (at most one at a time).
    rechecking: AtomicBool,
    /// When the last recheck ended.
    rechecked_at: Mutex<Option<Instant>>,
}

/// One host of the list.
struct Host {
    options: PgConnectOptions,
    /// `host:port`, for logs and errors.
    shown: String,
}

/// Why a host was not chosen.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The host could not be reached, or failed the check.
    #[error("{host}: {error}")]
    Unreachable {
        /// `host:port`.
        host: String,
        /// What failed (sqlx's message: it quotes no password).
        error: sqlx::Error,
    },
    /// The host did not answer within [`PROBE_TIMEOUT`].
    #[error("{host}: no answer within {}s", PROBE_TIMEOUT.as_secs())]
    Timeout {
        /// `host:port`.
        host: String,
    },
    /// The host answers but takes no writes (a standby, or read-only).
    #[error("{host}: read-only (a standby, or default_transaction_read_only)")]
    ReadOnly {
        /// `host:port`.
        host: String,
    },
}

impl Failover {
    /// The hosts of the URL, in order; the pool's target is the first until
    /// [`first_writable`](Self::first_writable) or a recheck says otherwise.
    pub fn new(hosts: Vec<PgConnectOptions>) -> Arc<Failover> {
        Arc::new(Failover {
            hosts: hosts
                .into_iter()
                .map(|options| Host {
                    shown: shown(&options),
                    options,
                })
                .collect(),
            current: AtomicUsize::new(0),
            switched_at: Mutex::new(None),
            rechecking: AtomicBool::new(false),
            rechecked_at: Mutex::new(None),
        })
    }

    /// `host:port` of every host, comma-separated (for startup errors).
    pub fn shown(&self) -> String {
        self.hosts
            .iter()
            .map(|host| host.shown.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The first host, in order, that takes writes, made the target: probed round after
    /// round until `wait` has passed (a provider started during a failover waits for it). Its
    /// connection options, or why each host was refused in the last round.
    pub async fn first_writable(&self, wait: Duration) -> Result<PgConnectOptions, String> {
        let deadline = Instant::now() + wait;
        loop {
            let mut refusals = Vec::new();
            for (index, host) in self.hosts.iter().enumerate() {
                match probe(host).await {
                    Ok(()) => {
                        self.current.store(index, Ordering::SeqCst);
                        return Ok(host.options.clone());
                    }
                    Err(e) => refusals.push(e.to_string()),
                }
            }
            if Instant::now() + PROBE_PAUSE >= deadline {
                return Err(format!("no host takes writes: {}", refusals.join("; ")));
            }
            tokio::time::sleep(PROBE_PAUSE).await;
        }
    }

    /// The pool's options with the checks failover needs: a new connection must take writes;
    /// one opened before the last switch is not handed out.
    pub fn pool_options(self: &Arc<Self>, options: PgPoolOptions) -> PgPoolOptions {
        let on_connect = Arc::clone(self);
        let on_acquire = Arc::clone(self);
        options
            .after_connect(move |conn, _| {
                let failover = Arc::clone(&on_connect);
                Box::pin(async move {
                    if is_writable(conn).await? {
                        return Ok(());
                    }
                    // The pool logs this and tries again, until its wait for a connection ends.
                    Err(sqlx::Error::Io(std::io::Error::other(
                        ProbeError::ReadOnly {
                            host: failover.current_shown(),
                        },
                    )))
                })
            })
            .before_acquire(move |_, meta| {
                let keep = on_acquire.opened_after_switch(meta.age);
                Box::pin(async move { Ok(keep) })
            })
    }

    /// Has the target checked, and moved if it no longer takes writes (see the module
    /// documentation). Returns at once; at most one recheck runs at a time, and none within
    /// [`RECHECK_SPACING`] of the last one's end.
    pub fn recheck(self: &Arc<Self>, pool: &PgPool) {
        let recent = self
            .rechecked_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < RECHECK_SPACING);
        if recent || self.rechecking.swap(true, Ordering::SeqCst) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.rechecking.store(false, Ordering::SeqCst);
            return;
        };
        let failover = Arc::clone(self);
        let pool = pool.clone();
        runtime.spawn(async move {
            failover.find_target(&pool).await;
            *failover
                .rechecked_at
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
            failover.rechecking.store(false, Ordering::SeqCst);
        });
    }

    /// The recheck itself: keep a target that takes writes, else move to the first host that
    /// does, probing for at most [`RECHECK_FOR`].
    async fn find_target(&self, pool: &PgPool) {
        let deadline = Instant::now() + RECHECK_FOR;
        let mut warned = false;
        while !pool.is_closed() {
            let current = self.current.load(Ordering::SeqCst);
            let Some(target) = self.hosts.get(current) else {
                return;
            };
            let refused = match probe(target).await {
                Ok(()) => return,
                Err(e) => e,
            };
            if !warned {
                tracing::warn!(
                    error = %refused,
                    "database: the current host takes no writes; looking for one that does"
                );
                warned = true;
            }
            for (index, host) in self.hosts.iter().enumerate() {
                if index != current && probe(host).await.is_ok() {
                    self.switch(pool, index);
                    return;
                }
            }
            if Instant::now() >= deadline {
                tracing::error!(
                    hosts = %self.shown(),
                    waited_s = RECHECK_FOR.as_secs(),
                    "database: no host takes writes; requests answer 503 until one does"
                );
                return;
            }
            tokio::time::sleep(PROBE_PAUSE).await;
        }
    }

    /// Points the pool at host `index`; connections to the old one are no longer handed out.
    fn switch(&self, pool: &PgPool, index: usize) {
        let Some(host) = self.hosts.get(index) else {
            return;
        };
        let from = self.current_shown();
        pool.set_connect_options(host.options.clone());
        *self
            .switched_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        self.current.store(index, Ordering::SeqCst);
        tracing::warn!(from = %from, to = %host.shown, "database: moved to the host that takes writes");
    }

    /// Whether a connection `age` old was opened after the last switch (or there was none).
    fn opened_after_switch(&self, age: Duration) -> bool {
        self.switched_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none_or(|switched| age < switched.elapsed())
    }

    /// `host:port` of the current target.
    fn current_shown(&self) -> String {
        self.hosts
            .get(self.current.load(Ordering::SeqCst))
            .map_or_else(String::new, |host| host.shown.clone())
    }
}

/// Connects to `host`, asks whether it takes writes, and disconnects, within [`PROBE_TIMEOUT`].
async fn probe(host: &Host) -> Result<(), ProbeError> {
    let asked = async {
        let mut conn = host.options.connect().await?;
        let writable = is_writable(&mut conn).await;
        // A failed goodbye does not change the answer.
        let _ = conn.close().await;
        writable
    };
    match tokio::time::timeout(PROBE_TIMEOUT, asked).await {
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => Err(ProbeError::ReadOnly {
            host: host.shown.clone(),
        }),
        Ok(Err(error)) => Err(ProbeError::Unreachable {
            host: host.shown.clone(),
            error,
        }),
        Err(_) => Err(ProbeError::Timeout {
            host: host.shown.clone(),
        }),
    }
}

/// Whether the server of `conn` takes writes ([`WRITABLE_SQL`]).
async fn is_writable(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(WRITABLE_SQL).fetch_one(conn).await
}

/// `host:port` of a host's options.
pub fn shown(options: &PgConnectOptions) -> String {
    format!("{}:{}", options.get_host(), options.get_port())
}
