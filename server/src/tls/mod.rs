//! TLS for the provider: the rustls crypto provider (ring, never aws-lc), loading the server
//! certificate and key from PEM files, and (in `dev_ca.rs`) the development CA of `--dev`.

mod dev_ca;

pub use dev_ca::{DevTls, dev_tls_paths, ensure_dev_tls};

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::{InconsistentKeys, ServerConfig};
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

/// ALPN protocols offered by the server, most preferred first.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Errors from loading or generating TLS material.
///
/// Messages never contain key material or PEM contents, only paths and what to do.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A configured certificate or key file does not exist.
    #[error(
        "TLS file {path} does not exist; check the configured certificate/key path \
         (`--dev` generates development certificates)"
    )]
    Missing {
        /// The missing file.
        path: PathBuf,
    },
    /// A file exists but could not be read.
    #[error("cannot read TLS file {path}: {source}; check its permissions")]
    Read {
        /// The unreadable file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A directory or file could not be created or written.
    #[error("cannot write {path}: {source}; check that the data directory is writable")]
    Write {
        /// The file or directory being written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file is not well-formed PEM.
    #[error("{path} is not valid PEM ({problem}); replace it with a PEM file")]
    BadPem {
        /// The malformed file.
        path: PathBuf,
        /// What is wrong, without any of the file's contents.
        problem: &'static str,
    },
    /// The certificate file holds no certificate.
    #[error(
        "{path} contains no certificate; expected one or more `-----BEGIN CERTIFICATE-----` \
         blocks, server certificate first"
    )]
    NoCertificate {
        /// The file without a certificate.
        path: PathBuf,
    },
    /// The key file holds no private key.
    #[error(
        "{path} contains no private key; expected a PEM `PRIVATE KEY` (PKCS#8), \
         `EC PRIVATE KEY` (SEC1) or `RSA PRIVATE KEY` (PKCS#1) block"
    )]
    NoPrivateKey {
        /// The file without a private key.
        path: PathBuf,
    },
    /// The key file holds a private key that cannot be used.
    #[error(
        "the private key in {path} is invalid or of an unsupported type; \
         use an ECDSA P-256/P-384 or Ed25519 key"
    )]
    InvalidKey {
        /// The file with the unusable key.
        path: PathBuf,
    },
    /// The key file holds an RSA key: the SoftToken app does not accept RSA certificates.
    #[error(
        "the private key in {path} is an RSA key, but SoftToken apps accept only ECDSA \
         P-256/P-384 or Ed25519 provider certificates (docs/protocol.md §6.1.1); \
         have the certificate issued for such a key"
    )]
    RsaKey {
        /// The file with the RSA key.
        path: PathBuf,
    },
    /// The private key does not belong to the certificate.
    #[error(
        "the private key in {key} does not match the certificate in {cert}; \
         configure the key that was used to request this certificate"
    )]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// rustls refused the configuration.
    #[error("cannot build the TLS configuration: {0}")]
    Config(#[source] rustls::Error),
    /// The development CA's key is gone, so no server certificate can be issued.
    #[error(
        "the dev CA key {key} is missing, so the server certificate cannot be (re)issued; \
         delete {ca} to create a new dev CA (clients pinning the old one must then be updated)"
    )]
    CaKeyMissing {
        /// The missing CA key file.
        key: PathBuf,
        /// The CA certificate that has no key.
        ca: PathBuf,
    },
    /// A freshly issued server certificate does not verify against the stored CA certificate.
    #[error(
        "a server certificate issued by the dev CA does not verify against {ca} ({detail}); \
         the CA certificate and its key do not belong together — delete the directory {dir} \
         to start over with a new dev CA"
    )]
    ChainCheck {
        /// The CA certificate file.
        ca: PathBuf,
        /// The directory holding the development TLS files.
        dir: PathBuf,
        /// Why verification failed.
        detail: String,
    },
    /// Generating a key or certificate failed.
    #[error("cannot generate the development certificates: {detail}")]
    Generate {
        /// Why generation failed.
        detail: String,
    },
}

/// Installs rustls's ring provider as the process-wide default.
///
/// Idempotent: if a provider is already installed (by an earlier call or by another component)
/// it is left in place, since the process can only have one and replacing it is impossible.
pub fn install_crypto_provider() {
    if CryptoProvider::get_default().is_none() {
        // Losing a race to another thread installing a provider is just as fine.
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The ring crypto provider, passed explicitly to every rustls builder so that nothing depends
/// on which process default happens to be installed.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the server configuration from a PEM certificate chain (server certificate first,
/// then any intermediates) and a PEM private key (PKCS#8, SEC1 or PKCS#1).
///
/// Safe default protocol versions (TLS 1.3 and 1.2), no client authentication, ALPN `h2` then
/// `http/1.1`.
pub fn load_server_config(cert_pem: &Path, key_pem: &Path) -> Result<ServerConfig, TlsError> {
    let chain = read_certs(cert_pem)?;
    let key = read_private_key(key_pem)?;
    let provider = crypto_provider();
    // Loaded once on its own so that an unusable key gets an error naming the key file, rather
    // than rustls's generic message from inside `with_single_cert`.
    let signing_key = provider
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|_| TlsError::InvalidKey {
            path: key_pem.to_path_buf(),
        })?;
    // The app's TLS leaves RSA out (core/src/net/tls.rs): a provider serving an RSA certificate
    // would start fine and then fail every phone's handshake, so it refuses to start instead.
    if signing_key.algorithm() == rustls::SignatureAlgorithm::RSA {
        return Err(TlsError::RsaKey {
            path: key_pem.to_path_buf(),
        });
    }
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch) => {
                TlsError::KeyMismatch {
                    cert: cert_pem.to_path_buf(),
                    key: key_pem.to_path_buf(),
                }
            }
            other => TlsError::Config(other),
        })?;
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// Reads every certificate in a PEM file, e.g. a CA certificate for clients to pin.
///
/// Fails if the file is missing, malformed or contains no certificate.
pub fn load_ca_certs(pem: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    read_certs(pem)
}

