//! Test harness: a real provider over HTTPS on 127.0.0.1 (in process), a pinned-CA client,
//! and the app side of activation from `softtoken-protocol`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{net::SocketAddr, sync::Arc};

use rand_core::{OsRng, RngCore};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use softtoken_protocol::clock::{Clock, ManualClock};
use softtoken_protocol::{
    activation::{ClientActivation, HandshakeError, prepare_password},
    ids::{ServiceId, UserId},
    secret::Seed,
    status::StatusKey,
    totp::{TokenParams, Totp},
    wire::{
        self, ActivationFinishRequest, ActivationFinishResponse, ActivationStartRequest,
        ActivationStartResponse, Bytes, DeviceInfo, ErrorBody, IssueTokenResponse, StatusRequest,
        StatusResponse, TokenDetails, V1, VerifyResponse,
    },
};
use softtoken_server::{
    config::Config,
    server::{self, RunningServer, StartOptions},
};

pub const SERVICE: &str = "10121234";
pub const PASSWORD: &str = "Sakura#2026";

pub struct Provider {
    pub server: RunningServer,
    pub client: Client,
    pub url: String,
    pub api_key: String,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
}

pub fn client_for(ca_pem: &std::path::Path) -> Client {
    softtoken_server::tls::install_crypto_provider();
    let pem = std::fs::read(ca_pem).unwrap();
    let ca = reqwest::Certificate::from_pem(&pem).unwrap();
    Client::builder()
        .tls_certs_only([ca])
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

pub async fn start() -> Provider {
    start_with(|_| {}).await
}

pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Provider {
    let dir = tempfile::tempdir().unwrap();
    start_in(dir, tweak).await
}

pub async fn start_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut Config)) -> Provider {
    let mut config = Config::dev(dir.path(), SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    config.limits.device_requests_per_minute = 0;
    tweak(&mut config);
    let clock = Arc::new(ManualClock::new());
    let server = server::start(StartOptions {
        config,
        dev: true,
        clock: clock.clone() as Arc<dyn Clock>,
    })
    .await
    .unwrap();
    let client = client_for(&dir.path().join("tls/ca.pem"));
    let url = server.url();
    let api_key = server.dev_api_key.clone().unwrap();
    Provider {
        server,
        client,
        url,
        api_key,
        clock,
        dir,
    }
}

/// A token as the bank sees it after issuance, with the password the user chose.
#[derive(Clone)]
pub struct Issued {
    pub service_id: ServiceId,
    pub user_id: UserId,
    pub params: TokenParams,
    pub password: String,
}

/// What the app holds after activation.
pub struct Activated {
    pub seed: Seed,
    pub params: TokenParams,
    pub start: ActivationStartResponse,
    pub finish: ActivationFinishResponse,
}

impl std::fmt::Debug for Activated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Activated { .. }")
    }
}

#[derive(Debug)]
pub enum ActivateError {
    /// The provider refused a request.
    Http(StatusCode, ErrorBody),
    /// The app-side handshake failed (wrong password), with the attempts left it was told.
    Handshake(HandshakeError, u32),
}

impl Provider {
    pub fn now_secs(&self) -> u64 {
        self.clock.now_ms() / 1000
    }

