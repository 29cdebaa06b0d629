//! # softtoken-core
//!
//! Everything the SoftToken phone app does, so the Kotlin and Swift shells stay thin:
//! activation against the provider, seeds kept only in the platform keystore, 8-digit codes,
//! status and re-setup.
//!
//! | module | holds |
//! |---|---|
//! | [`secret_store`] | the `SecretStore` trait a shell may implement, and its adapter into keyring-core |
//! | [`keystore`] | the seed vault: which keystore, entry naming, the stored seed format |
//! | [`metadata`] | token metadata (no secrets) in a versioned JSON file, replaced atomically |
//! | [`softtoken`] | [`SoftToken`], the API: activate, tokens, current code, refresh, remove, rename; the activation phase spans |
//! | [`token`] | what the app shows: [`TokenInfo`], [`TokenStatus`], [`OtpCode`] |
//! | [`transaction`] | what the app shows for 取引認証: a pending transfer, a decision's outcome, the amount and account formats |
//! | [`error`] | [`CoreError`], the one error callers see |
//! | `net` | the HTTPS client to the provider: retries (`Retry::Never` / `Retry::Idempotent` per request) and error replies; `net/endpoint` the base URL's rules; `net/tls` the TLS 1.3 policy (pinned CA, narrowed algorithms); `net/transport` one request through reqwest (a connection of its own, timeouts, a bounded reply, the mapping of its errors) |

pub mod error;
pub mod keystore;
pub mod metadata;
mod net;
pub mod secret_store;
pub mod softtoken;
pub mod token;
pub mod transaction;

pub use error::CoreError;
pub use keystore::StoreChoice;
pub use net::Timeouts;
pub use softtoken::{CoreConfig, SoftToken};
/// The one clock trait of the workspace (`softtoken-protocol`), re-exported for callers of the core.
pub use softtoken_protocol::clock::{Clock, ManualClock, SystemClock};
/// The setup screen's ID-field rule, shared by both shells through the bindings.
pub use softtoken_protocol::id_input;
pub use token::{OtpCode, TokenInfo, TokenStatus};
