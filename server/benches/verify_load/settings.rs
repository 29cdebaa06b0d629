//! What a run measures, from the environment (see the crate documentation in `main.rs`).

use std::time::Duration;

use crate::BoxError;

/// Which codes a closed-loop run sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codes {
    /// The right code of a step the token has not used: `accepted`.
    Valid,
    /// A code matching no step in the window: `rejected` (the full check, a failure counted).
    Wrong,
}

impl Codes {
    pub fn label(self) -> &'static str {
        match self {
            Codes::Valid => "valid",
            Codes::Wrong => "wrong",
        }
    }
}

pub struct Settings {
    /// SQLite measured.
    pub sqlite: bool,
    /// PostgreSQL: the provider instance counts measured (empty: not at all).
    pub pg_instances: Vec<usize>,
    /// Rows in the tokens table for each round of closed-loop runs, ascending.
    pub sizes: Vec<u64>,
    pub codes: Vec<Codes>,
    /// Tokens the closed-loop runs verify (a subset of the table; at most the smallest size).
    pub verify_tokens: usize,
    pub connections: usize,
    pub warmup: Duration,
    pub measure: Duration,
    pub max_requests: usize,
    /// Open-loop run: requests per second (0: none) and its warm-up and measured time.
    pub open_rate: u64,
    pub open_warmup: Duration,
    pub open_measure: Duration,
    pub server_threads: usize,
    pub client_threads: usize,
}

impl Settings {
    /// The settings from the environment; `quick` (the `--test` smoke run) changes the
    /// defaults to small tables and short runs.
    pub fn from_env(quick: bool) -> Result<Settings, BoxError> {
        let text = |name: &str, default: &str| -> String {
            std::env::var(name).unwrap_or_else(|_| default.to_owned())
        };
        let number = |name: &str, default: u64| -> Result<u64, BoxError> {
            match std::env::var(name) {
                Ok(value) => Ok(value
                    .trim()
                    .parse()
                    .map_err(|e| format!("{name}={value:?}: {e}"))?),
                Err(_) => Ok(default),
            }
        };
        let mut sqlite = false;
        let mut pg_instances = Vec::new();
        for name in text("VERIFY_LOAD_BACKENDS", "sqlite,pg1,pg2").split(',') {
            match name.trim() {
                "sqlite" => sqlite = true,
                "pg1" => pg_instances.push(1),
                "pg2" => pg_instances.push(2),
                other => {
                    return Err(format!(
                        "VERIFY_LOAD_BACKENDS: no backend {other:?} (sqlite, pg1, pg2)"
                    )
                    .into());
                }
            }
        }
        pg_instances.sort_unstable();
        pg_instances.dedup();
        let default_sizes = if quick {
            "2000"
        } else {
            "10000,100000,1000000"
        };
        let mut sizes = text("VERIFY_LOAD_SIZES", default_sizes)
            .split(',')
            .map(|s| Ok(s.trim().parse::<u64>()?))
            .collect::<Result<Vec<_>, BoxError>>()?;
        sizes.sort_unstable();
        if sizes.first().is_none_or(|smallest| *smallest == 0) {
            return Err("VERIFY_LOAD_SIZES: table sizes above 0".into());
        }
        let codes = text("VERIFY_LOAD_CODES", "valid,wrong")
            .split(',')
            .map(|name| match name.trim() {
                "valid" => Ok(Codes::Valid),
                "wrong" => Ok(Codes::Wrong),
                other => Err(format!("VERIFY_LOAD_CODES: no {other:?} (valid, wrong)").into()),
            })
            .collect::<Result<Vec<_>, BoxError>>()?;
        let (warmup, measure, open_secs) = if quick { (0, 1, 1) } else { (1, 6, 10) };
        Ok(Settings {
            sqlite,
            pg_instances,
            verify_tokens: usize::try_from(number("VERIFY_LOAD_TOKENS", 10_000)?)?.max(1),
            sizes,
            codes,
            connections: usize::try_from(number("VERIFY_LOAD_CONNECTIONS", 8)?)?.max(1),
            warmup: Duration::from_secs(number("VERIFY_LOAD_WARMUP_SECS", warmup)?),
            measure: Duration::from_secs(number("VERIFY_LOAD_SECS", measure)?.max(1)),
            max_requests: usize::try_from(number("VERIFY_LOAD_MAX_REQUESTS", 200_000)?)?,
            open_rate: number("VERIFY_LOAD_OPEN_RATE", if quick { 300 } else { 3300 })?,
            open_warmup: Duration::from_secs(number(
                "VERIFY_LOAD_OPEN_WARMUP_SECS",
                u64::from(!quick) * 2,
            )?),
            open_measure: Duration::from_secs(number("VERIFY_LOAD_OPEN_SECS", open_secs)?.max(1)),
            server_threads: usize::try_from(number("VERIFY_LOAD_SERVER_THREADS", 2)?)?.max(1),
            client_threads: usize::try_from(number("VERIFY_LOAD_CLIENT_THREADS", 2)?)?.max(1),
        })
    }
}
