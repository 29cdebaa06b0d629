//! A phone running the real app core (`softtoken-core`) against a [`TestProvider`]: the
//! provider's URL and CA pinned, the seed store and the device clock the test chooses, and a
//! metadata directory of its own under the provider's data directory (so it goes when the
//! provider's temporary directory goes, and survives a provider restart).
//!
//! Tests of the phone's own behaviour (the end-to-end suite, the core's benchmark) use this;
//! provider tests that need every malformed message use [`DeviceClient`](crate::DeviceClient).

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use rand_core::{OsRng, RngCore};
use softtoken_core::{Clock, CoreConfig, CoreError, SoftToken, StoreChoice, Timeouts};

use crate::{fixtures, provider::TestProvider};

impl TestProvider {
    /// What the app core needs to talk to this provider: its URL and CA, the test device, the
    /// default timeouts; the metadata in `data_dir`, seeds in `store`, time from `clock` (the
    /// system clock when `None`).
    pub fn core_config(
        &self,
        data_dir: &Path,
        store: StoreChoice,
        clock: Option<Arc<dyn Clock>>,
    ) -> CoreConfig {
        CoreConfig {
            provider_url: self.url().to_owned(),
            provider_ca_pem: self.ca_pem().to_owned(),
            data_dir: data_dir.to_path_buf(),
            secret_store: store,
            clock,
            timeouts: Timeouts::default(),
            device: fixtures::device_info(),
        }
    }

    /// A new phone: the app core with seeds in `store` (`StoreChoice::Platform` is the kernel
    /// keyring; run under `keyctl session -`), reading time from `clock` (a
    /// [`ManualClock`](softtoken_core::ManualClock) of its own for a phone whose clock the test
    /// sets, or [`TestProvider::clock`] for one that moves with the provider). Returns the core
    /// and its metadata directory (`tokens.json` is in it), a fresh one per phone.
    pub fn phone(
        &self,
        store: StoreChoice,
        clock: Arc<dyn Clock>,
    ) -> Result<(SoftToken, PathBuf), CoreError> {
        let data_dir = self
            .data_dir()
            .join(format!("phone-{:016x}", OsRng.next_u64()));
        let core = SoftToken::new(self.core_config(&data_dir, store, Some(clock)))?;
        Ok((core, data_dir))
    }
}
