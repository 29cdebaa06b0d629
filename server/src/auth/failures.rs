//! Failed bank authentication: every failure is audited and logged (the key id when the key has
//! our shape, the client address, never the secret or any part of it), and failures are limited
//! per client address and per key id with the same token buckets as the device endpoints
//! ([`RateLimiter`]). Only failures count: a bank whose calls succeed is never slowed by its own
//! volume.
//!
//! A client address (IPv6 by /64) may fail `[limits] bank_auth_failure_burst` times at once
//! (default 10), refilled at `bank_auth_failures_per_minute` (10); a key id [`KEY_FACTOR`] times
//! as many. Beyond its limit, a request from that address is answered
//! `429 rate_limited` with `Retry-After` before its key is looked at: a guesser gets no answer
//! about any key while it waits. Beyond a key id's limit, only the failures naming it are
//! answered `429` instead of `401`: the right key still passes, so someone who learns a key id
//! (it names the key in the audit) cannot lock the bank out by failing on it from many addresses.
//! A key's secret is 256 random bits; the limits bound the noise and the audit shows who tried.

use std::{net::IpAddr, time::Instant};

use softtoken_protocol::ids::ServiceId;

use crate::{
    error::ApiError,
    rate_limit::{RateLimiter, RetryAfter},
    secrets::api_key::KEY_PREFIX,
    state::ServerState,
    storage::audit::{self, AuditEvent},
};

/// A key id may fail this many times as often as one client address (it is tried from many).
pub const KEY_FACTOR: u32 = 3;

/// Length of a key id we issue: 8 random bytes in lowercase hex.
const KEY_ID_LEN: usize = 16;

/// The failure limits of bank authentication, shared by every bank route.
#[derive(Debug)]
pub struct AuthFailures {
    per_client: RateLimiter<IpAddr>,
    per_key: RateLimiter<String>,
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
    /// A client address may fail `burst` times at once and earns `per_minute` back each
    /// minute (`[limits] bank_auth_failure_burst`, `bank_auth_failures_per_minute`); a key id
    /// [`KEY_FACTOR`] times as many.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_client: RateLimiter::new(per_minute, burst),
            per_key: RateLimiter::new(
                per_minute.saturating_mul(KEY_FACTOR),
                burst.saturating_mul(KEY_FACTOR),
            ),
        }
    }

    /// Whether a request from `client` may have its key looked at: `429` while that address
    /// has failed too often. Counts nothing.
    pub fn admit_client(&self, client: Option<IpAddr>, now: Instant) -> Result<(), ApiError> {
        match client {
            Some(ip) => self
                .per_client
                .refuses_ip(ip, now)
                .map_err(|retry| refused(retry, client, None)),
            None => Ok(()),
        }
    }

    /// Whether a failure naming `key_id` is answered `401` (`Ok`) or, while that key id has
    /// failed too often, `429`. Counts nothing; only ever asked after a failure, so the right
    /// key is never refused by it.
    pub fn admit_key(
        &self,
        key_id: Option<&str>,
        client: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), ApiError> {
        match key_id {
            Some(id) => self
                .per_key
                .refuses(&id.to_owned(), now)
                .map_err(|retry| refused(retry, client, key_id)),
            None => Ok(()),
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

/// A refusal for too many failures, logged (key id and address, never the secret).
fn refused(retry: RetryAfter, client: Option<IpAddr>, key_id: Option<&str>) -> ApiError {
    tracing::warn!(
        key_id = key_id.unwrap_or("-"),
        client = %client_text(client),
        retry_after_s = retry.seconds,
        "bank authentication refused: too many failures"
    );
    ApiError::RateLimited {
        retry_after_s: retry.seconds,
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
