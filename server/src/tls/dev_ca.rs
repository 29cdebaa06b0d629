//! The development CA of `--dev`: a CA made once per data directory and a server certificate
//! it issues for `localhost`, `127.0.0.1` and `::1`, so that a fresh checkout serves HTTPS
//! without any manual step while clients can still pin a real trust anchor.

use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand_core::{OsRng, RngCore};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use zeroize::Zeroizing;

use super::{TlsError, crypto_provider, load_server_config, read_certs, read_file};
use crate::files::{Existing, create_private_dir, write_atomic};

/// Sub-directory of the data directory that holds the development CA and server certificate.
const TLS_DIR: &str = "tls";
const CA_CERT_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca-key.pem";
const SERVER_CERT_FILE: &str = "server.pem";
const SERVER_KEY_FILE: &str = "server-key.pem";

const CA_COMMON_NAME: &str = "SoftToken Development CA";
const SERVER_COMMON_NAME: &str = "localhost";
/// Names the development server certificate is valid for: everything a local client may dial.
const SERVER_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

const DAY: Duration = Duration::from_secs(86_400);
const CA_LIFETIME: Duration = Duration::from_secs(3_650 * 86_400);
const SERVER_LIFETIME: Duration = Duration::from_secs(365 * 86_400);
/// Certificates start slightly in the past so a client whose clock lags the server's a little
/// (containers, emulators, VMs) does not reject a certificate issued a moment ago.
const BACKDATE: Duration = Duration::from_secs(3_600);

/// Paths of the development TLS files made by [`ensure_dev_tls`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevTls {
    /// The development CA certificate: what clients pin.
    pub ca_pem: PathBuf,
    /// The server certificate, issued by the development CA.
    pub cert_pem: PathBuf,
    /// The server's private key (mode 0600).
    pub key_pem: PathBuf,
}

/// Where [`ensure_dev_tls`] keeps the development TLS files of `data_dir` (whether they exist
/// yet or not).
pub fn dev_tls_paths(data_dir: &Path) -> DevTls {
    let dir = data_dir.join(TLS_DIR);
    DevTls {
        ca_pem: dir.join(CA_CERT_FILE),
        cert_pem: dir.join(SERVER_CERT_FILE),
        key_pem: dir.join(SERVER_KEY_FILE),
    }
}

/// Makes sure `data_dir/tls/` holds a development CA and a server certificate for
/// `localhost`, `127.0.0.1` and `::1`, creating whatever is missing.
///
/// Existing files are reused, so clients keep their pinned CA across restarts. If the CA is
/// present but the server certificate is missing, no longer verifies (e.g. expired) or does not
/// match its key, a new one is issued with the stored CA key. Every file is written atomically,
/// and files are ordered so that a crash at any point leaves a state the next run repairs.
pub fn ensure_dev_tls(data_dir: &Path) -> Result<DevTls, TlsError> {
    let dir = data_dir.join(TLS_DIR);
    create_private_dir(&dir).map_err(|source| TlsError::Write {
        path: dir.clone(),
        source,
    })?;
    let paths = dev_tls_paths(data_dir);
    let ca_key_path = dir.join(CA_KEY_FILE);

    if !exists(&paths.ca_pem)? {
        // A new CA invalidates any server certificate issued before. That one goes first, so
        // a crash from here on leaves "no server certificate", which the next run re-issues,
        // never a server certificate that does not chain to ca.pem.
        remove_if_exists(&paths.cert_pem)?;
        let ca_key = if exists(&ca_key_path)? {
            // Left over from a crash between writing the key and the certificate.
            load_ca_key(&ca_key_path)?
        } else {
            let key = KeyPair::generate().map_err(generate_error)?;
            let key_pem = Zeroizing::new(key.serialize_pem());
            write_file(&ca_key_path, key_pem.as_bytes())?;
            key
        };
        let ca_params = ca_params(&ca_key)?;
        let ca_cert = ca_params.self_signed(&ca_key).map_err(generate_error)?;
        write_file(&paths.ca_pem, ca_cert.pem().as_bytes())?;
        tracing::info!(ca = %paths.ca_pem.display(), "created a development CA");
        issue_server_cert(&paths, &dir, &ca_params, &ca_key, ca_cert.der())?;
        return Ok(paths);
    }

    let ca_der = first_cert(&paths.ca_pem)?;
    if exists(&paths.cert_pem)? && exists(&paths.key_pem)? {
        let verdict = load_server_config(&paths.cert_pem, &paths.key_pem)
            .and_then(|_| read_certs(&paths.cert_pem))
            .and_then(|chain| verify_chain(&ca_der, &chain, &paths.ca_pem, &dir));
        match verdict {
            Ok(()) => return Ok(paths),
            Err(e) => tracing::info!(
                cert = %paths.cert_pem.display(),
                reason = %e,
                "the development server certificate is unusable; issuing a new one"
            ),
        }
    }

    if !exists(&ca_key_path)? {
        return Err(TlsError::CaKeyMissing {
            key: ca_key_path,
            ca: paths.ca_pem,
        });
    }
    let ca_key = load_ca_key(&ca_key_path)?;
    issue_server_cert(&paths, &dir, &ca_params(&ca_key)?, &ca_key, &ca_der)?;
    Ok(paths)
}

