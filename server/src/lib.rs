//! # softtoken-server
//!
//! The SoftToken provider: what the bank talks to (issue, verify, revoke, unlock) and what the
//! app activates against (OPAQUE activation, status). HTTPS with rustls on ring, SQLite through
//! sqlx. The wire protocol is `docs/protocol.md`; running it is `docs/server.md`.
//!
//! The modules are layers, and imports run one way: down. A module may use the modules of the
//! layers below its own, never one above or beside it (`server/tests/layers.rs` checks every
//! `crate::` and `super::` path of `server/src` against this table, and that nothing outside
//! `storage` names SQL).
//!
//! | layer | module | holds |
//! |---|---|---|
//! | top | [`server`] | start and stop: config → TLS, KEK, database, mailer → state → listener |
//! | | `testing` | activated tokens without OPAQUE, for tests and benchmarks (feature `testing`) |
//! | HTTP | [`http`] | routes, request reading, middleware (the per-IP limit among them), errors → replies |
//! | auth | [`auth`] | bank authentication: the [`BankKey`](auth::BankKey) extractor, its key cache, its failures audited and limited |
//! | rules | [`rules`] | issuance, activation, verification, status, lifecycle |
//! | | [`ops`] | what the admin subcommands do: services, API keys, KEK check and rotation |
//! | state | [`state`] | [`ServerState`](state::ServerState): what every request shares, and its caches |
//! | storage | [`storage`] | the database, `WriteTx`, group commit, one file per table: all SQL |
//! | leaves | [`config`] | the TOML file and `--dev` defaults |
//! | | [`error`] | what a request or a start can fail with |
//! | | [`secrets`] | sealing secrets at rest (KEK); bank API keys |
//! | | [`tls`] | TLS configuration and the development CA |
//! | | [`conn`] | admitting connections (caps overall and per address), idle timeout, descriptor limit |
//! | | [`mail`] | the issuance mail (SMTP or outbox) and its template |
//! | | [`files`] | the one atomic, owner-only file writer |
//! | | [`ids`] | fresh random identifiers |
//! | | [`rate_limit`] | token buckets per client IP (or any key): device requests, bank authentication failures |
//! | | [`notify`] | in-process wake-ups for long polls on a transaction's outcome |
//!
//! The binary (`main.rs`, the `softtoken-server` command) stands above them all.

pub mod auth;
pub mod config;
pub mod conn;
pub mod error;
pub mod files;
pub mod http;
pub mod ids;
pub mod mail;
pub mod notify;
pub mod ops;
pub mod rate_limit;
pub mod rules;
pub mod secrets;
pub mod server;
pub mod state;
pub mod storage;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