/// Reads a whole file; the buffer is wiped on drop because it may hold a private key.
fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, TlsError> {
    fs::read(path).map(Zeroizing::new).map_err(|source| {
        if source.kind() == io::ErrorKind::NotFound {
            TlsError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            TlsError::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

/// Describes a PEM error without echoing any of the file's bytes (which `pem::Error`'s own
/// messages may do, and the file may be a private key).
fn pem_problem(e: &pem::Error) -> &'static str {
    match e {
        pem::Error::MissingSectionEnd { .. } => "a BEGIN line has no matching END line",
        pem::Error::IllegalSectionStart { .. } => "malformed BEGIN line",
        pem::Error::Base64Decode(_) => "invalid base64 between BEGIN and END",
        pem::Error::SectionTooLarge => "a PEM section is too large",
        _ => "unreadable PEM",
    }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read_file(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadPem {
            path: path.to_path_buf(),
            problem: pem_problem(&e),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read_file(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoPrivateKey {
            path: path.to_path_buf(),
        },
        other => TlsError::BadPem {
            path: path.to_path_buf(),
            problem: pem_problem(&other),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rsa_server_key_is_refused_because_apps_do_not_accept_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dev = ensure_dev_tls(tmp.path()).unwrap();
        let rsa = tmp.path().join("rsa-key.pem");
        fs::write(
            &rsa,
            include_str!("../../tests/fixtures/rsa-2048-test-key.pem"),
        )
        .unwrap();
        let err = load_server_config(&dev.cert_pem, &rsa).unwrap_err();
        assert!(
            matches!(&err, TlsError::RsaKey { path } if *path == rsa),
            "{err:?}"
        );
        assert!(err.to_string().contains("ECDSA"), "{err}");
    }

    #[test]
    fn missing_files_name_the_path() {
        let tmp = tempfile::tempdir().unwrap();
        let dev = ensure_dev_tls(tmp.path()).unwrap();
        let nowhere = tmp.path().join("nowhere.pem");

        let err = load_server_config(&nowhere, &dev.key_pem).unwrap_err();
        assert!(matches!(err, TlsError::Missing { ref path } if *path == nowhere));
        assert!(err.to_string().contains(&*nowhere.to_string_lossy()));

        let err = load_server_config(&dev.cert_pem, &nowhere).unwrap_err();
        assert!(matches!(err, TlsError::Missing { ref path } if *path == nowhere));

        let err = load_ca_certs(&nowhere).unwrap_err();
        assert!(matches!(err, TlsError::Missing { ref path } if *path == nowhere));
    }

    #[test]
    fn wrong_file_contents_are_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let dev = ensure_dev_tls(tmp.path()).unwrap();
        let ca_key = tmp.path().join("tls/ca-key.pem");

        // A key file where the certificate should be.
        let err = load_server_config(&dev.key_pem, &dev.key_pem).unwrap_err();
        assert!(matches!(err, TlsError::NoCertificate { ref path } if *path == dev.key_pem));

        // A certificate where the key should be.
        let err = load_server_config(&dev.cert_pem, &dev.cert_pem).unwrap_err();
        assert!(matches!(err, TlsError::NoPrivateKey { ref path } if *path == dev.cert_pem));

        // The CA's key with the server's certificate.
        let err = load_server_config(&dev.cert_pem, &ca_key).unwrap_err();
        assert!(matches!(err, TlsError::KeyMismatch { .. }), "{err:?}");

        // A syntactically valid PEM key block whose contents are not a key.
        let junk = tmp.path().join("junk-key.pem");
        fs::write(
            &junk,
            "-----BEGIN PRIVATE KEY-----\nAAECAwQFBgcICQ==\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let err = load_server_config(&dev.cert_pem, &junk).unwrap_err();
        assert!(
            matches!(err, TlsError::InvalidKey { ref path } if *path == junk),
            "{err:?}"
        );
        assert!(!err.to_string().contains("AAECAwQFBgcICQ"));

        // Broken framing.
        let broken = tmp.path().join("broken.pem");
        fs::write(&broken, "-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap();
        let err = load_ca_certs(&broken).unwrap_err();
        assert!(
            matches!(err, TlsError::BadPem { ref path, .. } if *path == broken),
            "{err:?}"
        );
    }

    #[test]
    fn server_config_offers_h2_and_http11() {
        let tmp = tempfile::tempdir().unwrap();
        let dev = ensure_dev_tls(tmp.path()).unwrap();
        let config = load_server_config(&dev.cert_pem, &dev.key_pem).unwrap();
        assert_eq!(
            config.alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }

    #[test]
    fn install_crypto_provider_is_idempotent() {
        install_crypto_provider();
        install_crypto_provider();
        assert!(CryptoProvider::get_default().is_some());
    }
}
