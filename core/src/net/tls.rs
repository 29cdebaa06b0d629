//! The TLS configuration for the provider link: TLS 1.3 only, trusting only the configured CA
//! certificates, with a rustls crypto provider (on ring) narrowed to what that link needs.
//!
//! Why narrow: the phone talks to one provider whose CA it pins, so it needs neither TLS 1.2
//! nor client certificates nor every signature scheme on the web. Each algorithm left out is
//! code left out of the phone library (issue 5's size target); `docs/protocol.md` lists what a
//! provider must offer.

use std::sync::Arc;

use rustls::{
    ClientConfig, Error, RootCertStore, SignatureScheme, SupportedCipherSuite,
    crypto::{
        CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms,
        ring::{cipher_suite, kx_group},
    },
    pki_types::PrivateKeyDer,
    sign::SigningKey,
};
use rustls_pki_types::{CertificateDer, pem::PemObject};
use webpki::ring as algs;

use crate::error::CoreError;

/// The TLS 1.3 cipher suites offered, in order of preference: the two AES-GCM suites. Every
/// phone this app supports has AES instructions, and where one lacks them ring's constant-time
/// software AES is still fast for replies of a few hundred bytes; ChaCha20-Poly1305 would add
/// about 50 KB to the library for no one.
const CIPHER_SUITES: [SupportedCipherSuite; 2] = [
    cipher_suite::TLS13_AES_128_GCM_SHA256,
    cipher_suite::TLS13_AES_256_GCM_SHA384,
];

/// Signature algorithms accepted in the provider's certificate chain and its TLS 1.3
/// CertificateVerify: ECDSA on P-256 and P-384, and Ed25519. RSA is not accepted: the
/// provider's own CA issues EC keys (see `docs/protocol.md`), and RSA verification would add
/// ring's big-number code to every phone.
static SIGNATURES: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        algs::ECDSA_P256_SHA256,
        algs::ECDSA_P256_SHA384,
        algs::ECDSA_P384_SHA256,
        algs::ECDSA_P384_SHA384,
        algs::ED25519,
    ],
    // In TLS 1.3 each scheme fixes its curve.
    mapping: &[
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[algs::ECDSA_P256_SHA256],
        ),
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[algs::ECDSA_P384_SHA384],
        ),
        (SignatureScheme::ED25519, &[algs::ED25519]),
    ],
};

/// The rustls client configuration for a provider whose CA certificates are `ca_pem`: these
/// certificates are the only roots (no platform roots, no platform verifier). Handed to reqwest
/// whole (`tls_backend_preconfigured`), which takes it by value.
pub(crate) fn client_config(ca_pem: &str) -> Result<ClientConfig, CoreError> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let cert = cert.map_err(|_| CoreError::InvalidInput {
            reason: "the provider CA is not valid PEM".into(),
        })?;
        roots.add(cert).map_err(|_| CoreError::InvalidInput {
            reason: "the provider CA certificate is invalid".into(),
        })?;
    }
    if roots.is_empty() {
        return Err(CoreError::InvalidInput {
            reason: "no provider CA certificate configured".into(),
        });
    }
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| CoreError::Tls {
            reason: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The crypto provider: ring's AES-GCM TLS 1.3 suites, X25519 then P-256 key exchange, the signature
/// algorithms above, ring's system RNG, and no private keys at all.
fn provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: CIPHER_SUITES.to_vec(),
        kx_groups: vec![kx_group::X25519, kx_group::SECP256R1],
        signature_verification_algorithms: SIGNATURES,
        secure_random: &SystemRandom,
        key_provider: &NoPrivateKeys,
    }
}

/// ring's operating-system RNG (the same source rustls's stock ring provider uses).
#[derive(Debug)]
struct SystemRandom;

impl SecureRandom for SystemRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        use ring::rand::SecureRandom as _;
        ring::rand::SystemRandom::new()
            .fill(buf)
            .map_err(|_| GetRandomFailed)
    }
}

/// The app never authenticates with a TLS client certificate, so it loads no private keys;
/// leaving ring's key loaders out keeps RSA and ECDSA *signing* out of the library.
#[derive(Debug)]
struct NoPrivateKeys;

impl KeyProvider for NoPrivateKeys {
    fn load_private_key(
        &self,
        _key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, Error> {
        Err(Error::General(
            "TLS client certificates are not used by this app".into(),
        ))
    }
}
