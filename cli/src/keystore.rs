//! Is the OS keystore usable by this process? Checked before anything is sent, so that an
//! activation never succeeds at the provider only to lose its seed here.

use rand_core::{OsRng, RngCore};
use softtoken_core::keystore::{SeedLookup, SeedVault, StoreChoice};
use softtoken_protocol::{secret::Seed, totp::Algorithm};

use crate::error::{CliError, Exit, KEYSTORE_HINT};

/// Writes, reads back and deletes a random probe seed in the platform keystore.
///
/// A write alone proves nothing: as root without a session keyring of its own, the kernel
/// accepts the key and then refuses to read it. Only a read-back of the same bytes does.
pub fn probe() -> Result<(), String> {
    let vault = SeedVault::new(StoreChoice::Platform).map_err(|e| e.to_string())?;
    let mut id_bytes = [0u8; 8];
    OsRng.fill_bytes(&mut id_bytes);
    let id = format!("softtoken-cli-probe-{}", hex::encode(id_bytes));
    let mut bytes = vec![0u8; Algorithm::Sha1.seed_len()];
    OsRng.fill_bytes(&mut bytes);
    let seed = Seed::from_vec(bytes);
    vault
        .put(&id, Algorithm::Sha1, &seed)
        .map_err(|e| e.to_string())?;
    let read = vault.get(&id, Algorithm::Sha1);
    // Best effort: in a keyring that refuses reads the delete cannot find the key either.
    let _ = vault.delete(&id);
    match read.map_err(|e| e.to_string())? {
        SeedLookup::Found(back) if back.expose() == seed.expose() => Ok(()),
        SeedLookup::Found(_) | SeedLookup::Unreadable => {
            Err("the probe seed read back differently".into())
        }
        SeedLookup::Missing => Err("a seed written to it cannot be read back \
             (no session keyring of this process's own)"
            .into()),
    }
}

/// For commands that keep tokens: the platform keystore must work, or nothing is done.
pub fn require() -> Result<(), CliError> {
    probe().map_err(|reason| {
        let what = if cfg!(target_os = "linux") {
            "no usable kernel keyring"
        } else {
            "no usable keystore"
        };
        CliError::new(Exit::Storage, format!("{what}: {reason}")).next(KEYSTORE_HINT)
    })
}
