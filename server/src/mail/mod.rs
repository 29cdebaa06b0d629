//! The issuance mail (手順2 of the bank manual).
//!
//! When a bank issues a token, the provider mails the user the Service ID, the User ID and the
//! app link, so that the user can set the app up. The activation password (利用開始パスワード) is
//! never part of it: the user chose it at the bank, and [`TokenMail`] has no field for it, so no
//! caller can leak it into a mail by mistake.
//!
//! Mail goes to an SMTP relay when one is configured ([`Mailer::smtp`]); otherwise it is written
//! as `.eml` files to an outbox folder ([`Mailer::outbox`]), which is the embedded default that
//! tests and the demo read.

mod body;
mod template;

use std::{
    fmt,
    net::IpAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use lettre::{
    Address, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Body, Mailbox, SinglePart,
        header::{ContentTransferEncoding, ContentType},
    },
    transport::smtp::{
        authentication::Credentials,
        client::{Certificate, CertificateStore, Tls, TlsParameters},
    },
};
use rustls_pki_types::{CertificateDer, pem::PemObject};
use softtoken_protocol::ids::{ServiceId, UserId};

/// Subject of the issuance mail, Japanese first as in the bank manual.
pub const TOKEN_MAIL_SUBJECT: &str =
    "【SoftToken】ワンタイムパスワード トークン発行のお知らせ / Your one-time password token";

/// Per-command SMTP timeout: an unresponsive relay must fail the send, not hang the bank's
/// issuance request.
const SMTP_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// Bound on a whole SMTP send. The per-command timeout alone would let a relay that answers just
/// in time to every command hold the request for much longer.
const SMTP_SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest recipient address accepted (RFC 5321's path limit, as in the issue endpoint).
const MAX_ADDRESS_LEN: usize = 254;

/// How the connection to the SMTP relay is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which is required (default port 587).
    #[default]
    Starttls,
    /// TLS from the first byte, "SMTPS" (default port 465).
    Tls,
    /// No encryption at all (default port 25). Only for a relay on localhost: anything else
    /// would send the users' mail in clear text. Credentials are refused with this mode unless
    /// the host is loopback.
    None,
}

/// Configuration of the SMTP relay, read from the server's config file.
#[derive(Debug, Clone, serde::Deserialize)]
// A typo such as `password = "…"` must be an error rather than silently ignored: the password
// itself never belongs in the config file.
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Host name of the relay; also the name its TLS certificate must carry.
    pub host: String,
    /// Port of the relay; defaults to 587, 465 or 25 according to [`SmtpConfig::tls`].
    pub port: Option<u16>,
    /// How the connection is protected.
    #[serde(default)]
    pub tls: SmtpTls,
    /// User name for SMTP AUTH, if the relay needs it (then `password_env` is required too).
    pub username: Option<String>,
    /// Name of the environment variable holding the SMTP password. The password itself is never
    /// written in the config, so config files can be shared and checked in.
    pub password_env: Option<String>,
    /// Extra root CA certificate(s), PEM, trusted for the relay besides the webpki roots, e.g.
    /// for a relay with a company-internal certificate.
    pub ca_file: Option<PathBuf>,
}

/// What every issuance mail carries regardless of the recipient.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// The `From` mailbox, e.g. `SoftToken <no-reply@otp-auth.net>`.
    pub from: String,
    /// Where the user downloads the SoftToken app.
    pub app_link: String,
}

/// One issuance mail: what the user needs to set up the app (手順2).
#[derive(Debug, Clone, Copy)]
pub struct TokenMail<'a> {
    /// The recipient's mail address, as given by the bank.
    pub to: &'a str,
    /// The bank's Service ID.
    pub service_id: &'a ServiceId,
    /// The new token's User ID.
    pub user_id: &'a UserId,
    /// Deadline for setting up the app, Unix time in milliseconds.
    pub expires_at_ms: u64,
    /// The bank's label for the token, if any, shown so the user can tell tokens apart.
    pub label: Option<&'a str>,
}

/// Where a mail went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentMail {
    /// Written to the outbox; the path of the `.eml` file.
    Outbox(PathBuf),
    /// Accepted by the SMTP relay.
    Smtp,
}

