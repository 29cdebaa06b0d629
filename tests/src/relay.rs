//! [`TamperingRelay`]: a man in the middle between a phone and the real provider, as a
//! phishing attacker would run it: HTTPS on 127.0.0.1 with a certificate the phone trusts,
//! every request forwarded to the provider unchanged, and in every pending-transaction list
//! (`POST /v1/tokens/transactions`) the first transfer's payee account replaced by the
//! attacker's, [`FORGED_ACCOUNT`], its MAC left as the provider computed it.
//!
//! A fake on purpose: the real provider cannot be made to send a list whose MAC does not
//! match, and the attack this stands for is exactly a party in between. The phone must refuse
//! such a list as a possible interception and let nothing of it be acted on.
//!
//! Its certificate is the provider's own (issued by the dev CA for 127.0.0.1): the attacker of
//! this test holds a certificate the phone trusts, the case where TLS alone no longer helps
//! and the list's MAC is what is left.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use axum_server::{Handle, tls_rustls::RustlsConfig};
use softtoken_protocol::wire::{self, TransactionListResponse};
use tokio::task::JoinHandle;

use crate::{provider::KitError, tls::pinned_client};

/// The account the relay puts in place of the genuine payee's.
pub const FORGED_ACCOUNT: &str = "7654321";

/// The device endpoint whose replies the relay changes.
const LIST_PATH: &str = "/v1/tokens/transactions";

/// Largest provider reply the relay reads (a list holds at most a few transfers).
const MAX_REPLY: usize = 1 << 20;

/// Headers that belong to one hop and are not forwarded (reqwest and hyper set their own).
const HOP_HEADERS: [header::HeaderName; 4] = [
    header::HOST,
    header::CONNECTION,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
];

/// The relay, serving until dropped.
pub struct TamperingRelay {
    url: String,
    tampered: Arc<AtomicUsize>,
    handle: Handle<SocketAddr>,
    serve: JoinHandle<()>,
}

/// What each forwarded request needs.
struct Upstream {
    provider_url: String,
    client: reqwest::Client,
    tampered: Arc<AtomicUsize>,
}

impl TamperingRelay {
    /// A relay to `provider`, on 127.0.0.1 and a free port, with the provider's certificate.
    pub async fn start(provider: &crate::TestProvider) -> Result<TamperingRelay, KitError> {
        softtoken_server::tls::install_crypto_provider();
        let tls = &provider.config().tls;
        let server_config =
            softtoken_server::tls::load_server_config(&tls.cert_file, &tls.key_file)
                .map_err(|e| KitError::Tls(e.to_string()))?;
        let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).map_err(
            |error| KitError::Serve {
                what: "the tampering relay",
                error,
            },
        )?;
        let addr = listener.local_addr().map_err(|error| KitError::Serve {
            what: "the tampering relay",
            error,
        })?;
        let tampered = Arc::new(AtomicUsize::new(0));
        let upstream = Arc::new(Upstream {
            provider_url: provider.url().to_owned(),
            client: pinned_client(provider.ca_pem())?,
            tampered: Arc::clone(&tampered),
        });
        let server = axum_server::from_tcp_rustls(
            listener,
            RustlsConfig::from_config(Arc::new(server_config)),
        )
        .map_err(|error| KitError::Serve {
            what: "the tampering relay",
            error,
        })?;
        let handle = Handle::new();
        let app = Router::new().fallback(forward).with_state(upstream);
        let serve = tokio::spawn({
            let handle = handle.clone();
            async move {
                // An accept error ends the relay; the phone's next call then fails visibly.
                let _ = server.handle(handle).serve(app.into_make_service()).await;
            }
        });
        Ok(TamperingRelay {
            url: format!("https://{addr}"),
            tampered,
            handle,
            serve,
        })
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many lists the relay has changed so far (a test checks the attack took place).
    pub fn tampered(&self) -> usize {
        self.tampered.load(Ordering::SeqCst)
    }
}

impl Drop for TamperingRelay {
    fn drop(&mut self) {
        self.handle.shutdown();
        self.serve.abort();
    }
}

/// Forwards one request to the provider and its reply back, changing a non-empty list.
async fn forward(
    State(upstream): State<Arc<Upstream>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = upstream
        .client
        .request(method.clone(), format!("{}{path}", upstream.provider_url))
        .body(body);
    for (name, value) in headers.iter().filter(|(n, _)| !HOP_HEADERS.contains(n)) {
        request = request.header(name, value);
    }
    let reply = match request.send().await {
        Ok(reply) => reply,
        Err(err) => return (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    };
    let status = reply.status();
    let mut reply_headers = reply.headers().clone();
    for name in &HOP_HEADERS {
        reply_headers.remove(name);
    }
    let body = match reply.bytes().await {
        Ok(body) => body,
        Err(err) => return (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    };
    let body = if method == Method::POST && uri.path() == LIST_PATH && status.is_success() {
        tamper(&upstream, body)
    } else {
        body
    };
    (status, reply_headers, body).into_response()
}

/// The attack: the first listed transfer now pays [`FORGED_ACCOUNT`]; the MAC is untouched.
fn tamper(upstream: &Upstream, body: Bytes) -> Bytes {
    let Ok(mut list) = wire::decode::<TransactionListResponse>(&body, MAX_REPLY) else {
        return body;
    };
    let Some(first) = list.transactions.first_mut() else {
        return body;
    };
    FORGED_ACCOUNT.clone_into(&mut first.payee.account_number);
    upstream.tampered.fetch_add(1, Ordering::SeqCst);
    Bytes::from(wire::encode(&list))
}
