//! Token metadata (no secrets) in a versioned JSON file, replaced atomically.
//!
//! The file is `tokens.json` in the app's data directory:
//!
//! ```json
//! {
//!   "schema_version": 1,
//!   "tokens": [ { "id": "…", "service_id": "10121234", … } ]
//! }
//! ```
//!
//! Rules that keep the user's tokens safe across app versions and restores:
//!
//! - Schema version 1 stays readable forever. Unknown fields are ignored, and an unknown
//!   token state reads as [`RecordState::Unknown`] rather than failing the whole file.
//! - A file written by a newer app (`schema_version` > 1) is refused with
//!   [`MetadataError::NewerVersion`]; a file that cannot be parsed is refused with
//!   [`MetadataError::Corrupted`]. In both cases nothing is deleted or rewritten, and
//!   [`MetadataStore::save`] refuses to overwrite it, so a save can never destroy data the app
//!   could not read.
//! - Saving writes `tokens.json.tmp`, flushes it to disk, renames it over `tokens.json` and
//!   flushes the directory, so a crash leaves either the old file or the new one, never a mix.
//!
//! Seeds are never here: they live in the keystore ([`crate::keystore`]). A restored backup
//! therefore brings this file back without the seeds, and each token reports "needs re-setup".

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use softtoken_protocol::totp::Algorithm;

/// The schema version this code writes, and the newest it reads.
pub const SCHEMA_VERSION: u64 = 1;

/// The metadata file's name inside the data directory.
pub const FILE_NAME: &str = "tokens.json";

/// The temporary file a save writes before renaming it over [`FILE_NAME`].
const TEMP_FILE_NAME: &str = "tokens.json.tmp";

/// What the app knows about one token, apart from its seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// The app's own id for the token; also names its seed entry in the keystore.
    pub id: String,
    /// The bank's Service ID (8 digits).
    pub service_id: String,
    /// The User ID (16 characters).
    pub user_id: String,
    /// A name the user gave the token, if any.
    #[serde(default)]
    pub label: Option<String>,
    /// The HMAC hash of the token's codes.
    pub algorithm: Algorithm,
    /// Digits per code.
    pub digits: u8,
    /// Seconds per time step.
    pub period: u32,
    /// The token's lifecycle state, as last learnt from the provider.
    pub state: RecordState,
    /// When the token was set up on this phone, in Unix milliseconds.
    pub created_at_ms: u64,
    /// Provider clock minus phone clock, in milliseconds, applied when computing codes.
    #[serde(default)]
    pub clock_offset_ms: i64,
    /// When the state was last refreshed from the provider, in Unix milliseconds.
    #[serde(default)]
    pub last_refresh_ms: Option<u64>,
    /// The provider's base URL.
    pub provider_url: String,
    /// When a newer token of the same customer retired this one (its 認証確認 on the new
    /// phone), in the provider's Unix milliseconds; set with [`RecordState::Replaced`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_at_ms: Option<u64>,
}

/// A token's lifecycle state as the app records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    /// Activated on this phone; waiting for the first code to be verified by the bank.
    PendingConfirmation,
    /// In use.
    Active,
    /// Revoked by the bank (final).
    Revoked,
    /// Moved to a new phone: the new phone's token retired this one at its 認証確認 (final).
    Replaced,
    /// Too many wrong codes; the bank must unlock it.
    Locked,
    /// Not activated and confirmed in time (final).
    Expired,
    /// A state written by a newer app that this version does not know. Refresh from the
    /// provider to learn the real state.
    #[serde(other)]
    Unknown,
}

/// Why reading or writing the metadata file failed. Reasons never contain secrets (the file
/// holds none).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// The file system failed.
    #[error("metadata file I/O failed: {reason}")]
    Io {
        /// What failed.
        reason: String,
    },
    /// The file exists but cannot be parsed; it is left untouched.
    #[error("metadata file is corrupted: {reason}")]
    Corrupted {
        /// What is wrong with it.
        reason: String,
    },
    /// The file was written by a newer app version; it is left untouched.
    #[error("metadata file has schema version {found}, newer than this app supports")]
    NewerVersion {
        /// The schema version found in the file.
        found: u64,
    },
}

/// The file's envelope, as written.
#[derive(Serialize)]
struct EnvelopeOut<'a> {
    schema_version: u64,
    tokens: &'a [TokenRecord],
}

/// The envelope's version alone, read before anything else so a newer file is recognised even
/// when the rest of it no longer fits this code's types.
#[derive(Deserialize)]
struct VersionProbe {
    schema_version: u64,
}

/// The version-1 envelope, as read.
#[derive(Deserialize)]
struct EnvelopeV1 {
    tokens: Vec<TokenRecord>,
}

/// The metadata file in one data directory.
#[derive(Debug)]
pub struct MetadataStore {
    dir: PathBuf,
    path: PathBuf,
    /// Serialises saves through this store, so two saves never share the temp file.
    save_lock: Mutex<()>,
}

