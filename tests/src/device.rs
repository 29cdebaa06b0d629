//! A phone at the protocol level: the app's side of OPAQUE activation and the status proof,
//! straight from `softtoken-protocol`, without the app core's keystore and metadata. Provider
//! tests and benchmarks use it to reach every state and every malformed message; tests of the
//! app itself use `softtoken-core` instead.

use rand_core::{OsRng, RngCore};
use softtoken_protocol::{
    activation::{Binding, ClientActivation, HandshakeError, prepare_password},
    ids::{ServiceId, UserId},
    secret::Seed,
    status::StatusKey,
    totp::{TokenParams, Totp},
    transaction::{Decision, Transaction, TransactionKeys},
    wire::{
        self, ActivationFinishRequest, ActivationFinishResponse, ActivationStartRequest,
        ActivationStartResponse, Bytes, DecisionRequest, DecisionResponse, DeviceInfo, ErrorBody,
        MAX_RESPONSE_BYTES, StatusRequest, StatusResponse, TransactionListRequest,
        TransactionListResponse, V1,
    },
};

use crate::{fixtures, provider::KitError, tls};

/// Why a device call failed.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The provider answered with an error status and body.
    #[error("the provider refused: HTTP {status}: {:?}", body.error)]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The error body.
        body: ErrorBody,
    },
    /// The app side of the handshake failed (a wrong password shows here: KE2 does not open),
    /// with the attempts left the start reply announced.
    #[error("the handshake failed: {error} ({attempts_left} attempts left)")]
    Handshake {
        /// What failed.
        error: HandshakeError,
        /// Attempts left, from the start reply.
        attempts_left: u32,
    },
    /// The request did not complete, or the reply is not the protocol's.
    #[error("device → provider: {0}")]
    Transport(String),
}

impl DeviceError {
    /// `(status, body)` when the provider refused.
    pub fn refused(&self) -> Option<(u16, &ErrorBody)> {
        match self {
            DeviceError::Refused { status, body } => Some((*status, body)),
            _ => None,
        }
    }
}

/// What the app holds after a completed activation.
pub struct Activated {
    /// The derived seed (never sent; here so tests can compute codes).
    pub seed: Seed,
    /// The token parameters from the start reply.
    pub params: TokenParams,
    /// The start reply.
    pub start: ActivationStartResponse,
    /// The finish reply.
    pub finish: ActivationFinishResponse,
}

impl std::fmt::Debug for Activated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Activated { .. }")
    }
}

impl Activated {
    /// The code the app shows at unix time `now_ms`, `offset_steps` periods later (or
    /// earlier, negative).
    pub fn code_at(&self, now_ms: u64, offset_steps: i64) -> String {
        let period = i64::from(self.params.period());
        let t = (now_ms / 1000).saturating_add_signed(offset_steps.saturating_mul(period));
        match Totp::new(self.params, self.seed.expose()) {
            Ok(totp) => totp.code_at(t).as_str().to_owned(),
            // The parameters came from the provider and were accepted by the handshake.
            Err(_) => String::new(),
        }
    }
}

impl Activated {
    /// The token's transaction keys (9.1), as the app derives them from its seed.
    pub fn transaction_keys(&self, service_id: &ServiceId, user_id: &UserId) -> TransactionKeys {
        TransactionKeys::derive(&self.seed, self.params.algorithm(), service_id, user_id)
    }
}

/// The device endpoints of one provider.
#[derive(Clone)]
pub struct DeviceClient {
    http: reqwest::Client,
    provider_url: String,
    device: DeviceInfo,
}

impl DeviceClient {
    /// A phone talking to `provider_url`, trusting only `ca_pem`.
    pub fn new(provider_url: &str, ca_pem: &str) -> Result<Self, KitError> {
        Ok(Self::with_http(tls::pinned_client(ca_pem)?, provider_url))
    }

    /// The same over an HTTP client the caller built.
    pub fn with_http(http: reqwest::Client, provider_url: &str) -> Self {
        Self {
            http,
            provider_url: provider_url.trim_end_matches('/').to_owned(),
            device: fixtures::device_info(),
        }
    }

