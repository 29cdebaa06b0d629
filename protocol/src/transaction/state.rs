//! A transaction's life cycle (9.7) and the user's one-tap decision (9.5).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{TransactionError, TransactionField};

/// Where a transaction is in its life cycle. Every state but `pending` is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionState {
    /// Registered by the bank, waiting for the user.
    Pending,
    /// The user approved it with one tap.
    Approved,
    /// The user rejected it: "I did not make this transfer" (not the same as expiry).
    Rejected,
    /// The bank verified the typed transaction code.
    Confirmed,
    /// Its lifetime passed with no decision.
    Expired,
    /// Three wrong codes, or its token was locked or revoked.
    Failed,
    /// The bank cancelled it.
    Cancelled,
}

impl TransactionState {
    /// Every state, `pending` first.
    pub const ALL: [TransactionState; 7] = [
        TransactionState::Pending,
        TransactionState::Approved,
        TransactionState::Rejected,
        TransactionState::Confirmed,
        TransactionState::Expired,
        TransactionState::Failed,
        TransactionState::Cancelled,
    ];

    /// The snake_case wire name, also the MAC input of 9.4.
    pub const fn as_str(self) -> &'static str {
        match self {
            TransactionState::Pending => "pending",
            TransactionState::Approved => "approved",
            TransactionState::Rejected => "rejected",
            TransactionState::Confirmed => "confirmed",
            TransactionState::Expired => "expired",
            TransactionState::Failed => "failed",
            TransactionState::Cancelled => "cancelled",
        }
    }

    /// Parses a wire name (for the provider's store).
    pub fn parse(name: &str) -> Result<TransactionState, TransactionError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or(TransactionError::Invalid {
                field: TransactionField::State,
            })
    }

    /// Whether no transition leads out of this state (all but `pending`).
    pub const fn is_final(self) -> bool {
        !matches!(self, TransactionState::Pending)
    }
}

impl fmt::Display for TransactionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The user's one-tap answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// "Yes, I am making this transfer."
    Approve,
    /// "I did not make this transfer."
    Reject,
}

impl Decision {
    /// The wire name, also the MAC input `d` of 9.4.
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Result<Decision, TransactionError> {
        [Decision::Approve, Decision::Reject]
            .into_iter()
            .find(|d| d.as_str() == name)
            .ok_or(TransactionError::Invalid {
                field: TransactionField::Decision,
            })
    }

    /// The state a transaction takes when this decision wins.
    pub const fn resulting_state(self) -> TransactionState {
        match self {
            Decision::Approve => TransactionState::Approved,
            Decision::Reject => TransactionState::Rejected,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_only_pending_is_open() {
        for state in TransactionState::ALL {
            assert_eq!(TransactionState::parse(state.as_str()).unwrap(), state);
            assert_eq!(
                serde_json::to_string(&state).unwrap(),
                format!("\"{state}\"")
            );
            assert_eq!(state.is_final(), state != TransactionState::Pending);
        }
        assert!(TransactionState::parse("Pending").is_err());
        for d in [Decision::Approve, Decision::Reject] {
            assert_eq!(Decision::parse(d.as_str()).unwrap(), d);
        }
        assert_eq!(
            Decision::Reject.resulting_state(),
            TransactionState::Rejected
        );
        assert!(Decision::parse("yes").is_err());
    }
}
