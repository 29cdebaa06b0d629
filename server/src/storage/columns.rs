//! Conversions at the SQL boundary, once per column: IDs, token state and algorithm are TEXT
//! columns read into their types here (and bound as their canonical spelling); times, steps and
//! counters are INTEGER (`i64`) columns read as unsigned; a sealed secret is a BLOB with its KEK
//! version beside it. A stored value that does not convert is a decode error naming the column
//! (the schema's checks make it corruption), never a guess.

use softtoken_protocol::{
    ids::{ServiceId, UserId},
    totp::{Algorithm, TokenParams},
    transaction::{
        AccountNumber, AccountType, BankCode, BranchCode, HolderName, TransactionId,
        TransactionState,
    },
    wire::TokenState,
};
use sqlx::{Row, sqlite::SqliteRow};

use crate::secrets::kek::Sealed;

/// A value kept in a TEXT column by its canonical spelling.
pub(super) trait Text: Sized {
    /// What the column holds, for the decode error.
    const WHAT: &'static str;
    /// The value a stored spelling stands for.
    fn from_stored(text: &str) -> Option<Self>;
}

impl Text for ServiceId {
    const WHAT: &'static str = "a Service ID";
    fn from_stored(text: &str) -> Option<Self> {
        ServiceId::parse(text).ok()
    }
}

impl Text for UserId {
    const WHAT: &'static str = "a User ID";
    fn from_stored(text: &str) -> Option<Self> {
        UserId::parse(text).ok()
    }
}

impl Text for TokenState {
    const WHAT: &'static str = "a token state";
    fn from_stored(text: &str) -> Option<Self> {
        // The names of `TokenState::as_str`, which is what is stored.
        Some(match text {
            "issued" => TokenState::Issued,
            "pending_confirmation" => TokenState::PendingConfirmation,
            "active" => TokenState::Active,
            "locked" => TokenState::Locked,
            "activation_locked" => TokenState::ActivationLocked,
            "revoked" => TokenState::Revoked,
            "replaced" => TokenState::Replaced,
            "expired" => TokenState::Expired,
            _ => return None,
        })
    }
}

impl Text for Algorithm {
    const WHAT: &'static str = "an algorithm";
    fn from_stored(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// Transaction values, stored in their canonical spelling (`docs/protocol.md` §9.2), which
/// their parsers read back unchanged.
macro_rules! canonical_text {
    ($($type:ty => $what:literal),* $(,)?) => {$(
        impl Text for $type {
            const WHAT: &'static str = $what;
            fn from_stored(text: &str) -> Option<Self> {
                <$type>::parse(text).ok()
            }
        }
    )*};
}

canonical_text! {
    TransactionId => "a transaction id",
    TransactionState => "a transaction state",
    AccountType => "an account type",
    BankCode => "a bank code",
    BranchCode => "a branch code",
    AccountNumber => "an account number",
    HolderName => "a canonical holder name",
}

/// Reads a TEXT column as `T`.
pub(super) fn text<T: Text>(row: &SqliteRow, column: &str) -> Result<T, sqlx::Error> {
    let stored: &str = row.try_get(column)?;
    T::from_stored(stored).ok_or_else(|| invalid(column, T::WHAT))
}

/// A nullable TEXT column read into its type (`None` for NULL).
pub(super) fn optional_text<T: Text>(
    row: &SqliteRow,
    column: &str,
) -> Result<Option<T>, sqlx::Error> {
    let stored: Option<&str> = row.try_get(column)?;
    stored
        .map(|text| T::from_stored(text).ok_or_else(|| invalid(column, T::WHAT)))
        .transpose()
}

/// Reads an INTEGER column as an unsigned (or narrower) number.
pub(super) fn number<T: TryFrom<i64>>(row: &SqliteRow, column: &str) -> Result<T, sqlx::Error> {
    let stored: i64 = row.try_get(column)?;
    T::try_from(stored).map_err(|_| invalid(column, "a number in range"))
}

/// Reads a nullable INTEGER column (see [`number`]).
pub(super) fn optional_number<T: TryFrom<i64>>(
    row: &SqliteRow,
    column: &str,
) -> Result<Option<T>, sqlx::Error> {
    let stored: Option<i64> = row.try_get(column)?;
    stored
        .map(|value| T::try_from(value).map_err(|_| invalid(column, "a number in range")))
        .transpose()
}

/// Reads the token parameters stored in the columns `algorithm`, `digits` and `period`.
pub(super) fn params(row: &SqliteRow) -> Result<TokenParams, sqlx::Error> {
    TokenParams::new(
        text(row, "algorithm")?,
        number(row, "digits")?,
        number(row, "period")?,
    )
    .map_err(|_| invalid("algorithm, digits, period", "token parameters"))
}

/// Reads a sealed secret: the blob in `blob` and its KEK version in `version`.
pub(super) fn sealed(row: &SqliteRow, blob: &str, version: &str) -> Result<Sealed, sqlx::Error> {
    Ok(Sealed {
        blob: row.try_get(blob)?,
        kek_version: number(row, version)?,
    })
}

/// Reads a sealed secret that may be absent (both columns NULL); one column without the other
/// is an error.
pub(super) fn optional_sealed(
    row: &SqliteRow,
    blob: &str,
    version: &str,
) -> Result<Option<Sealed>, sqlx::Error> {
    match (row.try_get(blob)?, optional_number(row, version)?) {
        (Some(blob), Some(kek_version)) => Ok(Some(Sealed { kek_version, blob })),
        (None, None) => Ok(None),
        _ => Err(invalid(
            version,
            "a KEK version exactly when there is a sealed value",
        )),
    }
}

/// An unsigned time, step or counter for an INTEGER column (SQLite's are `i64`); values beyond
/// `i64::MAX` (the year 292 million) saturate.
pub(super) fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn invalid(column: &str, what: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: format!("the column does not hold {what}").into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_stored_name() {
        for state in [
            TokenState::Issued,
            TokenState::PendingConfirmation,
            TokenState::Active,
            TokenState::Locked,
            TokenState::ActivationLocked,
            TokenState::Revoked,
            TokenState::Replaced,
            TokenState::Expired,
        ] {
            assert_eq!(TokenState::from_stored(state.as_str()), Some(state));
        }
        assert_eq!(TokenState::from_stored("Active"), None);
        assert_eq!(int(u64::MAX), i64::MAX);
    }
}
