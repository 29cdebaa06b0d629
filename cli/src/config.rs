//! The CLI's data directory and what it keeps there besides the core's `tokens.json`: the
//! provider each token was set up with (URL and pinned CA certificate), so later commands can
//! reach it. Nothing here is secret.
//!
//! ```text
//! DATA_DIR/tokens.json      token metadata (the app core's file)
//! DATA_DIR/providers.json   {"schema_version":1,"providers":[{"url":"https://…","ca_pem":"-----BEGIN…"}]}
//! ```
//!
//! `DATA_DIR` is `--data-dir`, else `SOFTTOKEN_HOME`, else `$XDG_DATA_HOME/softtoken`, else
//! `~/.local/share/softtoken` (`~/Library/Application Support/softtoken` on macOS).

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::error::{CliError, Exit};

/// The providers file's name.
const PROVIDERS_FILE: &str = "providers.json";
/// Its schema version.
const SCHEMA_VERSION: u64 = 1;

/// The data directory: `--data-dir`/`SOFTTOKEN_HOME` (clap reads both) or the platform default.
pub fn data_dir(explicit: Option<PathBuf>) -> Result<PathBuf, CliError> {
    // An empty SOFTTOKEN_HOME means "not set", not the current directory.
    if let Some(dir) = explicit.filter(|d| !d.as_os_str().is_empty()) {
        return Ok(dir);
    }
    let nonempty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if !cfg!(target_os = "macos")
        && let Some(xdg) = nonempty("XDG_DATA_HOME")
    {
        return Ok(PathBuf::from(xdg).join("softtoken"));
    }
    let home = nonempty("HOME").ok_or_else(|| {
        CliError::new(Exit::Usage, "no data directory: HOME is not set")
            .next("pass --data-dir DIR or set SOFTTOKEN_HOME")
    })?;
    let base = if cfg!(target_os = "macos") {
        PathBuf::from(home).join("Library/Application Support")
    } else {
        PathBuf::from(home).join(".local/share")
    };
    Ok(base.join("softtoken"))
}

/// One provider: where it is and the CA certificate pinned for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    /// Base URL, `https://…`, without a trailing slash.
    pub url: String,
    /// The CA certificate(s), PEM.
    pub ca_pem: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ProvidersFile {
    schema_version: u64,
    #[serde(default)]
    providers: Vec<Provider>,
}

/// The providers known in a data directory.
#[derive(Debug)]
pub struct Providers {
    path: PathBuf,
    file: ProvidersFile,
}

impl Providers {
    /// Reads `providers.json` (none yet: no providers).
    pub fn load(data_dir: &Path) -> Result<Self, CliError> {
        let path = data_dir.join(PROVIDERS_FILE);
        let file = match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str::<ProvidersFile>(&text).map_err(|e| {
                CliError::new(
                    Exit::Storage,
                    format!("{} is corrupted: {e}", path.display()),
                )
                .next("fix or delete it, then run `softtoken activate` again")
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ProvidersFile {
                schema_version: SCHEMA_VERSION,
                providers: Vec::new(),
            },
            Err(e) => {
                return Err(CliError::new(
                    Exit::Storage,
                    format!("cannot read {}: {e}", path.display()),
                ));
            }
        };
        if file.schema_version > SCHEMA_VERSION {
            return Err(CliError::new(
                Exit::Storage,
                format!("{} was written by a newer softtoken", path.display()),
            )
            .next("use that version"));
        }
        Ok(Self { path, file })
    }

    /// The provider with this URL.
    pub fn find(&self, url: &str) -> Option<&Provider> {
        let url = normalize_url(url);
        self.file.providers.iter().find(|p| p.url == url)
    }

    /// Any provider (for commands that do not go to the network).
    pub fn any(&self) -> Option<&Provider> {
        self.file.providers.first()
    }

    /// Adds or replaces the provider with this URL and writes the file.
    pub fn upsert(&mut self, url: &str, ca_pem: &str) -> Result<(), CliError> {
        let provider = Provider {
            url: normalize_url(url),
            ca_pem: ca_pem.to_owned(),
        };
        self.file.providers.retain(|p| p.url != provider.url);
        self.file.providers.push(provider);
        self.file.schema_version = SCHEMA_VERSION;
        self.save()
    }

    /// Writes to a temporary file and renames it over the old one: never half a file.
    fn save(&self) -> Result<(), CliError> {
        let fail = |e: std::io::Error| {
            CliError::new(
                Exit::Storage,
                format!("cannot write {}: {e}", self.path.display()),
            )
        };
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(fail)?;
        }
        let text = serde_json::to_string_pretty(&self.file)
            .map_err(|e| CliError::new(Exit::Failure, e.to_string()))?;
        let tmp = self.path.with_extension("json.tmp");
        let mut out = fs::File::create(&tmp).map_err(fail)?;
        out.write_all(text.as_bytes()).map_err(fail)?;
        out.sync_all().map_err(fail)?;
        fs::rename(&tmp, &self.path).map_err(fail)
    }
}

/// The core stores provider URLs without a trailing slash; so do we, to match them.
fn normalize_url(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_round_trip_and_replace_by_url() {
        let dir = tempfile::tempdir().unwrap();
        let mut providers = Providers::load(dir.path()).unwrap();
        assert!(providers.any().is_none());
        providers.upsert("https://a.example/", "CA1").unwrap();
        providers.upsert("https://b.example", "CA2").unwrap();
        providers.upsert("https://a.example", "CA3").unwrap();
        let again = Providers::load(dir.path()).unwrap();
        assert_eq!(again.find("https://a.example").unwrap().ca_pem, "CA3");
        assert_eq!(again.find("https://b.example/").unwrap().ca_pem, "CA2");
        assert_eq!(again.file.providers.len(), 2);
    }

    #[test]
    fn explicit_data_dir_wins() {
        let dir = data_dir(Some(PathBuf::from("/x/y"))).unwrap();
        assert_eq!(dir, PathBuf::from("/x/y"));
    }
}
