//! The provider's rules, independent of HTTP and of the database behind storage: each function
//! takes parsed input and the shared [`ServerState`](crate::state::ServerState) and returns a
//! wire reply or an [`ApiError`](crate::error::ApiError). `docs/protocol.md` §7 is the
//! specification these implement.
//!
//! | module | rule |
//! |---|---|
//! | [`issuance`] | issuing a token (bank) |
//! | [`activation`] | activating it on a phone (OPAQUE, two round trips) |
//! | [`verification`] | verifying a code (bank), with the replay and lockout rules |
//! | [`status`] | a phone asking for its token's state |
//! | [`lifecycle`] | what the bank sees and does to a token: details, revocation, unlocking |
//! | [`transactions`] | transaction authentication (§9): register, list, decide, verify, cancel, read (long poll), offline codes |
//! | [`housekeeping`] | the periodic run: expiries written, retention applied, old activations and challenges deleted |

pub mod activation;
pub mod housekeeping;
pub mod issuance;
pub mod lifecycle;
pub mod status;
pub mod transactions;
pub mod verification;
