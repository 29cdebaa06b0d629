//! The one way the provider writes a file it must not lose half of: the KEK file, the TLS key and
//! certificates of `--dev`, and the dev bank API key.
//!
//! [`write_atomic`] writes the contents to a temporary file beside the target (created with its
//! final permissions, so a secret is never readable by others even for an instant), syncs it,
//! moves it into place in one step and syncs the directory, so that a crash or power loss leaves
//! either the old file, or no file, or the complete new one — never a truncated key.

use std::{
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
};

use rand_core::{OsRng, RngCore};

/// Who may read the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The owner only (mode 0600): keys and other secrets.
    OwnerOnly,
    /// Anyone (mode 0644): certificates, which clients read to pin.
    Public,
}

/// What to do when the target exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Replace it (in one step: readers see the old or the new contents).
    Replace,
    /// Leave it and fail with [`io::ErrorKind::AlreadyExists`]; deciding and creating are one
    /// atomic step, so two writers cannot both succeed.
    Refuse,
}

/// Writes `contents` to `path` atomically with the given permissions (see the module
/// documentation). The error is the underlying I/O error; callers add the path and what to do.
pub fn write_atomic(
    path: &Path,
    contents: &[u8],
    access: Access,
    existing: Existing,
) -> io::Result<()> {
    let tmp = temporary_beside(path);
    let written = write_new(&tmp, contents, access).and_then(|()| match existing {
        Existing::Replace => fs::rename(&tmp, path),
        // A hard link fails if the target exists, atomically; the temporary name goes after.
        Existing::Refuse => fs::hard_link(&tmp, path).and_then(|()| fs::remove_file(&tmp)),
    });
    if let Err(err) = written {
        // Best effort: the error that matters is the one returned.
        let _ignored = fs::remove_file(&tmp);
        return Err(err);
    }
    sync_parent(path)
}

/// A name for the temporary file in the target's directory, unique to this write so that two
/// writers never share one.
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{:016x}.tmp", OsRng.next_u64()))
}

/// Creates `path` (which must not exist) with its final permissions, writes and syncs it.
fn write_new(path: &Path, contents: &[u8], access: Access) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(match access {
            Access::OwnerOnly => 0o600,
            Access::Public => 0o644,
        });
    }
    #[cfg(not(unix))]
    let _ = access;
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Persists the rename (or link) itself across a power loss.
fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        fs::File::open(parent)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn replaces_with_the_asked_permissions_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        write_atomic(&key, b"one", Access::OwnerOnly, Existing::Replace).unwrap();
        write_atomic(&key, b"two", Access::OwnerOnly, Existing::Replace).unwrap();
        assert_eq!(fs::read(&key).unwrap(), b"two");
        let cert = dir.path().join("cert.pem");
        write_atomic(&cert, b"cert", Access::Public, Existing::Replace).unwrap();
        #[cfg(unix)]
        {
            assert_eq!(mode(&key), 0o600);
            assert_eq!(mode(&cert), 0o644);
        }
        assert_eq!(names(dir.path()), ["cert.pem", "key.pem"]);
    }

    #[test]
    fn refuses_an_existing_file_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek.hex");
        write_atomic(&path, b"first", Access::OwnerOnly, Existing::Refuse).unwrap();
        let err = write_atomic(&path, b"second", Access::OwnerOnly, Existing::Refuse).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"first");
        assert_eq!(names(dir.path()), ["kek.hex"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-dir/file");
        let err = write_atomic(&path, b"x", Access::OwnerOnly, Existing::Replace).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(names(dir.path()).is_empty());
    }
}
