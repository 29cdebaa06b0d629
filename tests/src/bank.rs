//! The bank's side: a core-banking system's typed calls to the provider's bank API over HTTPS,
//! with the provider's CA pinned and the service's API key (`docs/protocol.md` §8).

use std::fmt::Display;

use reqwest::{Method, RequestBuilder};
use serde::{Serialize, de::DeserializeOwned};
use softtoken_protocol::{
    transaction::TransactionId,
    wire::{
        ChallengeVerifyRequest, ChallengeVerifyResponse, ErrorBody, ErrorCode, IssueTokenRequest,
        IssueTokenResponse, RegisterTransactionRequest, TokenDetails, TransactionDetails,
        TransactionVerifyRequest, TransactionVerifyResponse, VerifyRequest, VerifyResponse,
    },
};

use crate::{fixtures, provider::KitError, tls};

/// Why a bank call failed. The text never contains the API key, a password or a code.
#[derive(Debug, thiserror::Error)]
pub enum BankError {
    /// The provider answered with an error status.
    #[error("bank → provider: HTTP {status}: {text}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The error body, if it was one.
        body: Option<ErrorBody>,
        /// The reply as text (the error body's JSON).
        text: String,
    },
    /// The request did not complete (connection, TLS, timeout).
    #[error("bank → provider: {0}")]
    Transport(String),
    /// The provider answered 2xx with something that is not the expected message.
    #[error("unexpected reply from the provider: {0}")]
    Reply(String),
}

impl BankError {
    /// The provider's error code, when it refused with an error body.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            BankError::Refused {
                body: Some(body), ..
            } => Some(body.error),
            _ => None,
        }
    }

    /// The HTTP status, when the provider refused.
    pub fn status(&self) -> Option<u16> {
        match self {
            BankError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The bank's HTTPS client for one service.
#[derive(Clone)]
pub struct BankClient {
    http: reqwest::Client,
    provider_url: String,
    service_id: String,
    api_key: String,
}

impl std::fmt::Debug for BankClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BankClient")
            .field("provider_url", &self.provider_url)
            .field("service_id", &self.service_id)
            .finish_non_exhaustive()
    }
}

impl BankClient {
    /// A client for the provider at `provider_url` trusting only `ca_pem`, acting for
    /// `service_id` with `api_key`.
    pub fn new(
        provider_url: &str,
        ca_pem: &str,
        service_id: &str,
        api_key: &str,
    ) -> Result<Self, KitError> {
        Ok(Self::with_http(
            tls::pinned_client(ca_pem)?,
            provider_url,
            service_id,
            api_key,
        ))
    }

    /// The same over an HTTP client the caller built (e.g. HTTP/2, or one shared by many).
    pub fn with_http(
        http: reqwest::Client,
        provider_url: &str,
        service_id: &str,
        api_key: &str,
    ) -> Self {
        Self {
            http,
            provider_url: provider_url.trim_end_matches('/').to_owned(),
            service_id: service_id.to_owned(),
            api_key: api_key.to_owned(),
        }
    }

    /// The service this bank acts for.
    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    /// The same bank with another API key (e.g. a wrong or revoked one).
    pub fn with_api_key(&self, api_key: &str) -> Self {
        Self {
            api_key: api_key.to_owned(),
            ..self.clone()
        }
    }

    /// The same key acting for another service path (what a bank must not be able to do).
    pub fn for_service(&self, service_id: &str) -> Self {
        Self {
            service_id: service_id.to_owned(),
            ..self.clone()
        }
    }

    /// 手順1 トークン発行: a token for this mail address and activation password.
    pub async fn issue(
        &self,
        email: &str,
        activation_password: &str,
    ) -> Result<IssueTokenResponse, BankError> {
        self.issue_with(&IssueTokenRequest {
            email: email.to_owned(),
            activation_password: activation_password.to_owned(),
            label: None,
            customer_ref: None,
        })
        .await
    }

    /// トークン発行 for the fixtures' customer ([`fixtures::EMAIL`]) with the fixtures'
    /// activation password ([`fixtures::ACTIVATION_PASSWORD`]): the User ID a test phone then
    /// types. Issuing again for the same customer replaces a token not yet active.
    pub async fn issue_test_token(&self) -> Result<String, BankError> {
        let issued = self
            .issue(fixtures::EMAIL, fixtures::ACTIVATION_PASSWORD)
            .await?;
        Ok(issued.user_id.to_string())
    }

    /// トークン発行 with every field of the request (label, customer reference).
    pub async fn issue_with(
        &self,
        request: &IssueTokenRequest,
    ) -> Result<IssueTokenResponse, BankError> {
        self.call(Method::POST, "", Some(request)).await
    }

