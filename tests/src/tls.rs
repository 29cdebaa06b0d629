//! HTTPS clients for tests: they trust only the provider's CA, on rustls with ring (never
//! aws-lc), with `TCP_NODELAY` set so no reply waits for a delayed ACK.

use std::{sync::Arc, time::Duration};

use rustls_pki_types::{CertificateDer, pem::PemObject};

use crate::provider::KitError;

/// How long one request may take before a test fails rather than hangs.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The TLS configuration every client of the kit uses: only the CA certificates in `ca_pem`
/// are trusted, on the ring provider. Tests that speak TLS by hand (to time a request against
/// a signal, say) start from it too.
pub fn pinned_tls_config(ca_pem: &str) -> Result<rustls::ClientConfig, KitError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let cert = cert.map_err(|e| KitError::Tls(format!("the CA is not valid PEM: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| KitError::Tls(format!("the CA is not a valid certificate: {e}")))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| KitError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// A client builder that trusts only the CA certificates in `ca_pem`; callers add what they
/// need (other timeouts, one connection per client) before `build()`.
pub fn pinned_client_builder(ca_pem: &str) -> Result<reqwest::ClientBuilder, KitError> {
    Ok(builder_over(pinned_tls_config(ca_pem)?))
}

/// The same, offering HTTP/2 by ALPN (`h2`, then `http/1.1`). reqwest never touches the ALPN
/// list of a TLS configuration handed to it, so without this a client speaks HTTP/1.1 over
/// TLS even with reqwest's `http2` feature, which the caller must turn on for itself.
pub fn pinned_h2_client_builder(ca_pem: &str) -> Result<reqwest::ClientBuilder, KitError> {
    let mut tls = pinned_tls_config(ca_pem)?;
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(builder_over(tls))
}

fn builder_over(tls: rustls::ClientConfig) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .tcp_nodelay(true)
        .timeout(REQUEST_TIMEOUT)
}

/// A client that trusts only the CA certificates in `ca_pem`.
pub fn pinned_client(ca_pem: &str) -> Result<reqwest::Client, KitError> {
    pinned_client_builder(ca_pem)?
        .build()
        .map_err(|e| KitError::Tls(e.to_string()))
}