    pub async fn post(&self, path: &str, body: &Value, bank: bool) -> (StatusCode, Value) {
        let mut request = self.client.post(format!("{}{path}", self.url)).json(body);
        if bank {
            request = request.bearer_auth(&self.api_key);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        assert!(response.headers().contains_key("server-time-ms"));
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Tests compare codes of neighbouring steps; if the current 30 s step is about to end,
    /// move the provider clock (which the tests' codes also use) into the next one instead of
    /// racing it.
    pub fn settle(&self) {
        let period_ms = 30_000;
        let left = period_ms - self.clock.now_ms() % period_ms;
        if left < 5_000 {
            self.clock
                .advance(std::time::Duration::from_millis(left + 500));
        }
    }

    /// A token issued (for `customer_ref`, if any) and activated with [`PASSWORD`], settled.
    pub async fn activated(&self, customer_ref: Option<&str>) -> (Issued, Activated) {
        let token = self
            .issue_for("hanako@example.jp", PASSWORD, customer_ref)
            .await;
        let activated = self.activate(&token, PASSWORD).await.unwrap();
        self.settle();
        (token, activated)
    }

    pub async fn issue(&self, email: &str, password: &str) -> Issued {
        self.issue_for(email, password, None).await
    }

    pub async fn issue_for(
        &self,
        email: &str,
        password: &str,
        customer_ref: Option<&str>,
    ) -> Issued {
        let mut body = serde_json::json!({"email": email, "activation_password": password});
        if let Some(customer_ref) = customer_ref {
            body["customer_ref"] = customer_ref.into();
        }
        let (status, reply) = self
            .post(&format!("/v1/services/{SERVICE}/tokens"), &body, true)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
        let reply: IssueTokenResponse = serde_json::from_value(reply).unwrap();
        Issued {
            service_id: reply.service_id,
            user_id: reply.user_id,
            params: reply.token,
            password: password.into(),
        }
    }

    /// KE1 → KE2 only.
    pub async fn start_activation(
        &self,
        service_id: &ServiceId,
        user_id: &UserId,
        password: &str,
    ) -> Result<(ClientActivation, ActivationStartResponse), (StatusCode, ErrorBody)> {
        start_activation_at(&self.client, &self.url, service_id, user_id, password).await
    }

    /// The whole activation as the app runs it.
    pub async fn activate(
        &self,
        token: &Issued,
        password: &str,
    ) -> Result<Activated, ActivateError> {
        activate_at(&self.client, &self.url, token, password).await
    }

    pub async fn verify(&self, token: &Issued, otp: &str) -> VerifyResponse {
        let (status, reply) = self
            .post(
                &format!(
                    "/v1/services/{}/tokens/{}/verify",
                    token.service_id, token.user_id
                ),
                &serde_json::json!({"otp": otp}),
                true,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{reply}");
        serde_json::from_value(reply).unwrap()
    }

    pub async fn details(&self, token: &Issued) -> TokenDetails {
        let (status, reply) = self
            .get(&format!(
                "/v1/services/{}/tokens/{}",
                token.service_id, token.user_id
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{reply}");
        serde_json::from_value(reply).unwrap()
    }

    pub async fn bank_action(&self, token: &Issued, action: &str) -> (StatusCode, Value) {
        self.post(
            &format!(
                "/v1/services/{}/tokens/{}/{action}",
                token.service_id, token.user_id
            ),
            &Value::Null,
            true,
        )
        .await
    }

    pub async fn status(
        &self,
        token: &Issued,
        seed: &Seed,
    ) -> Result<StatusResponse, (StatusCode, ErrorBody)> {
        let key = StatusKey::derive(seed, &token.service_id, &token.user_id);
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        let time_ms = self.clock.now_ms();
        let request = StatusRequest {
            v: V1,
            service_id: token.service_id,
            user_id: token.user_id,
            nonce: Bytes(nonce.to_vec()),
            time_ms,
            proof: Bytes(key.request_proof(&nonce, time_ms).to_vec()),
        };
        let response = self
            .client
            .post(format!("{}/v1/tokens/status", self.url))
            .body(wire::encode(&request))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.bytes().await.unwrap();
        if status != StatusCode::OK {
            return Err((status, wire::decode(&body, 65536).unwrap()));
        }
        let reply: StatusResponse = wire::decode(&body, 65536).unwrap();
        assert!(
            key.verify_response(
                &nonce,
                reply.state,
                reply.server_time_ms,
                reply.mac.as_slice()
            ),
            "status MAC"
        );
        Ok(reply)
    }
}

/// The code the app would show now (provider clock), `offset_steps` periods later.
pub fn code(activated: &Activated, provider: &Provider, offset_steps: i64) -> String {
    let totp = Totp::new(activated.params, activated.seed.expose()).unwrap();
    let period = u64::from(activated.params.period());
    let t = provider
        .now_secs()
        .saturating_add_signed(offset_steps * i64::try_from(period).unwrap());
    totp.code_at(t).as_str().to_owned()
}

/// KE1 → KE2 only, against the provider at `url` (in process or a child process).
pub async fn start_activation_at(
    http: &Client,
    url: &str,
    service_id: &ServiceId,
    user_id: &UserId,
    password: &str,
) -> Result<(ClientActivation, ActivationStartResponse), (StatusCode, ErrorBody)> {
    let prepared = prepare_password(password).unwrap();
    let (client, ke1) = ClientActivation::start(&mut OsRng, &prepared).unwrap();
    let request = ActivationStartRequest {
        v: V1,
        service_id: *service_id,
        user_id: *user_id,
        ke1: Bytes(ke1),
    };
    let response = http
        .post(format!("{url}/v1/activations"))
        .body(wire::encode(&request))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.bytes().await.unwrap();
    if status != StatusCode::OK {
        return Err((status, wire::decode(&body, 65536).unwrap()));
    }
    Ok((client, wire::decode(&body, 65536).unwrap()))
}

/// The whole activation as the app runs it, against the provider at `url`.
pub async fn activate_at(
    http: &Client,
    url: &str,
    token: &Issued,
    password: &str,
) -> Result<Activated, ActivateError> {
    let (client, start) =
        start_activation_at(http, url, &token.service_id, &token.user_id, password)
            .await
            .map_err(|(s, b)| ActivateError::Http(s, b))?;
    let prepared = prepare_password(password).unwrap();
    let binding =
        softtoken_protocol::activation::Binding::new(token.service_id, token.user_id, start.token);
    let finish = client
        .finish(&mut OsRng, &prepared, &binding, start.ke2.as_slice())
        .map_err(|e| ActivateError::Handshake(e, start.attempts_left))?;
    let request = ActivationFinishRequest {
        v: V1,
        ke3: Bytes(finish.ke3.clone()),
        client_confirmation: Bytes(finish.client_confirmation.to_vec()),
        device: DeviceInfo {
            platform: "linux".into(),
            model: Some("test".into()),
            app_version: None,
        },
    };
    let response = http
        .post(format!(
            "{url}/v1/activations/{}/finish",
            start.activation_id
        ))
        .body(wire::encode(&request))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.bytes().await.unwrap();
    if status != StatusCode::OK {
        return Err(ActivateError::Http(
            status,
            wire::decode(&body, 65536).unwrap(),
        ));
    }
    let done: ActivationFinishResponse = wire::decode(&body, 65536).unwrap();
    let seed = finish
        .pending
        .accept_server_confirmation(done.server_confirmation.as_slice())
        .unwrap();
    Ok(Activated {
        seed,
        params: start.token,
        start,
        finish: done,
    })
}