/// Parameters of the development CA whose key is `ca_key`.
///
/// Also used to sign with a CA loaded from disk: the issuer name and key identifier method
/// must come out exactly as when ca.pem was made, so they depend on nothing but the key.
fn ca_params(ca_key: &KeyPair) -> Result<CertificateParams, TlsError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, CA_COMMON_NAME);
    // Every installation's CA gets a distinct name, so a client pinning another machine's dev
    // CA fails with "unknown issuer" rather than a confusing signature error, and several dev
    // CAs in one trust store can be told apart.
    let fingerprint = ring::digest::digest(&ring::digest::SHA256, ca_key.public_key_raw());
    params.distinguished_name.push(
        DnType::OrganizationalUnitName,
        hex::encode(&fingerprint.as_ref()[..8]),
    );
    // Path length 0: this CA may only issue end-entity certificates, never another CA.
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    set_validity(&mut params, CA_LIFETIME);
    params.serial_number = Some(random_serial()?);
    Ok(params)
}

/// Parameters of the development server certificate.
fn server_params() -> Result<CertificateParams, TlsError> {
    let names: Vec<String> = SERVER_NAMES.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).map_err(generate_error)?;
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, SERVER_COMMON_NAME);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params, SERVER_LIFETIME);
    params.serial_number = Some(random_serial()?);
    Ok(params)
}

/// Issues and writes a new server key and certificate signed by the CA.
fn issue_server_cert(
    paths: &DevTls,
    dir: &Path,
    ca_params: &CertificateParams,
    ca_key: &KeyPair,
    ca_der: &CertificateDer<'_>,
) -> Result<(), TlsError> {
    // The old certificate goes before the new key is written: a crash in between must not leave
    // a certificate next to a key it does not belong to.
    remove_if_exists(&paths.cert_pem)?;
    let key = KeyPair::generate().map_err(generate_error)?;
    let issuer = Issuer::from_params(ca_params, ca_key);
    let cert = server_params()?
        .signed_by(&key, &issuer)
        .map_err(generate_error)?;
    // Checked before anything is written, so a CA key that does not belong to ca.pem is
    // reported instead of producing a server certificate no client would accept.
    verify_chain(ca_der, &[cert.der().clone()], &paths.ca_pem, dir)?;
    let key_pem = Zeroizing::new(key.serialize_pem());
    write_file(&paths.key_pem, key_pem.as_bytes())?;
    write_file(&paths.cert_pem, cert.pem().as_bytes())?;
    tracing::info!(cert = %paths.cert_pem.display(), "issued a development server certificate");
    Ok(())
}

/// Checks that `chain` (server certificate first) verifies against `ca_der` for every name in
/// [`SERVER_NAMES`], right now.
fn verify_chain(
    ca_der: &CertificateDer<'_>,
    chain: &[CertificateDer<'static>],
    ca_path: &Path,
    dir: &Path,
) -> Result<(), TlsError> {
    let fail = |detail: String| TlsError::ChainCheck {
        ca: ca_path.to_path_buf(),
        dir: dir.to_path_buf(),
        detail,
    };
    let Some((leaf, intermediates)) = chain.split_first() else {
        return Err(fail("no server certificate".to_owned()));
    };
    let mut roots = RootCertStore::empty();
    roots
        .add(ca_der.clone().into_owned())
        .map_err(|e| fail(e.to_string()))?;
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), crypto_provider())
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let names = [
        ServerName::try_from(SERVER_COMMON_NAME).map_err(|e| fail(e.to_string()))?,
        ServerName::from(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ServerName::from(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ];
    for name in &names {
        verifier
            .verify_server_cert(leaf, intermediates, name, &[], UnixTime::now())
            .map_err(|e| fail(format!("for {name:?}: {e}")))?;
    }
    Ok(())
}

/// Sets a validity period from a little before now to `lifetime` after now.
fn set_validity(params: &mut CertificateParams, lifetime: Duration) {
    // rcgen's timestamps come from the `time` crate, which is not a dependency of ours, so now
    // is computed as "epoch + elapsed" on a value rcgen hands out.
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    params.not_before = epoch + since_epoch.saturating_sub(BACKDATE);
    params.not_after = epoch + since_epoch + lifetime + DAY;
}

/// A random positive 128-bit serial number, so certificates issued at different times (even
/// for the same key) never share a serial.
fn random_serial() -> Result<SerialNumber, TlsError> {
    let mut bytes = [0u8; 16];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| TlsError::Generate {
            detail: format!("the operating system random generator failed: {e}"),
        })?;
    // Clearing the top bit keeps the DER INTEGER positive without a padding byte.
    bytes[0] &= 0x7f;
    Ok(SerialNumber::from_slice(&bytes))
}

