//! [`ClockControl`]: the [`TestProvider`](crate::TestProvider)'s manual clock, moved from
//! another process. The Kotlin and Swift suites cannot reach the provider's
//! [`ManualClock`] in memory as the Rust tests do, so `softtoken-test-provider` serves this
//! tiny endpoint next to the provider for them.
//!
//! Plain HTTP on 127.0.0.1 and a port of its own, on purpose: it is the test kit's switch, not
//! part of the provider (which never exposes its clock), and a client needs no CA for it.
//!
//! | request | does |
//! |---|---|
//! | `GET /clock` | nothing |
//! | `POST /clock/advance?seconds=N` | moves the clock forward by N seconds (0 ≤ N ≤ one year) |
//! | `POST /clock/reset` | moves it back to the system time (offset 0) |
//!
//! Each answers `200` with `{"now_ms":…,"offset_ms":…}`: the provider's time afterwards and
//! its distance from the system time, so a suite's phone can follow the provider (its test
//! clock reads the system time plus `offset_ms`). A bad or missing `seconds` is `400`.
//!
//! The clock is the one provider's, shared by every test of the suite run: a test that moves
//! it resets it when it is done (the suites run their tests one after another).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::{RawQuery, State},
    http::StatusCode,
    routing::{get, post},
};
use softtoken_protocol::clock::{Clock, ManualClock};
use tokio::task::JoinHandle;

use crate::provider::KitError;

/// The longest single move: far beyond any deadline a test waits out, short of overflow.
const MAX_ADVANCE_S: u64 = 366 * 24 * 3600;

/// The clock endpoint, serving until dropped.
pub struct ClockControl {
    url: String,
    serve: JoinHandle<()>,
}

/// What every request answers: the clock after the request.
#[derive(Debug, serde::Serialize)]
struct ClockReading {
    /// The provider's time, unix ms.
    now_ms: u64,
    /// How far the provider's clock is from the system time, ms.
    offset_ms: i64,
}

impl ClockControl {
    /// Serves `clock` on 127.0.0.1 and a free port.
    pub async fn start(clock: Arc<ManualClock>) -> Result<ClockControl, KitError> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|error| KitError::Serve {
                what: "the clock control",
                error,
            })?;
        let addr = listener.local_addr().map_err(|error| KitError::Serve {
            what: "the clock control",
            error,
        })?;
        let router = Router::new()
            .route("/clock", get(read))
            .route("/clock/advance", post(advance))
            .route("/clock/reset", post(reset))
            .with_state(clock);
        let serve = tokio::spawn(async move {
            // Ends only with the runtime or when dropped; an accept error ends the endpoint,
            // and the suite's next clock call fails visibly.
            let _ = axum::serve(listener, router).await;
        });
        Ok(ClockControl {
            url: format!("http://{addr}"),
            serve,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ClockControl {
    fn drop(&mut self) {
        self.serve.abort();
    }
}

fn reading(clock: &ManualClock) -> Json<ClockReading> {
    Json(ClockReading {
        now_ms: clock.now_ms(),
        offset_ms: clock.offset_ms(),
    })
}

async fn read(State(clock): State<Arc<ManualClock>>) -> Json<ClockReading> {
    reading(&clock)
}

async fn advance(
    State(clock): State<Arc<ManualClock>>,
    RawQuery(query): RawQuery,
) -> Result<Json<ClockReading>, (StatusCode, &'static str)> {
    let seconds = query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("seconds="))
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| *n <= MAX_ADVANCE_S)
        .ok_or((
            StatusCode::BAD_REQUEST,
            "want ?seconds=N, a whole number of seconds up to a year\n",
        ))?;
    clock.advance(Duration::from_secs(seconds));
    Ok(reading(&clock))
}

async fn reset(State(clock): State<Arc<ManualClock>>) -> Json<ClockReading> {
    clock.shift_ms(clock.offset_ms().saturating_neg());
    reading(&clock)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    async fn call(client: &reqwest::Client, method: reqwest::Method, url: String) -> (u16, String) {
        let reply = client.request(method, url).send().await.unwrap();
        (reply.status().as_u16(), reply.text().await.unwrap())
    }

    fn offset_of(json: &str) -> i64 {
        serde_json::from_str::<serde_json::Value>(json).unwrap()["offset_ms"]
            .as_i64()
            .unwrap()
    }

    #[tokio::test]
    async fn advances_reads_and_resets_the_clock_and_refuses_a_bad_move() {
        let clock = Arc::new(ManualClock::new());
        let control = ClockControl::start(Arc::clone(&clock)).await.unwrap();
        // reqwest builds its (unused here) TLS side on the process's ring provider.
        softtoken_server::tls::install_crypto_provider();
        let client = reqwest::Client::new();
        let url = |path: &str| format!("{}{path}", control.url());

        let (status, body) = call(
            &client,
            reqwest::Method::POST,
            url("/clock/advance?seconds=301"),
        )
        .await;
        assert_eq!((status, offset_of(&body)), (200, 301_000));
        assert_eq!(clock.offset_ms(), 301_000);
        let (status, body) = call(&client, reqwest::Method::GET, url("/clock")).await;
        assert_eq!((status, offset_of(&body)), (200, 301_000));
        for bad in [
            "/clock/advance",
            "/clock/advance?seconds=-5",
            "/clock/advance?seconds=x",
        ] {
            let (status, _) = call(&client, reqwest::Method::POST, url(bad)).await;
            assert_eq!(status, 400, "{bad}");
        }
        let (status, body) = call(&client, reqwest::Method::POST, url("/clock/reset")).await;
        assert_eq!((status, offset_of(&body)), (200, 0));
        assert_eq!(clock.offset_ms(), 0);
    }
}
