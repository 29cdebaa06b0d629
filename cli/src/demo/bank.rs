//! The bank's side of the demo: its calls to the provider's bank API over HTTPS, with the
//! development CA pinned and the demo service's API key (what a core-banking system does).

use std::sync::Arc;

use reqwest::Client;
use rustls_pki_types::{CertificateDer, pem::PemObject};
use serde::de::DeserializeOwned;
use softtoken_protocol::wire::{
    IssueTokenRequest, IssueTokenResponse, TokenDetails, VerifyRequest, VerifyResponse,
};

/// The bank's HTTPS client for one service.
pub struct Bank {
    http: Client,
    base: String,
    service_id: String,
    api_key: String,
}

impl Bank {
    /// A client for `url` trusting only `ca_pem`, with rustls on ring (never aws-lc).
    pub fn new(url: &str, ca_pem: &str, service_id: &str, api_key: &str) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            let cert = cert.map_err(|e| format!("the dev CA is not valid PEM: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("the dev CA is not a valid certificate: {e}"))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let http = Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            base: format!("{url}/v1/services/{service_id}/tokens"),
            service_id: service_id.to_owned(),
            api_key: api_key.to_owned(),
        })
    }

    /// The service this bank acts for.
    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    /// 手順1 トークン発行: a token for this mail address and activation password.
    pub async fn issue(&self, email: &str, password: &str) -> Result<IssueTokenResponse, String> {
        let request = IssueTokenRequest {
            email: email.to_owned(),
            activation_password: password.to_owned(),
            label: None,
            customer_ref: None,
        };
        let body = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
        self.send(self.http.post(&self.base).body(body)).await
    }

    /// 認証確認 (and every login): does this code belong to the token now?
    pub async fn verify(&self, user_id: &str, otp: &str) -> Result<VerifyResponse, String> {
        let body = serde_json::to_vec(&VerifyRequest {
            otp: otp.to_owned(),
        })
        .map_err(|e| e.to_string())?;
        let url = format!("{}/{user_id}/verify", self.base);
        self.send(self.http.post(url).body(body)).await
    }

    /// The token as the bank sees it.
    pub async fn details(&self, user_id: &str) -> Result<TokenDetails, String> {
        self.send(self.http.get(format!("{}/{user_id}", self.base)))
            .await
    }

    /// トークンの失効手続き: before a phone change.
    pub async fn revoke(&self, user_id: &str) -> Result<TokenDetails, String> {
        self.send(self.http.post(format!("{}/{user_id}/revoke", self.base)))
            .await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, String> {
        let reply = request
            .bearer_auth(&self.api_key)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .send()
            .await
            .map_err(|e| format!("bank → provider: {e}"))?;
        let status = reply.status();
        let text = reply.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("bank → provider: HTTP {status}: {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("unexpected reply from the provider: {e}"))
    }
}