fn generate_error(e: rcgen::Error) -> TlsError {
    TlsError::Generate {
        detail: e.to_string(),
    }
}

fn exists(path: &Path) -> Result<bool, TlsError> {
    path.try_exists().map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn remove_if_exists(path: &Path) -> Result<(), TlsError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(TlsError::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn first_cert(path: &Path) -> Result<CertificateDer<'static>, TlsError> {
    read_certs(path)?
        .into_iter()
        .next()
        .ok_or_else(|| TlsError::NoCertificate {
            path: path.to_path_buf(),
        })
}

fn load_ca_key(path: &Path) -> Result<KeyPair, TlsError> {
    let bytes = read_file(path)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| TlsError::InvalidKey {
        path: path.to_path_buf(),
    })?;
    KeyPair::from_pem(text).map_err(|_| TlsError::InvalidKey {
        path: path.to_path_buf(),
    })
}

/// Writes a TLS file atomically (see [`crate::files`]), naming it in the error.
fn write_file(path: &Path, contents: &[u8]) -> Result<(), TlsError> {
    write_atomic(path, contents, Existing::Replace).map_err(|source| TlsError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::load_ca_certs;
    use rustls::{ClientConfig, ServerConfig};
    use std::io::{Read, Write};

    fn client_config(ca_pem: &Path) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        for cert in load_ca_certs(ca_pem).unwrap() {
            roots.add(cert).unwrap();
        }
        let mut config = ClientConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec()];
        Arc::new(config)
    }

    /// Moves all pending TLS records from one side to the other.
    fn pump(
        from: &mut rustls::Connection,
        to: &mut rustls::Connection,
    ) -> Result<(), rustls::Error> {
        let mut buf = Vec::new();
        while from.wants_write() {
            from.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            to.read_tls(&mut rd).unwrap();
            to.process_new_packets()?;
        }
        Ok(())
    }

    /// Runs a full in-memory handshake and one round of application data.
    fn handshake(
        client_config: Arc<ClientConfig>,
        server_config: Arc<ServerConfig>,
        name: &str,
    ) -> Result<(), rustls::Error> {
        let name = ServerName::try_from(name.to_owned()).unwrap();
        let mut client: rustls::Connection =
            rustls::ClientConnection::new(client_config, name)?.into();
        let mut server: rustls::Connection = rustls::ServerConnection::new(server_config)?.into();
        for _ in 0..10 {
            pump(&mut client, &mut server)?;
            pump(&mut server, &mut client)?;
            if !client.is_handshaking() && !server.is_handshaking() {
                assert_eq!(server.alpn_protocol(), Some(&b"h2"[..]));
                client.writer().write_all(b"ping").unwrap();
                pump(&mut client, &mut server)?;
                let mut got = [0u8; 4];
                server.reader().read_exact(&mut got).unwrap();
                assert_eq!(&got, b"ping");
                return Ok(());
            }
        }
        Err(rustls::Error::General("handshake did not finish".into()))
    }

    fn read(path: &Path) -> Vec<u8> {
        fs::read(path).unwrap()
    }

    #[test]
    fn dev_tls_files_are_created_once_and_reused() {
        let tmp = tempfile::tempdir().unwrap();
        let first = ensure_dev_tls(tmp.path()).unwrap();
        assert_eq!(first.ca_pem, tmp.path().join("tls/ca.pem"));
        assert_eq!(first.cert_pem, tmp.path().join("tls/server.pem"));
        assert_eq!(first.key_pem, tmp.path().join("tls/server-key.pem"));
        let ca_key = tmp.path().join("tls/ca-key.pem");
        let files = [&first.ca_pem, &ca_key, &first.cert_pem, &first.key_pem];
        let before: Vec<Vec<u8>> = files.iter().map(|p| read(p)).collect();

        let second = ensure_dev_tls(tmp.path()).unwrap();
        assert_eq!(first, second);
        let after: Vec<Vec<u8>> = files.iter().map(|p| read(p)).collect();
        assert_eq!(before, after, "existing files must not be regenerated");

        // No temporary files left behind.
        let names: Vec<String> = fs::read_dir(tmp.path().join("tls"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 4, "{names:?}");
    }

    #[test]
    fn key_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dev = ensure_dev_tls(tmp.path()).unwrap();
        for key in [dev.key_pem.clone(), tmp.path().join("tls/ca-key.pem")] {
            let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", key.display());
        }
    }

    #[test]
    fn handshake_with_pinned_dev_ca_for_name_and_ips() {
        let tmp = tempfile::tempdir().unwrap();
        let dev = ensure_dev_tls(tmp.path()).unwrap();
        let server = Arc::new(load_server_config(&dev.cert_pem, &dev.key_pem).unwrap());
        let client = client_config(&dev.ca_pem);
        for name in ["localhost", "127.0.0.1", "::1"] {
            handshake(client.clone(), server.clone(), name)
                .unwrap_or_else(|e| panic!("handshake for {name}: {e}"));
        }
        // A name the certificate is not for is refused.
        let err = handshake(client, server, "example.com").unwrap_err();
        assert!(
            matches!(err, rustls::Error::InvalidCertificate(_)),
            "{err:?}"
        );
    }

    #[test]
    fn handshake_fails_with_another_ca() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let dev_a = ensure_dev_tls(a.path()).unwrap();
        let dev_b = ensure_dev_tls(b.path()).unwrap();
        let server = Arc::new(load_server_config(&dev_a.cert_pem, &dev_a.key_pem).unwrap());
        let err = handshake(client_config(&dev_b.ca_pem), server, "localhost").unwrap_err();
        assert!(
            matches!(
                err,
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
            ),
            "{err:?}"
        );
    }

    #[test]
    fn missing_server_cert_is_reissued_from_the_stored_ca() {
        let tmp = tempfile::tempdir().unwrap();
        let dev = ensure_dev_tls(tmp.path()).unwrap();
        let ca_before = read(&dev.ca_pem);
        let ca_key_before = read(&tmp.path().join("tls/ca-key.pem"));
        let cert_before = read(&dev.cert_pem);
        fs::remove_file(&dev.cert_pem).unwrap();

        let again = ensure_dev_tls(tmp.path()).unwrap();
        assert_eq!(read(&again.ca_pem), ca_before);
        assert_eq!(read(&tmp.path().join("tls/ca-key.pem")), ca_key_before);
        assert_ne!(read(&again.cert_pem), cert_before);
        let server = Arc::new(load_server_config(&again.cert_pem, &again.key_pem).unwrap());
        handshake(client_config(&again.ca_pem), server, "localhost").unwrap();
    }

    #[test]
    fn expired_server_cert_is_reissued() {
        let tmp = tempfile::tempdir().unwrap();
        let dev = ensure_dev_tls(tmp.path()).unwrap();
        // Replace the server certificate with one from the same CA that expired yesterday.
        let ca_key = load_ca_key(&tmp.path().join("tls/ca-key.pem")).unwrap();
        let ca_params = ca_params(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut params = server_params().unwrap();
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let cert = params
            .signed_by(&key, &Issuer::from_params(&ca_params, &ca_key))
            .unwrap();
        fs::write(&dev.cert_pem, cert.pem()).unwrap();
        fs::write(&dev.key_pem, key.serialize_pem()).unwrap();
        let ca_before = read(&dev.ca_pem);

        let again = ensure_dev_tls(tmp.path()).unwrap();
        assert_eq!(read(&again.ca_pem), ca_before);
        assert_ne!(read(&again.cert_pem), cert.pem().into_bytes());
        let server = Arc::new(load_server_config(&again.cert_pem, &again.key_pem).unwrap());
        handshake(client_config(&again.ca_pem), server, "127.0.0.1").unwrap();
    }

    #[test]
    fn missing_ca_key_is_reported_when_a_cert_must_be_issued() {
        let tmp = tempfile::tempdir().unwrap();
        let dev = ensure_dev_tls(tmp.path()).unwrap();
        let ca_key = tmp.path().join("tls/ca-key.pem");
        fs::remove_file(&ca_key).unwrap();
        // Everything else is fine: reused without the CA key.
        ensure_dev_tls(tmp.path()).unwrap();
        fs::remove_file(&dev.cert_pem).unwrap();
        let err = ensure_dev_tls(tmp.path()).unwrap_err();
        assert!(matches!(err, TlsError::CaKeyMissing { .. }), "{err:?}");
        assert!(err.to_string().contains(&*ca_key.to_string_lossy()));
    }
}
