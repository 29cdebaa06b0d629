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
//! | [`replacement`] | a phone change: the new token's 認証確認 retires the customer's old token |
//! | [`status`] | a phone asking for its token's state |
//! | [`lifecycle`] | what the bank sees and does to a token: details, revocation, unlocking |
//! | [`transactions`] | transaction authentication (§9): register, list, decide, verify, cancel, read (long poll), offline codes |
//! | [`housekeeping`] | the periodic run: expiries written, retention applied, old activations and challenges deleted |

pub mod activation;
pub mod housekeeping;
pub mod issuance;
pub mod lifecycle;
pub mod replacement;
pub mod status;
pub mod transactions;
pub mod verification;
