//! Table `used_challenges`: offline codes (`docs/protocol.md` §9.6) already accepted, by token,
//! challenge (only a MAC of it under a key from the token's seed: the account number and amount
//! are customer data, and a plain hash of them is easy to invert) and time step,
//! so that the same code for the same challenge and step verifies once.

use softtoken_protocol::ids::{ServiceId, UserId};

use super::{Connection, columns::int};

/// Records the use of a challenge at `step`; `false` if it was recorded before (a replay).
/// One statement, so concurrent uses of the same code record exactly one.
pub async fn record(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
    challenge_mac: &[u8; 32],
    step: u64,
    now_ms: u64,
) -> Result<bool, sqlx::Error> {
    let done: u64 = on_backend!(conn, |c| sqlx::query(
        "INSERT INTO used_challenges (service_id, user_id, challenge_mac, step, used_at_ms)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (service_id, user_id, challenge_mac, step) DO NOTHING",
    )
    .bind(service_id.as_str())
    .bind(user_id.as_str())
    .bind(challenge_mac.as_slice())
    .bind(int(step))
    .bind(int(now_ms))
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Deletes the uses recorded before `cutoff_ms` (their steps are outside every verification
/// window, so no code for them verifies again anyway); returns how many.
pub async fn purge_before(conn: &mut impl Connection, cutoff_ms: u64) -> Result<u64, sqlx::Error> {
    let done: u64 = on_backend!(conn, |c| sqlx::query(
        "DELETE FROM used_challenges WHERE used_at_ms < $1"
    )
    .bind(int(cutoff_ms))
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done)
}
