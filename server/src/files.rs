//! The provider's file rules, in one place (issue 12, finding 7):
//!
//! - Everything the provider creates is its own alone, whatever the umask: directories 0700
//!   ([`create_private_dir`]), files 0600 ([`create_private_file`], [`write_atomic`],
//!   [`make_private`]). The mode is given at creation, never fixed afterwards, so a file is not
//!   readable by others even for an instant. SQLite gives its `-wal` and `-shm` files the mode of
//!   the database file, which is therefore created here, 0600, before SQLite opens it.
//! - A secret the provider reads (the KEK file) must not be readable by group or others
//!   ([`readable_by_others`]); the caller refuses it unless told otherwise.
//! - A file it must not lose half of (the KEK file, the TLS key and certificates of `--dev`, the
//!   dev bank API key) is written atomically ([`write_atomic`]).
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

/// The mode of every file the provider creates.
pub const FILE_MODE: u32 = 0o600;
/// The mode of every directory the provider creates.
pub const DIR_MODE: u32 = 0o700;

/// Creates `path` and any missing parents with mode 0700. An existing directory is left as it
/// is (an operator may have made it on purpose).
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(path)
}

/// Creates the new, empty file `path` (which must not exist) with mode 0600.
pub fn create_private_file(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    options.open(path)
}

/// Sets mode 0600 on a file another library created (the outbox's mails, written by lettre
/// inside a 0700 directory, so no one else could open them in between).
pub fn make_private(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(FILE_MODE))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The permission bits of an open file if group or others may read or write it (`None`: the
/// owner's alone, or not a unix system).
pub fn readable_by_others(file: &fs::File) -> io::Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata()?.permissions().mode() & 0o777;
        Ok((mode & 0o066 != 0).then_some(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Ok(None)
    }
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

/// Writes `contents` to `path` atomically, mode 0600 (see the module documentation). The error
/// is the underlying I/O error; callers add the path and what to do.
pub fn write_atomic(path: &Path, contents: &[u8], existing: Existing) -> io::Result<()> {
    let tmp = temporary_beside(path);
    let written = write_new(&tmp, contents).and_then(|()| match existing {
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
fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = create_private_file(path)?;
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
    fn replaces_owner_only_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        write_atomic(&key, b"one", Existing::Replace).unwrap();
        write_atomic(&key, b"two", Existing::Replace).unwrap();
        assert_eq!(fs::read(&key).unwrap(), b"two");
        // Certificates too: everything the provider writes is its own (issue 12, finding 7).
        let cert = dir.path().join("cert.pem");
        write_atomic(&cert, b"cert", Existing::Replace).unwrap();
        #[cfg(unix)]
        {
            assert_eq!(mode(&key), 0o600);
            assert_eq!(mode(&cert), 0o600);
        }
        assert_eq!(names(dir.path()), ["cert.pem", "key.pem"]);
    }

    #[test]
    fn refuses_an_existing_file_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek.hex");
        write_atomic(&path, b"first", Existing::Refuse).unwrap();
        let err = write_atomic(&path, b"second", Existing::Refuse).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"first");
        assert_eq!(names(dir.path()), ["kek.hex"]);
    }

    #[cfg(unix)]
    #[test]
    fn private_dirs_and_files_and_the_check_of_others_access() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_private_dir(&nested).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        let file = nested.join("db");
        let open = create_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(readable_by_others(&open).unwrap(), None);
        assert!(
            create_private_file(&file).is_err(),
            "never over an existing file"
        );
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(readable_by_others(&open).unwrap(), Some(0o644));
        make_private(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
    }

    #[test]
    fn a_missing_directory_is_an_error_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-dir/file");
        let err = write_atomic(&path, b"x", Existing::Replace).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(names(dir.path()).is_empty());
    }
}