    /// 認証確認 (and every login): does this code belong to the token now?
    pub async fn verify(
        &self,
        user_id: impl Display,
        otp: &str,
    ) -> Result<VerifyResponse, BankError> {
        let body = VerifyRequest {
            otp: otp.to_owned(),
        };
        self.call(Method::POST, &format!("/{user_id}/verify"), Some(&body))
            .await
    }

    /// The token as the bank sees it.
    pub async fn details(&self, user_id: impl Display) -> Result<TokenDetails, BankError> {
        self.call::<(), _>(Method::GET, &format!("/{user_id}"), None)
            .await
    }

    /// トークンの失効手続き: before a phone change, or when the phone is lost.
    pub async fn revoke(&self, user_id: impl Display) -> Result<TokenDetails, BankError> {
        self.call::<(), _>(Method::POST, &format!("/{user_id}/revoke"), None)
            .await
    }

    /// Unlocks a token locked after too many wrong codes.
    pub async fn unlock(&self, user_id: impl Display) -> Result<TokenDetails, BankError> {
        self.call::<(), _>(Method::POST, &format!("/{user_id}/unlock"), None)
            .await
    }

    /// 取引認証: registers a transfer for the token to authenticate (9.6).
    pub async fn register_transaction(
        &self,
        user_id: impl Display,
        request: &RegisterTransactionRequest,
    ) -> Result<TransactionDetails, BankError> {
        self.call(
            Method::POST,
            &format!("/{user_id}/transactions"),
            Some(request),
        )
        .await
    }

    /// A transaction's outcome; with `wait_s` > 0 a long poll while it is pending.
    pub async fn transaction(
        &self,
        id: &TransactionId,
        wait_s: u64,
    ) -> Result<TransactionDetails, BankError> {
        let url = format!("{}?wait_s={wait_s}", self.transaction_url(id, ""));
        self.send::<(), _>(Method::GET, url, None).await
    }

    /// Verifies the transaction code the user typed into the bank's page.
    pub async fn verify_transaction(
        &self,
        id: &TransactionId,
        otp: &str,
    ) -> Result<TransactionVerifyResponse, BankError> {
        let body = TransactionVerifyRequest {
            otp: otp.to_owned(),
        };
        let url = self.transaction_url(id, "/verify");
        self.send(Method::POST, url, Some(&body)).await
    }

    /// Cancels a pending transaction.
    pub async fn cancel_transaction(
        &self,
        id: &TransactionId,
    ) -> Result<TransactionDetails, BankError> {
        let url = self.transaction_url(id, "/cancel");
        self.send::<(), _>(Method::POST, url, None).await
    }

    /// Verifies an offline code (振込先専用ワンタイムパスワード) for the account (and amount) the
    /// user typed into the bank's page.
    pub async fn verify_challenge(
        &self,
        user_id: impl Display,
        account_number: &str,
        amount: Option<u64>,
        otp: &str,
    ) -> Result<ChallengeVerifyResponse, BankError> {
        let body = ChallengeVerifyRequest {
            account_number: account_number.to_owned(),
            amount,
            otp: otp.to_owned(),
        };
        self.call(
            Method::POST,
            &format!("/{user_id}/challenge/verify"),
            Some(&body),
        )
        .await
    }

    fn transaction_url(&self, id: &TransactionId, rest: &str) -> String {
        format!(
            "{}/v1/services/{}/transactions/{id}{rest}",
            self.provider_url, self.service_id
        )
    }

    /// An authenticated request to `/v1/services/{service}/tokens{path}`, for tests that send
    /// what a typed call never would (malformed bodies, wrong content types, huge payloads).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.tokens_url(path))
            .bearer_auth(&self.api_key)
    }

    fn tokens_url(&self, path: &str) -> String {
        format!(
            "{}/v1/services/{}/tokens{path}",
            self.provider_url, self.service_id
        )
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, BankError> {
        self.send(method, self.tokens_url(path), body).await
    }

    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        url: String,
        body: Option<&B>,
    ) -> Result<T, BankError> {
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(&self.api_key)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(body) = body {
            let json = serde_json::to_vec(body).map_err(|e| BankError::Reply(e.to_string()))?;
            request = request.body(json);
        }
        let reply = request.send().await.map_err(transport)?;
        let status = reply.status();
        let text = reply.text().await.map_err(transport)?;
        if !status.is_success() {
            return Err(BankError::Refused {
                status: status.as_u16(),
                body: serde_json::from_str(&text).ok(),
                text,
            });
        }
        serde_json::from_str(&text).map_err(|e| BankError::Reply(e.to_string()))
    }
}

/// A transport failure with its causes (reqwest's own text names only the step and the url:
/// "error sending request for url (…)").
fn transport(error: reqwest::Error) -> BankError {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    BankError::Transport(text)
}
