//! # softtoken-protocol
//!
//! Everything the SoftToken app and the provider must agree on, byte for byte:
//!
//! - [`clock`]: the one `Clock` trait, the system clock and the clock tests move by hand.
//! - [`ids`]: the Service ID and User ID rules, and the normaliser that turns what a user typed
//!   (full-width digits, spaces, hyphens) into canonical ASCII before any check.
//! - [`otp_input`]: the same normaliser applied to a typed one-time password.
//! - [`ocra`]: RFC 6287 challenge-response codes, for transaction authentication.
//! - [`totp`]: RFC 6238 codes (8 digits by default) and the server's windowed verification.
//! - [`secret`]: the token seed type, which zeroizes itself and never prints.
//! - [`activation`]: the OPAQUE activation handshake and the seed derivation.
//! - [`status`]: proof of seed possession for the status call.
//! - [`transaction`]: transaction authentication (取引認証): canonical transactions, their
//!   OCRA codes and MACs, and the offline challenge.
//! - [`wire`]: the JSON messages of every HTTP exchange.
//!
//! `docs/protocol.md` in the repository is the normative description; this crate is its reference
//! implementation.

mod normalize;

pub mod activation;
pub mod clock;
pub mod id_input;
pub mod ids;
pub mod ocra;
pub mod otp_input;
pub mod secret;
pub mod status;
pub mod totp;
pub mod transaction;
pub mod wire;
