//! Test harness: the real provider in process over HTTPS on 127.0.0.1, a bank client, and
//! clocks the tests control.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
};

use serde_json::{Value, json};
use softtoken_core::{Clock, CoreConfig, SoftToken, StoreChoice, SystemClock, Timeouts};
use softtoken_protocol::clock::ManualClock;
use softtoken_protocol::wire::DeviceInfo;
use softtoken_server::{
    config::Config,
    server::{self, RunningServer, StartOptions},
};

pub const SERVICE: &str = "10121234";
pub const PASSWORD: &str = "Sakura#2026";

/// The device clock: the system clock shifted by a settable offset (a phone whose clock is
/// wrong, or time moved forward without sleeping).
#[derive(Default)]
pub struct DeviceClock {
    offset_ms: AtomicI64,
}

impl DeviceClock {
    pub fn shift_ms(&self, delta: i64) {
        self.offset_ms.fetch_add(delta, Ordering::SeqCst);
    }
}

impl Clock for DeviceClock {
    fn now_ms(&self) -> u64 {
        SystemClock
            .now_ms()
            .saturating_add_signed(self.offset_ms.load(Ordering::SeqCst))
    }
}

pub struct Provider {
    pub server: RunningServer,
    pub bank: reqwest::Client,
    pub url: String,
    pub api_key: String,
    pub ca_pem: String,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
}

pub async fn provider() -> Provider {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::dev(dir.path(), SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    config.limits.device_requests_per_minute = 0;
    let clock = Arc::new(ManualClock::new());
    let server = server::start(StartOptions {
        config,
        dev: true,
        clock: clock.clone(),
    })
    .await
    .unwrap();
    softtoken_server::tls::install_crypto_provider();
    let ca_pem = std::fs::read_to_string(dir.path().join("tls/ca.pem")).unwrap();
    let bank = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .tcp_nodelay(true)
        .build()
        .unwrap();
    Provider {
        url: server.url(),
        api_key: server.dev_api_key.clone().unwrap(),
        server,
        bank,
        ca_pem,
        clock,
        dir,
    }
}

impl Provider {
    /// The bank issues a token; returns the User ID.
    pub async fn issue(&self, password: &str) -> String {
        let reply: Value = self
            .bank
            .post(format!("{}/v1/services/{SERVICE}/tokens", self.url))
            .bearer_auth(&self.api_key)
            .json(&json!({"email": "hanako@example.jp", "activation_password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reply["user_id"].as_str().unwrap().to_owned()
    }

    /// The bank checks a code (認証確認 / login); returns the result name.
    pub async fn verify(&self, user_id: &str, otp: &str) -> String {
        let reply: Value = self
            .bank
            .post(format!(
                "{}/v1/services/{SERVICE}/tokens/{user_id}/verify",
                self.url
            ))
            .bearer_auth(&self.api_key)
            .json(&json!({"otp": otp}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reply["result"].as_str().unwrap().to_owned()
    }

    pub async fn revoke(&self, user_id: &str) {
        let status = self
            .bank
            .post(format!(
                "{}/v1/services/{SERVICE}/tokens/{user_id}/revoke",
                self.url
            ))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success());
    }

    /// A phone: the core with its own data directory, the given keystore and clock.
    pub fn phone(&self, store: StoreChoice, clock: Arc<DeviceClock>) -> (SoftToken, PathBuf) {
        let data_dir = self.dir.path().join(format!("phone-{}", rand_suffix()));
        let core = SoftToken::new(CoreConfig {
            provider_url: self.url.clone(),
            provider_ca_pem: self.ca_pem.clone(),
            data_dir: data_dir.clone(),
            secret_store: store,
            clock: Some(clock),
            timeouts: Timeouts::default(),
            device: DeviceInfo {
                platform: "linux".into(),
                model: Some("test".into()),
                app_version: None,
            },
        })
        .unwrap();
        (core, data_dir)
    }
}

fn rand_suffix() -> u64 {
    use rand_core::RngCore;
    rand_core::OsRng.next_u64()
}