/// Why a mail could not be built or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The recipient is not a valid mail address.
    #[error("the recipient is not a valid mail address")]
    InvalidAddress,
    /// The configured `from` is not a valid mailbox.
    #[error("the configured sender (mail from) is not a valid mailbox")]
    InvalidFrom,
    /// The outbox folder could not be created or written.
    #[error("could not write the mail outbox: {0}")]
    Outbox(String),
    /// The SMTP relay could not be reached or refused the mail (lettre's error text).
    #[error("SMTP relay error: {0}")]
    Smtp(String),
    /// The mail configuration is unusable.
    #[error("invalid mail configuration: {0}")]
    Config(String),
}

/// Where mail is delivered.
#[derive(Clone)]
enum Transport {
    /// `.eml` files in a folder.
    Outbox {
        dir: PathBuf,
        transport: AsyncFileTransport<Tokio1Executor>,
    },
    /// An SMTP relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Sends the issuance mails, to an SMTP relay or to an outbox folder.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    app_link: String,
    transport: Transport,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hand-written so that no transport internals (SMTP credentials) can end up in logs.
        let transport = match &self.transport {
            Transport::Outbox { dir, .. } => format!("outbox {}", dir.display()),
            Transport::Smtp(_) => "smtp".to_owned(),
        };
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("app_link", &self.app_link)
            .field("transport", &transport)
            .finish()
    }
}

impl Mailer {
    /// A mailer that writes each mail as `<uuid>.eml` into `dir`, creating `dir` if needed.
    pub fn outbox(dir: PathBuf, settings: MailSettings) -> Result<Mailer, MailError> {
        let (from, app_link) = check_settings(settings)?;
        crate::files::create_private_dir(&dir)
            .map_err(|e| MailError::Outbox(format!("{}: {e}", dir.display())))?;
        let transport = AsyncFileTransport::<Tokio1Executor>::new(&dir);
        Ok(Mailer {
            from,
            app_link,
            transport: Transport::Outbox { dir, transport },
        })
    }

    /// A mailer that sends through the SMTP relay in `config`.
    ///
    /// The password is read from the environment variable named by `password_env` now, so a
    /// missing variable fails at startup rather than at the first issuance. Certificates are
    /// checked against the webpki roots plus `ca_file`, with rustls on ring.
    pub fn smtp(config: &SmtpConfig, settings: MailSettings) -> Result<Mailer, MailError> {
        let (from, app_link) = check_settings(settings)?;
        let host = config.host.trim();
        if host.is_empty() {
            return Err(MailError::Config("smtp host is empty".to_owned()));
        }
        let loopback = is_loopback_host(host);

        let credentials = smtp_credentials(config)?;
        let tls = match config.tls {
            SmtpTls::Starttls => Tls::Required(tls_parameters(host, config.ca_file.as_deref())?),
            SmtpTls::Tls => Tls::Wrapper(tls_parameters(host, config.ca_file.as_deref())?),
            SmtpTls::None => {
                if !loopback {
                    if credentials.is_some() {
                        // AUTH over a clear-text connection to another machine would hand the
                        // relay password to anyone on the path.
                        return Err(MailError::Config(
                            "smtp tls = \"none\" with credentials is only allowed for a relay on \
                             localhost"
                                .to_owned(),
                        ));
                    }
                    tracing::warn!(
                        host,
                        "smtp tls = \"none\" to a host that is not localhost: mail is sent in \
                         clear text"
                    );
                }
                Tls::None
            }
        };
        let port = config.port.unwrap_or(match config.tls {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        });

        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(SMTP_COMMAND_TIMEOUT));
        if let Some(credentials) = credentials {
            builder = builder.credentials(credentials);
        }
        Ok(Mailer {
            from,
            app_link,
            transport: Transport::Smtp(builder.build()),
        })
    }

    /// Sends the issuance mail for a new token.
    ///
    /// Returns [`MailError::InvalidAddress`] (and sends nothing) if `mail.to` is not a valid
    /// address.
    pub async fn send_token_mail(&self, mail: &TokenMail<'_>) -> Result<SentMail, MailError> {
        let to = parse_recipient(mail.to)?;
        let body = body::token_mail_body(mail, &self.app_link)
            .map_err(|e| MailError::Config(format!("issuance mail template: {e}")))?;
        let message = self.build_message(to, body)?;
        match &self.transport {
            Transport::Outbox { dir, transport } => {
                let id = transport
                    .send(message)
                    .await
                    .map_err(|e| MailError::Outbox(e.to_string()))?;
                let path = dir.join(format!("{id}.eml"));
                crate::files::make_private(&path)
                    .map_err(|e| MailError::Outbox(format!("{}: {e}", path.display())))?;
                Ok(SentMail::Outbox(path))
            }
            Transport::Smtp(transport) => {
                match tokio::time::timeout(SMTP_SEND_TIMEOUT, transport.send(message)).await {
                    Ok(Ok(_response)) => Ok(SentMail::Smtp),
                    Ok(Err(e)) => Err(MailError::Smtp(e.to_string())),
                    Err(_elapsed) => Err(MailError::Smtp(format!(
                        "no answer within {} s",
                        SMTP_SEND_TIMEOUT.as_secs()
                    ))),
                }
            }
        }
    }

    /// Builds the MIME message: one text/plain UTF-8 part, quoted-printable.
    ///
    /// Quoted-printable is 7-bit clean, so the mail passes relays that do not offer 8BITMIME,
    /// and the ASCII lines (IDs, deadline, a link without `=`) stay readable in the `.eml`
    /// source. 8bit is not an option: lettre only allows it for lines under 76 bytes, which a
    /// Japanese sentence of 26 characters already exceeds.
    fn build_message(&self, to: Mailbox, body: String) -> Result<Message, MailError> {
        // The body is built here rather than through the part builder's `body(String)`, which
        // panics when the chosen encoding does not fit; quoted-printable always fits, and should
        // that ever change, lettre's own choice is the fallback instead of a panic.
        let body = Body::new_with_encoding(body, ContentTransferEncoding::QuotedPrintable)
            .unwrap_or_else(Body::new);
        let part = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(body);
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(TOKEN_MAIL_SUBJECT)
            .message_id(message_id(self.from.email.domain()))
            .singlepart(part)
            .map_err(|e| MailError::Config(format!("cannot build the mail: {e}")))
    }
}

