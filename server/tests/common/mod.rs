//! What the provider's HTTPS tests share beyond the test kit (`softtoken-testkit`): the kit's
//! provider with the dev service's bank and a phone, the steps most tests begin with, and
//! [`send`] for requests no typed client would make (malformed bodies, wrong keys).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod serve;

use std::sync::Arc;

use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;
use softtoken_protocol::{
    ids::UserId,
    secret::Seed,
    wire::{IssueTokenResponse, StatusResponse, VerifyResult},
};
use softtoken_server::{config::Config, state::ServerState};
use softtoken_testkit::{
    Activated, BankClient, DeviceClient, DeviceError, TestProvider,
    fixtures::{ACTIVATION_PASSWORD, EMAIL},
};

/// The kit's provider, the bank of its dev service and a phone at the protocol level.
pub struct Suite {
    pub provider: TestProvider,
    pub bank: BankClient,
    pub phone: DeviceClient,
}

/// A provider as `--dev` starts it (the per-IP device limit off).
pub async fn start() -> Suite {
    start_with(|_| {}).await
}

/// The same, after `tweak` has changed the configuration.
pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Suite {
    Suite::over(TestProvider::start_with(tweak).await.unwrap())
}

impl Suite {
    /// The bank and the phone of `provider`.
    pub fn over(provider: TestProvider) -> Suite {
        Suite {
            bank: provider.bank().unwrap(),
            phone: provider.device().unwrap(),
            provider,
        }
    }

    /// The provider's state (database, caches, batcher), for checks behind the API.
    pub fn state(&self) -> &Arc<ServerState> {
        &self.provider.server().unwrap().state
    }

    /// The phone activates `token` with `password`.
    pub async fn activate(
        &self,
        token: &IssueTokenResponse,
        password: &str,
    ) -> Result<Activated, DeviceError> {
        self.phone
            .activate(&token.service_id, &token.user_id, password)
            .await
    }

    /// A token issued to the fixtures' address (for `customer_ref`, if any), activated with
    /// the fixtures' password, the clock settled inside a step.
    pub async fn activated(&self, customer_ref: Option<&str>) -> (IssueTokenResponse, Activated) {
        let token = self
            .bank
            .issue_with(&softtoken_protocol::wire::IssueTokenRequest {
                email: EMAIL.into(),
                activation_password: ACTIVATION_PASSWORD.into(),
                label: None,
                customer_ref: customer_ref.map(str::to_owned),
            })
            .await
            .unwrap();
        let app = self.activate(&token, ACTIVATION_PASSWORD).await.unwrap();
        self.provider.settle(app.params.period());
        (token, app)
    }

    /// The phone's status call for `token` with `seed`, at the provider's time.
    pub async fn status(
        &self,
        token: &IssueTokenResponse,
        seed: &Seed,
    ) -> Result<StatusResponse, DeviceError> {
        self.phone
            .status(
                &token.service_id,
                &token.user_id,
                seed,
                self.provider.now_ms(),
            )
            .await
    }

    /// The code the phone shows now by the provider's clock, `offset_steps` periods later.
    pub fn code(&self, app: &Activated, offset_steps: i64) -> String {
        app.code_at(self.provider.now_ms(), offset_steps)
    }

    /// The bank's verdict on the code the phone shows `offset_steps` periods from now.
    pub async fn verify_code(
        &self,
        user_id: UserId,
        app: &Activated,
        offset_steps: i64,
    ) -> VerifyResult {
        self.bank
            .verify(user_id, &self.code(app, offset_steps))
            .await
            .unwrap()
            .result
    }
}

/// Sends a request as built; the reply's status and JSON body (`Null` when it is not JSON).
/// Every reply of the provider, error or not, carries its clock in `server-time-ms`.
pub async fn send(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    assert!(response.headers().contains_key("server-time-ms"));
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// How many of `results` are `kind`: the tally the concurrency tests assert on (one accepted,
/// the rest replayed).
pub fn count<T: PartialEq>(results: &[T], kind: &T) -> usize {
    results.iter().filter(|result| *result == kind).count()
}
