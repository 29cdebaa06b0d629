//! Table `audit`: what happened, by whom — never with a secret in any field.

use softtoken_protocol::ids::{ServiceId, UserId};
use sqlx::FromRow;

use super::columns::{StoredRow, optional_string, string};
use super::{
    Connection,
    columns::{int, number},
};

/// One audit record to write. Never put a secret in any field.
#[derive(Debug, Clone, Copy)]
pub struct AuditEvent<'a> {
    /// Service ID, if any.
    pub service_id: Option<ServiceId>,
    /// User ID, if any.
    pub user_id: Option<UserId>,
    /// What happened (`issue`, `activation_start`, `activation_finish`, `verify`, `lockout`,
    /// `revoke`, `unlock`, ...).
    pub event: &'a str,
    /// How it ended (`ok`, `rejected`, `replayed`, `failed`, ...).
    pub outcome: &'a str,
    /// Who asked: `bank:<key id>`, `device:<ip>`, `admin`.
    pub actor: &'a str,
    /// Non-secret detail.
    pub detail: Option<&'a str>,
}

impl<'a> AuditEvent<'a> {
    /// An event about one token, without detail.
    pub fn token(
        service_id: ServiceId,
        user_id: UserId,
        event: &'a str,
        outcome: &'a str,
        actor: &'a str,
    ) -> Self {
        Self {
            service_id: Some(service_id),
            user_id: Some(user_id),
            event,
            outcome,
            actor,
            detail: None,
        }
    }

    /// An operator's event (actor `admin`), about a service if `service_id` is given.
    pub fn admin(event: &'a str, service_id: Option<ServiceId>) -> Self {
        Self {
            service_id,
            user_id: None,
            event,
            outcome: "ok",
            actor: "admin",
            detail: None,
        }
    }

    /// The same event with a (non-secret) detail.
    pub fn with_detail(self, detail: &'a str) -> Self {
        Self {
            detail: Some(detail),
            ..self
        }
    }
}

/// Appends an audit record at `now_ms`.
pub async fn record(
    conn: &mut impl Connection,
    now_ms: u64,
    event: AuditEvent<'_>,
) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(
        "INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(int(now_ms))
    .bind(event.service_id.as_ref().map(ServiceId::as_str))
    .bind(event.user_id.as_ref().map(UserId::as_str))
    .bind(event.event)
    .bind(event.outcome)
    .bind(event.actor)
    .bind(event.detail)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// One audit record of a token, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// When, unix ms.
    pub at_ms: u64,
    /// What happened.
    pub event: String,
    /// How it ended.
    pub outcome: String,
    /// Who asked.
    pub actor: String,
    /// Non-secret detail.
    pub detail: Option<String>,
}

impl<R: StoredRow + sqlx::Row> FromRow<'_, R> for AuditRecord {
    fn from_row(row: &R) -> Result<Self, sqlx::Error> {
        Ok(AuditRecord {
            at_ms: number(row, "at_ms")?,
            event: string(row, "event")?,
            outcome: string(row, "outcome")?,
            actor: string(row, "actor")?,
            detail: optional_string(row, "detail")?,
        })
    }
}

/// A token's audit trail, oldest first.
pub async fn of_token(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
) -> Result<Vec<AuditRecord>, sqlx::Error> {
    on_backend!(conn, |c| sqlx::query_as(
        "SELECT at_ms, event, outcome, actor, detail FROM audit
         WHERE service_id = $1 AND user_id = $2 ORDER BY id",
    )
    .bind(service_id.as_str())
    .bind(user_id.as_str())
    .fetch_all(c)
    .await)
}