/// Checks that `addr` is a mail address the mailer can send to, so that a caller can reject a
/// bad address before it creates anything. The one check: issuance calls it, and the mailer
/// parses the recipient with the same function, so an address accepted here is always sent.
pub fn validate_address(addr: &str) -> Result<(), MailError> {
    parse_recipient(addr).map(|_| ())
}

/// Parses the recipient: a bare address (`local@domain`, lettre's [`Address`] grammar), no
/// display name (`Name <addr>`), no list (`a, b`, `a;b`), and a domain with a dot (a customer's
/// mailbox is on a public domain).
fn parse_recipient(addr: &str) -> Result<Mailbox, MailError> {
    // Control characters could only be an attempt at header injection; the length bound keeps
    // absurd input out of the parser.
    if addr.len() > MAX_ADDRESS_LEN || addr.chars().any(char::is_control) {
        return Err(MailError::InvalidAddress);
    }
    let address = addr
        .trim()
        .parse::<Address>()
        .map_err(|_| MailError::InvalidAddress)?;
    let domain = address.domain();
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Err(MailError::InvalidAddress);
    }
    Ok(Mailbox::new(None, address))
}

fn check_settings(settings: MailSettings) -> Result<(Mailbox, String), MailError> {
    let from = settings
        .from
        .trim()
        .parse::<Mailbox>()
        .map_err(|_| MailError::InvalidFrom)?;
    let app_link = settings.app_link.trim().to_owned();
    // The link stands on a line of its own in the body; a line break in it would garble the mail.
    if app_link.chars().any(char::is_control) {
        return Err(MailError::Config(
            "app_link contains control characters".to_owned(),
        ));
    }
    Ok((from, app_link))
}

/// Reads the SMTP credentials: the user name from the config, the password from the environment.
fn smtp_credentials(config: &SmtpConfig) -> Result<Option<Credentials>, MailError> {
    match (&config.username, &config.password_env) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(MailError::Config(
            "smtp username is set but password_env is not".to_owned(),
        )),
        (None, Some(_)) => Err(MailError::Config(
            "smtp password_env is set but username is not".to_owned(),
        )),
        (Some(username), Some(var)) => {
            // The error names the variable, never its value.
            let password = std::env::var(var).map_err(|e| {
                MailError::Config(format!("smtp password variable {var} unusable: {e}"))
            })?;
            Ok(Some(Credentials::new(username.clone(), password)))
        }
    }
}

