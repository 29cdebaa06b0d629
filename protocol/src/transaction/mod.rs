//! Transaction authentication (取引認証, `docs/protocol.md` §9): the phone shows a transfer's
//! payee and amount, and what the user confirms with is bound to exactly them.
//!
//! - values, each validated and canonical on construction: [`TransactionId`] (`id`),
//!   [`BankCode`], [`BranchCode`], [`AccountType`], [`AccountNumber`] (`account`),
//!   [`HolderName`] (`name`), [`Reference`] (`reference`), [`Amount`] (`amount`), [`Payee`]
//!   (`payee`);
//! - [`Transaction`] and its canonical bytes and digest (`canonical`, 9.2);
//! - [`TransactionState`] and [`Decision`] (`state`, 9.7);
//! - [`TransactionKeys`]: the keys derived from the seed (`keys`, 9.1), the OCRA codes of both
//!   modes (`codes`, 9.3) and the MACs (`macs`, 9.4–9.5);
//! - [`OfflineChallenge`]: what the user types for an offline code (`offline`, 9.3);
//! - [`TransactionError`], the one error of all of them (`error`).
//!
//! The JSON messages are in [`crate::wire`].

mod account;
mod amount;
mod canonical;
mod codes;
mod error;
mod id;
mod keys;
mod macs;
mod name;
mod offline;
mod payee;
pub(crate) mod redact;
mod reference;
mod state;
mod text;

pub use account::{AccountNumber, AccountType, BankCode, BranchCode};
pub use amount::Amount;
pub use canonical::{DIGEST_LEN, Transaction};
pub use codes::{CODE_DIGITS, CODE_STEP_SECS, VERIFY_WINDOW};
pub use error::{TransactionError, TransactionField};
pub use id::TransactionId;
pub use keys::TransactionKeys;
pub use macs::MAC_LEN;
pub use name::HolderName;
pub use offline::{OfflineChallenge, online_suite};
pub use payee::Payee;
pub use reference::Reference;
pub use state::{Decision, TransactionState};
