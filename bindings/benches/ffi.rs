#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! `current_code` through the exported wrapper, called from Rust: the baseline for the same
//! call from Kotlin (JNA) and Swift (`cargo xtask bench-ffi`).
//!
//! - `ffi_current_code/rust_store`: the seed in a Rust [`FfiSecretStore`] implementation of the
//!   exported trait (what a shell's store costs minus the language crossing);
//! - `ffi_current_code/platform_keystore`: the seed in the Linux kernel keyring (needs a
//!   session keyring: run under `keyctl session -`; skipped with a note otherwise).
//!
//! Run: `keyctl session - cargo bench -p softtoken-ffi --bench ffi`.

use std::{
    collections::HashMap,
    hint::black_box,
    sync::{Arc, Mutex},
};

use criterion::Criterion;
use softtoken_ffi::{CoreConfig, DeviceInfo, FfiSecretStore, FfiSecretStoreError, SoftToken};
use softtoken_testkit::{
    BankClient, TestProvider,
    fixtures::{ACTIVATION_PASSWORD as PASSWORD, SERVICE_ID as SERVICE},
};

#[derive(Default)]
struct RustStore(Mutex<HashMap<String, Vec<u8>>>);

impl FfiSecretStore for RustStore {
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, FfiSecretStoreError> {
        Ok(self.0.lock().unwrap().get(&key).cloned())
    }

    fn set(&self, key: String, value: Vec<u8>) -> Result<(), FfiSecretStoreError> {
        self.0.lock().unwrap().insert(key, value);
        Ok(())
    }

    fn delete(&self, key: String) -> Result<(), FfiSecretStoreError> {
        self.0.lock().unwrap().remove(&key);
        Ok(())
    }
}

/// An activated token on a phone with the given store; `None` if activation fails (a
/// platform keystore that is not usable here).
fn phone(
    rt: &tokio::runtime::Runtime,
    provider: &TestProvider,
    bank: &BankClient,
    store: Option<Arc<dyn FfiSecretStore>>,
    dir: &std::path::Path,
) -> Option<(Arc<SoftToken>, String)> {
    let token = SoftToken::new(CoreConfig {
        provider_url: provider.url().to_owned(),
        provider_ca_pem: provider.ca_pem().to_owned(),
        data_dir: dir.display().to_string(),
        device: DeviceInfo {
            platform: "bench".into(),
            model: None,
            app_version: None,
        },
        secret_store: store,
        clock: None,
        connect_timeout_ms: 10_000,
        request_timeout_ms: 30_000,
    })
    .ok()?;
    let user_id = rt.block_on(bank.issue_test_token()).unwrap();
    let info = rt
        .block_on(token.activate(SERVICE.into(), user_id, PASSWORD.into()))
        .ok()?;
    Some((token, info.id))
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let provider = rt.block_on(TestProvider::start()).unwrap();
    let bank = provider.bank().unwrap();
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("ffi_current_code");

    let dir = tempfile::tempdir().unwrap();
    let stores: [(&str, Option<Arc<dyn FfiSecretStore>>); 2] = [
        ("rust_store", Some(Arc::new(RustStore::default()))),
        ("platform_keystore", None),
    ];
    for (name, store) in stores {
        match phone(&rt, &provider, &bank, store, &dir.path().join(name)) {
            Some((token, id)) => {
                group.bench_function(name, |b| {
                    b.iter(|| black_box(token.current_code(id.clone()).unwrap()))
                });
                token.remove(id).unwrap();
            }
            None => {
                eprintln!("{name}: skipped (store not usable here; run under `keyctl session -`)")
            }
        }
    }
    group.finish();
    c.final_summary();
}
