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
use sqlx::{Row, postgres::PgRow, sqlite::SqliteRow};

use crate::secrets::kek::Sealed;

/// A row of either backend, read by column name. The same Rust types come out of both: TEXT
/// as `&str`, INTEGER (SQLite) and BIGINT (PostgreSQL) as `i64`, BLOB and BYTEA as bytes.
pub(super) trait StoredRow {
    /// A TEXT column, `None` for NULL.
    fn optional_str(&self, column: &str) -> Result<Option<&str>, sqlx::Error>;
    /// An integer column, `None` for NULL.
    fn optional_i64(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
    /// A blob column, `None` for NULL.
    fn optional_bytes(&self, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error>;
}

macro_rules! stored_row {
    ($($row:ty),*) => {$(
        impl StoredRow for $row {
            fn optional_str(&self, column: &str) -> Result<Option<&str>, sqlx::Error> {
                self.try_get(column)
            }
            fn optional_i64(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
                self.try_get(column)
            }
            fn optional_bytes(&self, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
                self.try_get(column)
            }
        }
    )*};
}

stored_row!(SqliteRow, PgRow);

/// A NULL where the schema allows none.
fn required<T>(value: Option<T>, column: &str) -> Result<T, sqlx::Error> {
    value.ok_or_else(|| invalid(column, "a value (it is NULL)"))
}

/// Reads a TEXT column as a string.
pub(super) fn string(row: &impl StoredRow, column: &str) -> Result<String, sqlx::Error> {
    required(row.optional_str(column)?, column).map(str::to_owned)
}

/// Reads a nullable TEXT column as a string.
pub(super) fn optional_string(
    row: &impl StoredRow,
    column: &str,
) -> Result<Option<String>, sqlx::Error> {
    Ok(row.optional_str(column)?.map(str::to_owned))
}

/// Reads a blob column.
pub(super) fn bytes(row: &impl StoredRow, column: &str) -> Result<Vec<u8>, sqlx::Error> {
    required(row.optional_bytes(column)?, column)
}

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
pub(super) fn text<T: Text>(row: &impl StoredRow, column: &str) -> Result<T, sqlx::Error> {
    let stored = required(row.optional_str(column)?, column)?;
    T::from_stored(stored).ok_or_else(|| invalid(column, T::WHAT))
}

/// A nullable TEXT column read into its type (`None` for NULL).
pub(super) fn optional_text<T: Text>(
    row: &impl StoredRow,
    column: &str,
) -> Result<Option<T>, sqlx::Error> {
    let stored = row.optional_str(column)?;
    stored
        .map(|text| T::from_stored(text).ok_or_else(|| invalid(column, T::WHAT)))
        .transpose()
}

/// Reads an INTEGER column as an unsigned (or narrower) number.
pub(super) fn number<T: TryFrom<i64>>(
    row: &impl StoredRow,
    column: &str,
) -> Result<T, sqlx::Error> {
    let stored = required(row.optional_i64(column)?, column)?;
    T::try_from(stored).map_err(|_| invalid(column, "a number in range"))
}

/// Reads a nullable INTEGER column (see [`number`]).
pub(super) fn optional_number<T: TryFrom<i64>>(
    row: &impl StoredRow,
    column: &str,
) -> Result<Option<T>, sqlx::Error> {
    let stored = row.optional_i64(column)?;
    stored
        .map(|value| T::try_from(value).map_err(|_| invalid(column, "a number in range")))
        .transpose()
}

/// Reads the token parameters stored in the columns `algorithm`, `digits` and `period`.
pub(super) fn params(row: &impl StoredRow) -> Result<TokenParams, sqlx::Error> {
    TokenParams::new(
        text(row, "algorithm")?,
        number(row, "digits")?,
        number(row, "period")?,
    )
    .map_err(|_| invalid("algorithm, digits, period", "token parameters"))
}

/// Reads a sealed secret: the blob in `blob` and its KEK version in `version`.
pub(super) fn sealed(
    row: &impl StoredRow,
    blob: &str,
    version: &str,
) -> Result<Sealed, sqlx::Error> {
    Ok(Sealed {
        blob: bytes(row, blob)?,
        kek_version: number(row, version)?,
    })
}

/// Reads a sealed secret that may be absent (both columns NULL); one column without the other
/// is an error.
pub(super) fn optional_sealed(
    row: &impl StoredRow,
    blob: &str,
    version: &str,
) -> Result<Option<Sealed>, sqlx::Error> {
    match (row.optional_bytes(blob)?, optional_number(row, version)?) {
        (Some(blob), Some(kek_version)) => Ok(Some(Sealed { kek_version, blob })),
        (None, None) => Ok(None),
        _ => Err(invalid(
            version,
            "a KEK version exactly when there is a sealed value",
        )),
    }
}

/// An unsigned time, step or counter for an INTEGER (SQLite) or BIGINT (PostgreSQL) column,
/// both `i64`; values beyond
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
