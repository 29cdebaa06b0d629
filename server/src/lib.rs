//! # softtoken-server
//!
//! The SoftToken provider: what the bank talks to (issue, verify, revoke, unlock) and what the
//! app activates against (OPAQUE activation, status). HTTPS with rustls on ring, SQLite through
//! sqlx. The wire protocol is `docs/protocol.md`; running it is `docs/server.md`.
//!
//! | module | holds |
//! |---|---|
//! | [`server`] | start and stop: config → TLS, KEK, database, mailer → listener |
//! | [`api`] | HTTP routes and request reading |
//! | [`provider`] | the rules: issuance, activation, verification, status, lifecycle, admin |
//! | [`store`] | every SQL statement |
//! | [`db`] | opening and migrating SQLite |
//! | [`app`] | shared state and caches |
//! | [`config`] | the TOML file and `--dev` defaults |
//! | [`files`] | the one atomic, owner-only file writer |
//! | [`kek`] | sealing secrets at rest |
//! | [`tls`] | TLS configuration and the development CA |
//! | [`mail`] | the issuance mail (SMTP or outbox) |
//! | [`rate_limit`] | per-IP limit on device endpoints |

pub mod api;
pub mod app;
/// Benchmark support: bulk-creating activated tokens without OPAQUE (never used by the server).
#[doc(hidden)]
pub mod bench_support;
pub mod config;
pub mod db;
pub mod error;
pub mod files;
pub mod kek;
pub mod mail;
pub mod provider;
pub mod rate_limit;
pub mod server;
pub mod store;
pub mod tls;
