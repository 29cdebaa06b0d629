//! Table `tokenless_attempts`: activation attempts started for (service, user) pairs that have
//! no token, counted as a token counts its own (`tokens.activation_attempts`), so a start
//! reply's `attempts_left` does not tell whether the User ID exists.

use softtoken_protocol::ids::{ServiceId, UserId};

use super::{
    Connection,
    columns::{int, number},
};

/// Counts one started attempt for the pair; returns the count including it.
pub async fn count(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
    now_ms: u64,
) -> Result<u32, sqlx::Error> {
    on_backend!(conn, |c| {
        let row = sqlx::query(
            "INSERT INTO tokenless_attempts (service_id, user_id, attempts, last_at_ms)
         VALUES ($1, $2, 1, $3)
         ON CONFLICT (service_id, user_id)
             DO UPDATE SET attempts = tokenless_attempts.attempts + 1, last_at_ms = $3
         RETURNING attempts",
        )
        .bind(service_id.as_str())
        .bind(user_id.as_str())
        .bind(int(now_ms))
        .fetch_one(c)
        .await?;
        number(&row, "attempts")
    })
}

/// The attempts counted for the pair (0 if none).
pub async fn get(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
) -> Result<u32, sqlx::Error> {
    on_backend!(conn, |c| {
        let row = sqlx::query(
            "SELECT attempts FROM tokenless_attempts WHERE service_id = $1 AND user_id = $2",
        )
        .bind(service_id.as_str())
        .bind(user_id.as_str())
        .fetch_optional(c)
        .await?;
        row.map_or(Ok(0), |row| number(&row, "attempts"))
    })
}