impl MetadataStore {
    /// Opens the metadata file in `data_dir`, creating the directory if needed. The file
    /// itself is not read or created until [`load`](Self::load) or [`save`](Self::save).
    pub fn open(data_dir: &Path) -> Result<Self, MetadataError> {
        fs::create_dir_all(data_dir).map_err(|e| io_error("creating the data directory", &e))?;
        Ok(Self {
            dir: data_dir.to_path_buf(),
            path: data_dir.join(FILE_NAME),
            save_lock: Mutex::new(()),
        })
    }

    /// The metadata file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads all token records. A missing file means no tokens.
    ///
    /// A corrupted file or one from a newer app is reported, never deleted or rewritten.
    pub fn load(&self) -> Result<Vec<TokenRecord>, MetadataError> {
        match self.read_existing()? {
            Some(tokens) => Ok(tokens),
            None => Ok(Vec::new()),
        }
    }

    /// Replaces the file with `tokens`, atomically.
    ///
    /// Refuses (with the same error [`load`](Self::load) would give) when the existing file is
    /// corrupted or from a newer app, so a save never destroys data it could not read.
    pub fn save(&self, tokens: &[TokenRecord]) -> Result<(), MetadataError> {
        let _guard = self
            .save_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Re-checked on every save: the file may have changed since it was loaded (a restore,
        // a newer app version that was later downgraded).
        self.read_existing()?;

        let mut json = serde_json::to_vec_pretty(&EnvelopeOut {
            schema_version: SCHEMA_VERSION,
            tokens,
        })
        .map_err(|e| MetadataError::Io {
            reason: format!("serialising the token records: {e}"),
        })?;
        json.push(b'\n');

        let temp = self.dir.join(TEMP_FILE_NAME);
        if let Err(err) = write_synced(&temp, &json) {
            // Best effort: a leftover temp file is harmless (it is truncated by the next save
            // and never read), so a failure to remove it is not reported over the real error.
            let _ = fs::remove_file(&temp);
            return Err(err);
        }
        if let Err(e) = fs::rename(&temp, &self.path) {
            let _ = fs::remove_file(&temp);
            return Err(io_error("replacing the metadata file", &e));
        }
        sync_dir(&self.dir)
    }

    /// The records in the existing file, `None` if there is no file, or why it is unusable.
    fn read_existing(&self) -> Result<Option<Vec<TokenRecord>>, MetadataError> {
        match fs::read(&self.path) {
            Ok(bytes) => decode(&bytes).map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("reading the metadata file", &e)),
        }
    }
}

/// Parses the file's bytes: the version first, then the version-1 envelope.
fn decode(bytes: &[u8]) -> Result<Vec<TokenRecord>, MetadataError> {
    let probe: VersionProbe =
        serde_json::from_slice(bytes).map_err(|e| MetadataError::Corrupted {
            reason: format!("no readable schema version: {e}"),
        })?;
    match probe.schema_version {
        SCHEMA_VERSION => {
            let envelope: EnvelopeV1 =
                serde_json::from_slice(bytes).map_err(|e| MetadataError::Corrupted {
                    reason: format!("schema version 1 content: {e}"),
                })?;
            Ok(envelope.tokens)
        }
        found if found > SCHEMA_VERSION => Err(MetadataError::NewerVersion { found }),
        found => Err(MetadataError::Corrupted {
            reason: format!("unknown schema version {found}"),
        }),
    }
}

/// Creates or truncates `path`, writes `bytes` and flushes them to the disk.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), MetadataError> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        // Owner-only: the records hold no secrets, but they do identify the user at the bank.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| io_error("creating the temporary metadata file", &e))?;
    file.write_all(bytes)
        .map_err(|e| io_error("writing the temporary metadata file", &e))?;
    file.sync_all()
        .map_err(|e| io_error("flushing the temporary metadata file", &e))
}

/// Flushes the directory entry of the rename, so the new file survives a power loss.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), MetadataError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("flushing the data directory", &e))
}

/// Windows cannot open a directory as a file to flush it; its rename is already durable
/// enough for NTFS's metadata journal.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), MetadataError> {
    Ok(())
}

fn io_error(doing: &str, err: &io::Error) -> MetadataError {
    MetadataError::Io {
        reason: format!("{doing}: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_checked_before_content() {
        // A newer file whose tokens no longer fit v1's types is still recognised as newer.
        assert_eq!(
            decode(br#"{"schema_version": 7, "tokens": "elsewhere"}"#),
            Err(MetadataError::NewerVersion { found: 7 })
        );
        assert!(matches!(
            decode(br#"{"schema_version": 0, "tokens": []}"#),
            Err(MetadataError::Corrupted { .. })
        ));
        assert!(matches!(
            decode(br#"{"tokens": []}"#),
            Err(MetadataError::Corrupted { .. })
        ));
        assert!(matches!(
            decode(br#"{"schema_version": 1, "tokens": [{"id": 5}]}"#),
            Err(MetadataError::Corrupted { .. })
        ));
        assert_eq!(
            decode(br#"{"schema_version": 1, "tokens": []}"#),
            Ok(Vec::new())
        );
    }

    #[test]
    fn states_serialise_in_snake_case() {
        let json = serde_json::to_string(&RecordState::PendingConfirmation).unwrap();
        assert_eq!(json, r#""pending_confirmation""#);
        let state: RecordState = serde_json::from_str(r#""suspended""#).unwrap();
        assert_eq!(state, RecordState::Unknown);
    }
}
