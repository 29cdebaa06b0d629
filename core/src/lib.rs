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

pub mod keystore;
pub mod metadata;
pub mod secret_store;
