//! HTTPS clients for tests: they trust only the provider's CA, on rustls with ring (never
//! aws-lc), with `TCP_NODELAY` set so no reply waits for a delayed ACK.

use std::{sync::Arc, time::Duration};

use rustls_pki_types::{CertificateDer, pem::PemObject};

use crate::provider::KitError;

/// How long one request may take before a test fails rather than hangs.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A client builder that trusts only the CA certificates in `ca_pem`; callers add what they
/// need (HTTP/2, other timeouts) before `build()`.
pub fn pinned_client_builder(ca_pem: &str) -> Result<reqwest::ClientBuilder, KitError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let cert = cert.map_err(|e| KitError::Tls(format!("the CA is not valid PEM: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| KitError::Tls(format!("the CA is not a valid certificate: {e}")))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| KitError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .tcp_nodelay(true)
        .timeout(REQUEST_TIMEOUT))
}

/// A client that trusts only the CA certificates in `ca_pem`.
pub fn pinned_client(ca_pem: &str) -> Result<reqwest::Client, KitError> {
    pinned_client_builder(ca_pem)?
        .build()
        .map_err(|e| KitError::Tls(e.to_string()))
}