    /// The HTTP client, for tests that send raw bodies to the device endpoints.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `provider_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.provider_url)
    }

    /// Activation's first round trip (KE1 → KE2) only.
    pub async fn start_activation(
        &self,
        service_id: &ServiceId,
        user_id: &UserId,
        password: &str,
    ) -> Result<(ClientActivation, ActivationStartResponse), DeviceError> {
        let prepared = prepare_password(password).map_err(handshake(0))?;
        let (client, ke1) = ClientActivation::start(&mut OsRng, &prepared).map_err(handshake(0))?;
        let request = ActivationStartRequest {
            v: V1,
            service_id: *service_id,
            user_id: *user_id,
            ke1: Bytes(ke1),
        };
        let start = self.post("/v1/activations", &request).await?;
        Ok((client, start))
    }

    /// The whole activation as the app runs it: start, finish, server confirmation.
    pub async fn activate(
        &self,
        service_id: &ServiceId,
        user_id: &UserId,
        password: &str,
    ) -> Result<Activated, DeviceError> {
        let (client, start) = self.start_activation(service_id, user_id, password).await?;
        let attempts_left = start.attempts_left;
        let prepared = prepare_password(password).map_err(handshake(attempts_left))?;
        let binding = Binding::new(*service_id, *user_id, start.token);
        let finish = client
            .finish(&mut OsRng, &prepared, &binding, start.ke2.as_slice())
            .map_err(handshake(attempts_left))?;
        let request = ActivationFinishRequest {
            v: V1,
            ke3: Bytes(finish.ke3.clone()),
            client_confirmation: Bytes(finish.client_confirmation.to_vec()),
            device: self.device.clone(),
        };
        let path = format!("/v1/activations/{}/finish", start.activation_id);
        let done: ActivationFinishResponse = self.post(&path, &request).await?;
        let seed = finish
            .pending
            .accept_server_confirmation(done.server_confirmation.as_slice())
            .map_err(handshake(attempts_left))?;
        Ok(Activated {
            seed,
            params: start.token,
            start,
            finish: done,
        })
    }

    /// The status call with a proof from `seed`, made at device time `time_ms`; the reply's
    /// MAC is checked (a reply that fails it is a transport error).
    pub async fn status(
        &self,
        service_id: &ServiceId,
        user_id: &UserId,
        seed: &Seed,
        time_ms: u64,
    ) -> Result<StatusResponse, DeviceError> {
        let key = StatusKey::derive(seed, service_id, user_id);
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        let request = StatusRequest {
            v: V1,
            service_id: *service_id,
            user_id: *user_id,
            nonce: Bytes(nonce.to_vec()),
            time_ms,
            proof: Bytes(key.request_proof(&nonce, time_ms).to_vec()),
        };
        let reply: StatusResponse = self.post("/v1/tokens/status", &request).await?;
        if !key.verify_response(
            &nonce,
            reply.state,
            reply.server_time_ms,
            reply.replaced_at_ms,
            reply.mac.as_slice(),
        ) {
            return Err(DeviceError::Transport(
                "the status reply's MAC does not verify".into(),
            ));
        }
        Ok(reply)
    }

    /// The token's pending transactions (9.5), with a proof from `keys` at device time
    /// `time_ms`; the reply is checked as the app checks it ([`TransactionListResponse::verify`]:
    /// a reply that fails its MAC, or lists a non-canonical field, is a transport error).
    pub async fn pending_transactions(
        &self,
        service_id: &ServiceId,
        user_id: &UserId,
        keys: &TransactionKeys,
        time_ms: u64,
    ) -> Result<(TransactionListResponse, Vec<Transaction>), DeviceError> {
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        let request = TransactionListRequest {
            v: V1,
            service_id: *service_id,
            user_id: *user_id,
            nonce: Bytes(nonce.to_vec()),
            time_ms,
            proof: Bytes(keys.list_proof(&nonce, time_ms).to_vec()),
        };
        let reply: TransactionListResponse = self.post("/v1/tokens/transactions", &request).await?;
        let transactions = reply
            .verify(keys, &nonce, *service_id, *user_id)
            .map_err(|e| DeviceError::Transport(e.to_string()))?;
        Ok((reply, transactions))
    }

    /// One-tap approve or reject (9.5) with the MAC from `keys`; the result MAC is checked.
    pub async fn decide(
        &self,
        keys: &TransactionKeys,
        transaction: &Transaction,
        decision: Decision,
    ) -> Result<DecisionResponse, DeviceError> {
        let digest = transaction.digest();
        let request = DecisionRequest {
            v: V1,
            service_id: transaction.service_id,
            user_id: transaction.user_id,
            transaction_id: transaction.id,
            decision,
            mac: Bytes(keys.decision_mac(decision, &digest).to_vec()),
        };
        let reply: DecisionResponse = self.post("/v1/transactions/decision", &request).await?;
        if !keys.verify_result(
            &digest,
            reply.state,
            reply.server_time_ms,
            reply.mac.as_slice(),
        ) {
            return Err(DeviceError::Transport(
                "the decision reply's MAC does not verify".into(),
            ));
        }
        Ok(reply)
    }

    async fn post<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, DeviceError> {
        let response = self
            .http
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(wire::encode(body))
            .send()
            .await
            .map_err(|e| DeviceError::Transport(e.to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| DeviceError::Transport(e.to_string()))?;
        if !status.is_success() {
            let body = wire::decode(&bytes, MAX_RESPONSE_BYTES)
                .map_err(|e| DeviceError::Transport(format!("HTTP {status}: {e}")))?;
            return Err(DeviceError::Refused {
                status: status.as_u16(),
                body,
            });
        }
        wire::decode(&bytes, MAX_RESPONSE_BYTES).map_err(|e| DeviceError::Transport(e.to_string()))
    }
}

fn handshake(attempts_left: u32) -> impl Fn(HandshakeError) -> DeviceError {
    move |error| DeviceError::Handshake {
        error,
        attempts_left,
    }
}
