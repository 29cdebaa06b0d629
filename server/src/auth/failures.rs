//! Failed bank authentication: every failure is audited and logged (the key id when the key has
//! our shape, the client address, never the secret or any part of it), and failures are limited
//! per client address and per key id with the same token buckets as the device endpoints
//! ([`RateLimiter`]). Only failures count: a bank whose calls succeed is never slowed by its own
//! volume.
//!
//! A client address (IPv6 by /64) may fail [`CLIENT_FAILURE_BURST`] times at once, refilled at
//! [`CLIENT_FAILURES_PER_MINUTE`]; a key id [`KEY_FAILURE_BURST`] times, refilled at
//! [`KEY_FAILURES_PER_MINUTE`]. Beyond that, a request from that address or naming that key id is
//! answered `429 rate_limited` with `Retry-After` before its key is looked at: a guesser gets no
//! answer about any key while it waits. The per-key-id limit is wider, because someone who knows
//! a key id (it is public: it names the key in the audit) and fails on it from many addresses
//! holds that key off for the bank too; the audit shows who did.

use std::{net::IpAddr, time::Instant};

use softtoken_protocol::ids::ServiceId;

use crate::{
    error::ApiError,
    rate_limit::{RateLimiter, RetryAfter},
    secrets::api_key::KEY_PREFIX,
    state::ServerState,
    storage::audit::{self, AuditEvent},
};

/// Failed bank authentications a client address may make at once.
pub const CLIENT_FAILURE_BURST: u32 = 10;
/// Failed bank authentications a client address earns back per minute.
pub const CLIENT_FAILURES_PER_MINUTE: u32 = 10;
/// Failed bank authentications one key id may see at once, from all addresses.
pub const KEY_FAILURE_BURST: u32 = 30;
/// Failed bank authentications one key id earns back per minute.
pub const KEY_FAILURES_PER_MINUTE: u32 = 30;

/// Length of a key id we issue: 8 random bytes in lowercase hex.
const KEY_ID_LEN: usize = 16;

/// The failure limits of bank authentication, shared by every bank route.
#[derive(Debug)]
pub struct AuthFailures {
    per_client: RateLimiter<IpAddr>,
    per_key: RateLimiter<String>,
}

impl Default for AuthFailures {
    fn default() -> Self {
        Self {
            per_client: RateLimiter::new(CLIENT_FAILURES_PER_MINUTE, CLIENT_FAILURE_BURST),
            per_key: RateLimiter::new(KEY_FAILURES_PER_MINUTE, KEY_FAILURE_BURST),
        }
    }
}

/// The key id of a presented key, if it has the shape of ours (`st_` and 16 lowercase hex
/// characters before the `.`); anything else names no key, so it goes neither into the audit nor
/// into the per-key table.
pub fn public_key_id(presented: &str) -> Option<&str> {
    let (key_id, _secret) = presented.trim().strip_prefix(KEY_PREFIX)?.split_once('.')?;
    (key_id.len() == KEY_ID_LEN
        && key_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then_some(key_id)
}

impl AuthFailures {
    /// Limits as documented above.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a request from `client` naming `key_id` may be checked at all: `429` while
    /// either has failed too often. Counts nothing.
    pub fn admit(
        &self,
        client: Option<IpAddr>,
        key_id: Option<&str>,
        now: Instant,
    ) -> Result<(), ApiError> {
        let by_client = client.map_or(Ok(()), |ip| self.per_client.refuses_ip(ip, now));
        let by_key = key_id.map_or(Ok(()), |id| self.per_key.refuses(&id.to_owned(), now));
        match (by_client, by_key) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(RetryAfter { seconds }), _) | (_, Err(RetryAfter { seconds })) => {
                tracing::warn!(
                    key_id = key_id.unwrap_or("-"),
                    client = %client_text(client),
                    retry_after_s = seconds,
                    "bank authentication refused: too many failures"
                );
                Err(ApiError::RateLimited {
                    retry_after_s: seconds,
                })
            }
        }
    }

    /// Counts one failed authentication against `client` and `key_id`, logs it and audits it
    /// (event `bank_auth`, outcome `failed`, actor `bank:<key id>` or `bank:unknown`, detail
    /// the client address).
    pub async fn record(
        &self,
        state: &ServerState,
        service_id: Option<ServiceId>,
        client: Option<IpAddr>,
        key_id: Option<&str>,
        now: Instant,
    ) -> Result<(), ApiError> {
        // A refusal here only means the bucket is already full; the next request meets it.
        if let Some(ip) = client {
            let _ = self.per_client.check(ip, now);
        }
        if let Some(id) = key_id {
            let _ = self.per_key.check_key(id.to_owned(), now);
        }
        let client = client_text(client);
        tracing::warn!(key_id = key_id.unwrap_or("-"), client = %client, "bank authentication failed");
        let actor = format!("bank:{}", key_id.unwrap_or("unknown"));
        let detail = format!("client {client}");
        let mut conn = state.db.write().await?;
        audit::record(
            &mut conn,
            state.now_ms(),
            AuditEvent {
                service_id,
                user_id: None,
                event: "bank_auth",
                outcome: "failed",
                actor: &actor,
                detail: Some(&detail),
            },
        )
        .await?;
        Ok(())
    }
}

fn client_text(client: Option<IpAddr>) -> String {
    client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_key_shape_has_a_public_key_id() {
        assert_eq!(
            public_key_id("st_0123456789abcdef.secret"),
            Some("0123456789abcdef")
        );
        for other in [
            "st_0123456789abcdef",
            "st_0123456789ABCDEF.secret",
            "st_0123456789abcde.secret",
            "st_0123456789abcdef0.secret",
            "st_<script>.x",
            "0123456789abcdef.secret",
            "",
        ] {
            assert_eq!(public_key_id(other), None, "{other}");
        }
    }
}