/// TLS parameters for `host`: rustls (lettre's ring provider), webpki roots and the optional
/// extra CA file.
fn tls_parameters(host: &str, ca_file: Option<&Path>) -> Result<TlsParameters, MailError> {
    let mut builder =
        TlsParameters::builder(host.to_owned()).certificate_store(CertificateStore::WebpkiRoots);
    if let Some(path) = ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| MailError::Config(format!("smtp ca_file {}: {e}", path.display())))?;
        // lettre accepts a PEM without any certificate, which would silently trust nothing
        // extra; count them so a wrong file is reported.
        let count = CertificateDer::pem_slice_iter(&pem)
            .try_fold(0usize, |n, cert| cert.map(|_| n + 1))
            .map_err(|e| MailError::Config(format!("smtp ca_file {}: {e}", path.display())))?;
        if count == 0 {
            return Err(MailError::Config(format!(
                "smtp ca_file {} holds no certificate",
                path.display()
            )));
        }
        let cert = Certificate::from_pem(&pem)
            .map_err(|e| MailError::Config(format!("smtp ca_file {}: {e}", path.display())))?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build_rustls()
        .map_err(|e| MailError::Config(format!("smtp TLS setup: {e}")))
}

/// Whether `host` names this machine, the only place a clear-text relay is acceptable.
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A Message-ID in the sender's domain. lettre's default uses the machine's host name, which
/// would tell every recipient the provider's internal host names.
fn message_id(domain: &str) -> Option<String> {
    use ring::rand::SecureRandom;
    let mut random = [0u8; 16];
    match ring::rand::SystemRandom::new().fill(&mut random) {
        Ok(()) => Some(format!("<{}@{domain}>", hex::encode(random))),
        // Without randomness, fall back to lettre's own generator rather than fail the mail.
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::{
        io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
        net::TcpListener,
    };

    const PASSWORD_MARKER: &str = "Sakura#2026";

    fn settings() -> MailSettings {
        MailSettings {
            from: "SoftToken <no-reply@otp-auth.net>".to_owned(),
            app_link: "https://otp-auth.net/app".to_owned(),
        }
    }

    fn ids() -> (ServiceId, UserId) {
        (
            ServiceId::parse("10121234").unwrap(),
            UserId::parse("12345678901234CI").unwrap(),
        )
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("softtoken-mail-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn eml_files(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect()
    }

    /// Decodes a quoted-printable body, enough to read back what the mailer wrote.
    fn decode_qp(text: &str) -> String {
        let joined = text.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let hex_pair = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if bytes[i] == b'='
                && let Some(Ok(b)) = hex_pair.map(|h| u8::from_str_radix(h, 16))
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }

    #[tokio::test]
    async fn outbox_writes_one_eml_with_ids_link_and_deadline() {
        let dir = temp_dir("outbox");
        let mailer = Mailer::outbox(dir.clone(), settings()).unwrap();
        let (service_id, user_id) = ids();
        let sent = mailer
            .send_token_mail(&TokenMail {
                to: "hanako@example.jp",
                service_id: &service_id,
                user_id: &user_id,
                expires_at_ms: 1_795_086_400_000,
                label: Some("Main account"),
            })
            .await
            .unwrap();

        let files = eml_files(&dir);
        assert_eq!(files.len(), 1);
        assert_eq!(sent, SentMail::Outbox(files[0].clone()));
        let eml = std::fs::read_to_string(&files[0]).unwrap();
        assert!(eml.contains("To: hanako@example.jp"), "{eml}");
        assert!(
            eml.contains("From: SoftToken <no-reply@otp-auth.net>"),
            "{eml}"
        );
        assert!(
            eml.contains("Content-Type: text/plain; charset=utf-8"),
            "{eml}"
        );
        assert!(
            eml.contains("Content-Transfer-Encoding: quoted-printable"),
            "{eml}"
        );
        assert!(
            eml.contains("@otp-auth.net>"),
            "Message-ID in the sender's domain: {eml}"
        );
        // The ASCII lines are readable in the file as written, for tools that grep it.
        assert!(eml.contains("Service ID: 10121234"), "{eml}");
        assert!(eml.contains("User ID: 12345678901234CI"), "{eml}");
        assert!(eml.contains("https://otp-auth.net/app"), "{eml}");
        assert!(
            eml.contains("Setup deadline: 2026-11-19 11:06 UTC"),
            "{eml}"
        );
        let text = decode_qp(&eml);
        assert!(text.contains("2026-11-19 20:06（日本時間）"), "{text}");
        assert!(text.contains("■サービスID\r\n  10121234"), "{text}");
        assert!(text.contains("■ユーザID\r\n  12345678901234CI"), "{text}");
        assert!(text.contains("利用開始パスワード"), "{text}");
        assert!(text.contains("Token name: Main account"), "{text}");
        // Japanese comes first, as in the manual.
        assert!(text.find("ユーザID").unwrap() < text.find("User ID").unwrap());
        assert!(!text.contains(PASSWORD_MARKER));
        assert!(!eml.contains(PASSWORD_MARKER));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn invalid_recipient_is_rejected_and_writes_nothing() {
        let dir = temp_dir("invalid");
        let mailer = Mailer::outbox(dir.clone(), settings()).unwrap();
        let (service_id, user_id) = ids();
        for to in [
            "not an address",
            "",
            "hanako@",
            "hanako@example.jp, evil@example.com",
            "hanako@example.jp\r\nBcc: evil@example.com",
        ] {
            let result = mailer
                .send_token_mail(&TokenMail {
                    to,
                    service_id: &service_id,
                    user_id: &user_id,
                    expires_at_ms: 0,
                    label: None,
                })
                .await;
            assert!(
                matches!(result, Err(MailError::InvalidAddress)),
                "{to:?}: {result:?}"
            );
            assert!(validate_address(to).is_err());
        }
        assert!(eml_files(&dir).is_empty());
        assert!(validate_address("hanako@example.jp").is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn invalid_from_is_rejected_at_construction() {
        let dir = temp_dir("from");
        let result = Mailer::outbox(
            dir.clone(),
            MailSettings {
                from: "SoftToken <no-reply>".to_owned(),
                app_link: "https://otp-auth.net/app".to_owned(),
            },
        );
        assert!(matches!(result, Err(MailError::InvalidFrom)), "{result:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn smtp_config_is_checked_at_construction() {
        let base = SmtpConfig {
            host: "smtp.example.net".to_owned(),
            port: None,
            tls: SmtpTls::Starttls,
            username: None,
            password_env: None,
            ca_file: None,
        };
        assert!(Mailer::smtp(&base, settings()).is_ok());
        assert!(
            Mailer::smtp(
                &SmtpConfig {
                    tls: SmtpTls::Tls,
                    ..base.clone()
                },
                settings()
            )
            .is_ok()
        );

        let user_only = SmtpConfig {
            username: Some("mailer".to_owned()),
            ..base.clone()
        };
        assert!(matches!(
            Mailer::smtp(&user_only, settings()),
            Err(MailError::Config(_))
        ));

        let missing_var = SmtpConfig {
            username: Some("mailer".to_owned()),
            password_env: Some("SOFTTOKEN_TEST_SURELY_UNSET_SMTP_PASSWORD".to_owned()),
            ..base.clone()
        };
        assert!(matches!(
            Mailer::smtp(&missing_var, settings()),
            Err(MailError::Config(_))
        ));

        let missing_ca = SmtpConfig {
            ca_file: Some(PathBuf::from("/nonexistent/softtoken-ca.pem")),
            ..base.clone()
        };
        assert!(matches!(
            Mailer::smtp(&missing_ca, settings()),
            Err(MailError::Config(_))
        ));

        let dir = temp_dir("ca");
        std::fs::create_dir_all(&dir).unwrap();
        let empty_pem = dir.join("empty.pem");
        std::fs::write(&empty_pem, "no certificate here\n").unwrap();
        let empty_ca = SmtpConfig {
            ca_file: Some(empty_pem),
            ..base.clone()
        };
        assert!(matches!(
            Mailer::smtp(&empty_ca, settings()),
            Err(MailError::Config(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);

        // Clear text is tolerated to any host without credentials (with a warning), but never
        // with credentials unless the relay is local.
        let clear = SmtpConfig {
            tls: SmtpTls::None,
            ..base.clone()
        };
        assert!(Mailer::smtp(&clear, settings()).is_ok());
        assert!(is_loopback_host("localhost"));
        assert!(is_loopback_host("127.0.0.1"));
        assert!(is_loopback_host("[::1]"));
        assert!(!is_loopback_host("smtp.example.net"));

        let toml_like: SmtpConfig =
            serde_json::from_str(r#"{"host":"relay","tls":"tls","port":2465}"#).unwrap();
        assert_eq!(toml_like.tls, SmtpTls::Tls);
        let default_tls: SmtpConfig = serde_json::from_str(r#"{"host":"relay"}"#).unwrap();
        assert_eq!(default_tls.tls, SmtpTls::Starttls);
        assert!(
            serde_json::from_str::<SmtpConfig>(r#"{"host":"relay","password":"x"}"#).is_err(),
            "a password in the config must be refused"
        );
    }

    /// A stand-in for an SMTP relay, because no real relay can run in tests: it speaks just
    /// enough SMTP for one plain-text delivery and hands back the message it received.
    async fn fake_smtp_relay() -> (u16, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read);
            write.write_all(b"220 fake.relay ESMTP\r\n").await.unwrap();
            let mut message = String::new();
            let mut line = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap() == 0 {
                    break;
                }
                let command = line.trim_end().to_ascii_uppercase();
                if command.starts_with("DATA") {
                    write
                        .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                        .await
                        .unwrap();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap() == 0 {
                            break;
                        }
                        if line == ".\r\n" {
                            break;
                        }
                        // Undo the sender's dot-stuffing.
                        message.push_str(line.strip_prefix('.').unwrap_or(&line));
                    }
                    write.write_all(b"250 queued\r\n").await.unwrap();
                } else if command.starts_with("QUIT") {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                } else {
                    // EHLO, MAIL, RCPT, RSET, NOOP: all fine with this relay.
                    write.write_all(b"250 ok\r\n").await.unwrap();
                }
            }
            message
        });
        (port, handle)
    }

    #[tokio::test]
    async fn smtp_without_tls_delivers_to_a_local_relay() {
        let (port, relay) = fake_smtp_relay().await;
        let config = SmtpConfig {
            host: "127.0.0.1".to_owned(),
            port: Some(port),
            tls: SmtpTls::None,
            username: None,
            password_env: None,
            ca_file: None,
        };
        let mailer = Mailer::smtp(&config, settings()).unwrap();
        let (service_id, user_id) = ids();
        let sent = mailer
            .send_token_mail(&TokenMail {
                to: "hanako@example.jp",
                service_id: &service_id,
                user_id: &user_id,
                expires_at_ms: 1_795_086_400_000,
                label: None,
            })
            .await
            .unwrap();
        assert_eq!(sent, SentMail::Smtp);

        let received = relay.await.unwrap();
        assert!(received.contains("12345678901234CI"), "{received}");
        assert!(
            received.contains("Content-Transfer-Encoding: quoted-printable"),
            "{received}"
        );
        // Mail through a relay is 7-bit clean, so no 8BITMIME is needed.
        assert!(received.is_ascii());
        let body = decode_qp(&received);
        assert!(body.contains("ユーザID"), "{body}");
        assert!(body.contains("https://otp-auth.net/app"), "{body}");
        assert!(body.contains("2026-11-19 11:06 UTC"), "{body}");
        assert!(!body.contains(PASSWORD_MARKER));
    }

    #[tokio::test]
    async fn long_japanese_label_is_sent_without_panicking() {
        // 64 full-width characters: 192 bytes on one line, far past lettre's 76-byte limit for
        // unencoded lines, which once made its body builder panic.
        let label = "口座".repeat(32);
        let dir = temp_dir("label");
        let mailer = Mailer::outbox(dir.clone(), settings()).unwrap();
        let (service_id, user_id) = ids();
        let sent = mailer
            .send_token_mail(&TokenMail {
                // A bare address: display names are refused since issue 12 (finding 8).
                to: "hanako@example.jp",
                service_id: &service_id,
                user_id: &user_id,
                expires_at_ms: 1_795_086_400_000,
                label: Some(&label),
            })
            .await
            .unwrap();
        let SentMail::Outbox(path) = sent else {
            panic!("expected the outbox");
        };
        let eml = std::fs::read_to_string(path).unwrap();
        assert!(eml.is_ascii());
        assert!(decode_qp(&eml).contains(&label));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
