//! # softtoken-testkit
//!
//! The one test kit of the workspace: everything a test, a benchmark or the CLI demo needs to
//! play the parts around the piece it checks.
//!
//! | module | holds |
//! |---|---|
//! | [`provider`] | [`TestProvider`]: the real provider in process, HTTPS on 127.0.0.1, `--dev` service, key and CA, a [`ManualClock`](softtoken_protocol::clock::ManualClock); stoppable and restartable on the same data directory; on SQLite, or with `SOFTTOKEN_TEST_DATABASE=postgres` on a fresh database of the shared [`PgCluster`] |
//! | [`bank`] | [`BankClient`]: the bank's typed HTTPS client (issue, verify, details, revoke, unlock) |
//! | [`phone`] | a phone running the real app core against a [`TestProvider`]: seed store, device clock and metadata directory of the test's choosing |
//! | [`device`] | [`DeviceClient`]: a phone at the protocol level (OPAQUE activation, status proof) without the app core, for provider tests and benchmarks |
//! | [`fixtures`] | the shared values: Service ID, activation password, mail address, a User ID with a typo, the test device |
//! | [`tls`] | an HTTPS client that trusts only the provider's CA (rustls on ring) |
//! | [`control`] | [`ClockControl`]: the provider's manual clock over plain HTTP, for the suites in other processes |
//! | [`postgres`] | [`PgCluster`]: a throwaway PostgreSQL 15 in a temporary directory (initdb, a free port on 127.0.0.1, durable by default), one database per test on a shared cluster, TLS with given certificate and key, stop/kill -9/restart, a synchronous standby and its promotion |
//! | [`relay`] | [`TamperingRelay`]: a man in the middle that changes the payee of a pending-transaction list, MAC untouched |
//!
//! The Kotlin and Swift suites have their own `TestProvider`/`BankClient`/`Fixtures` in their
//! languages, with the same names; they talk to the provider the `softtoken-test-provider`
//! binary of this crate starts (see `cargo xtask kotlin`).
//!
//! The end-to-end suite (`tests/e2e/`, one test binary `end_to_end`) runs the whole chain:
//! bank → provider → app core → kernel keyring → bank.

pub mod bank;
pub mod control;
pub mod device;
pub mod fixtures;
pub mod phone;
pub mod postgres;
pub mod provider;
pub mod relay;
pub mod tls;

pub use bank::{BankClient, BankError};
pub use control::ClockControl;
pub use device::{Activated, DeviceClient, DeviceError};
pub use postgres::{PgCluster, PgError, PgOptions, PgTls};
pub use provider::{KitError, TestProvider};
pub use relay::TamperingRelay;
