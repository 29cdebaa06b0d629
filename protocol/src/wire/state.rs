//! Token states, as the provider reports them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The life cycle of a token on the provider (`docs/protocol.md`, "Token states").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    /// Issued by the bank; waiting for the app to activate it.
    Issued,
    /// Activated on a phone; waiting for the first code to be verified (認証確認).
    PendingConfirmation,
    /// In use.
    Active,
    /// Too many wrong codes; the bank must unlock it.
    Locked,
    /// Too many failed activation attempts; the bank must issue a new token.
    ActivationLocked,
    /// Revoked by the bank (e.g. for a lost phone); final.
    Revoked,
    /// Retired by the 認証確認 of a newer token of the same customer (a phone change); final.
    Replaced,
    /// Not activated in time; final.
    Expired,
}

impl TokenState {
    /// The snake_case wire name, also used in MAC inputs.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Issued => "issued",
            TokenState::PendingConfirmation => "pending_confirmation",
            TokenState::Active => "active",
            TokenState::Locked => "locked",
            TokenState::ActivationLocked => "activation_locked",
            TokenState::Revoked => "revoked",
            TokenState::Replaced => "replaced",
            TokenState::Expired => "expired",
        }
    }

    /// Whether no transition leads out of this state.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TokenState::ActivationLocked
                | TokenState::Revoked
                | TokenState::Replaced
                | TokenState::Expired
        )
    }
}

impl fmt::Display for TokenState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
