//! Verification's accept statements: an accepted code's update of the token and its audit
//! record, in one query with the transaction's `COMMIT` (or, for a batch, its `BEGIN` and
//! `COMMIT` too), so that `BEGIN` and `COMMIT` cost no round trip of their own to the
//! connection's thread (see [`WriteTx`]).
//!
//! Only SQLite's sqlx driver runs several statements in one prepared query, and sqlx has
//! deprecated that (launchbadge/sqlx#3108); the verification tests fail if an upgrade stops
//! running them. On PostgreSQL each accept is one statement instead — the token's update and the
//! audit record in one `WITH … UPDATE … RETURNING` — and `BEGIN`/`COMMIT` are statements of
//! their own: the update is a compare-and-set on the row (`last_step < step`, and for the
//! batch "still as seen"), which PostgreSQL re-checks on the newest row version after waiting
//! for a concurrent writer, so it holds at READ COMMITTED with any number of instances.

use std::sync::OnceLock;

use softtoken_protocol::ids::{ServiceId, UserId};
use sqlx::{Database, Encode, Row, Type, query::Query, sqlite::SqliteRow};

use super::{
    Backend, WriteTx, backend::Raw, columns::int, private::Connection as _, tokens::TokenRow,
};

/// The token's update for an accepted code, written once for every form of accept (SQLite and
/// PostgreSQL, one or a batch): last step, failures reset, `pending_confirmation` → `active`,
/// only if no step at or after this one was accepted. Its parameters are those of
/// [`bind_accept`]: `$1` step, `$2` now, `$3` service ID, `$4` User ID (`$5`, the actor, is the
/// audit record's beside it).
macro_rules! accept_update {
    () => {
        "UPDATE tokens SET last_step = $1, failures = 0, last_used_at_ms = $2,
             state = CASE WHEN state = 'pending_confirmation' THEN 'active' ELSE state END,
             confirmed_at_ms = COALESCE(confirmed_at_ms, $2)
         WHERE service_id = $3 AND user_id = $4 AND (last_step IS NULL OR last_step < $1)"
    };
}

/// The batch's further condition on [`accept_update!`]: nothing the decision rested on has
/// changed since the token was read (`$6` to `$12` of [`bind_accept`]).
macro_rules! still_as_seen {
    () => {
        " AND state = $6 AND seed = $7 AND seed_generation = $8 AND expires_at_ms = $9
             AND algorithm = $10 AND digits = $11 AND period = $12"
    };
}

/// The values of one accept's statement, in the order of its `$N` parameters.
struct AcceptValues<'a> {
    step: u64,
    now_ms: u64,
    service_id: &'a str,
    user_id: &'a str,
    actor: &'a str,
    /// The token as read, for a batch's [`still_as_seen!`]; `None` for a lone accept.
    seen: Option<&'a TokenRow>,
}

/// Parameters an accept with [`still_as_seen!`] binds.
const BATCH_PARAMS: usize = 12;

/// Binds `values` as `$1`… of [`accept_update!`], the audit record's actor and, for a batch,
/// [`still_as_seen!`]: the one place that knows their order, for either backend.
fn bind_accept<'q, DB>(
    query: Query<'q, DB, <DB as Database>::Arguments<'q>>,
    values: &AcceptValues<'q>,
) -> Query<'q, DB, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    i64: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
{
    let query = query
        .bind(int(values.step))
        .bind(int(values.now_ms))
        .bind(values.service_id)
        .bind(values.user_id)
        .bind(values.actor);
    match values.seen {
        None => query,
        Some(seen) => query
            .bind(seen.state.as_str())
            .bind(seen.seed.as_ref().map(|seed| seed.blob.as_slice()))
            .bind(int(seen.seed_generation))
            .bind(int(seen.expires_at_ms))
            .bind(seen.params.algorithm().as_str())
            .bind(i64::from(seen.params.digits()))
            .bind(i64::from(seen.params.period())),
    }
}

/// Records an accepted code at `step` in the transaction begun by
/// [`tokens::begin_and_get`](super::tokens::begin_and_get), atomically with the replay check
/// (the update applies only if no step at or after it was accepted: last step, failures reset,
/// `pending_confirmation` → `active`), then a `verify` audit record by `actor` — `accepted` if
/// the step was, `replayed` if not — then `COMMIT`, in one round trip. Returns whether the step
/// was accepted.
pub async fn accept_step_and_commit(
    tx: &mut WriteTx,
    service_id: &ServiceId,
    user_id: &UserId,
    step: u64,
    now_ms: u64,
    actor: &str,
) -> Result<bool, sqlx::Error> {
    let values = AcceptValues {
        step,
        now_ms,
        service_id: service_id.as_str(),
        user_id: user_id.as_str(),
        actor,
        seen: None,
    };
    let outcome: String = if tx.backend() == Backend::Postgres {
        let Raw::Postgres(conn) = tx.raw()? else {
            return Err(not_postgres());
        };
        // The update and the audit record whose outcome says whether it applied, in one
        // statement; `COMMIT` is a statement of its own.
        let row = bind_accept(
            sqlx::query(concat!(
                "WITH accepted AS (",
                accept_update!(),
                " RETURNING 1)
                 INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail)
                 SELECT $2, $3, $4, 'verify',
                     CASE WHEN EXISTS (SELECT 1 FROM accepted) THEN 'accepted' ELSE 'replayed' END,
                     $5, NULL
                 RETURNING outcome"
            )),
            &values,
        )
        .fetch_one(conn)
        .await?;
        let outcome = row.try_get("outcome")?;
        tx.commit().await?;
        outcome
    } else {
        // `changes()` in the INSERT is the row count of the UPDATE just before it.
        let batch = bind_accept(
            sqlx::query(concat!(
                accept_update!(),
                ";
                 INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail)
                 VALUES ($2, $3, $4, 'verify',
                     CASE changes() WHEN 1 THEN 'accepted' ELSE 'replayed' END, $5, NULL)
                 RETURNING outcome;
                 COMMIT"
            )),
            &values,
        );
        let outcomes = tx.fetch_all_committing(batch).await?;
        match outcomes.as_slice() {
            [row] => row.try_get("outcome")?,
            _ => {
                return Err(sqlx::Error::Protocol(format!(
                    "accept_step_and_commit: expected one audit record, got {}",
                    outcomes.len()
                )));
            }
        }
    };
    Ok(outcome == "accepted")
}

fn not_postgres() -> sqlx::Error {
    sqlx::Error::Protocol("a PostgreSQL statement on a SQLite connection".into())
}

/// Most accepts [`accept_steps_if_unchanged`] takes at once.
pub const ACCEPT_BATCH_MAX: usize = 32;

/// One right code to record by [`accept_steps_if_unchanged`].
#[derive(Debug, Clone, Copy)]
pub struct SeenAccept<'a> {
    /// The token as read (outside the transaction) when the code was checked.
    pub seen: &'a TokenRow,
    /// The step the code matched.
    pub step: u64,
    /// Now, unix ms.
    pub now_ms: u64,
    /// The audit actor.
    pub actor: &'a str,
}

impl<'a> SeenAccept<'a> {
    fn values(&self) -> AcceptValues<'a> {
        AcceptValues {
            step: self.step,
            now_ms: self.now_ms,
            service_id: self.seen.service_id.as_str(),
            user_id: self.seen.user_id.as_str(),
            actor: self.actor,
            seen: Some(self.seen),
        }
    }
}

/// Accepted codes, in one transaction and one round trip: `BEGIN IMMEDIATE`, then for each
/// accept in order the step update of [`accept_step_and_commit`] on condition that nothing the
/// decision rested on has changed since the token was read (state, sealed seed, seed generation,
/// deadline, parameters) and an `accepted` audit record only if that updated the token, then
/// `COMMIT`. Returns, per accept, whether it was recorded; for one that was not, nothing was
/// written and the caller decides afresh inside a transaction. At most [`ACCEPT_BATCH_MAX`].
///
/// Two accepts of the same token and step: the second finds `last_step` already at its step
/// and is not recorded (the replay rule holds inside the batch).
pub async fn accept_steps_if_unchanged(
    tx: &mut WriteTx,
    accepts: &[SeenAccept<'_>],
) -> Result<Vec<bool>, sqlx::Error> {
    if accepts.is_empty() {
        return Ok(Vec::new());
    }
    if tx.backend() == Backend::Postgres {
        return accept_steps_postgres(tx, accepts).await;
    }
    let mut query = sqlx::query(batch_statement(accepts.len())?);
    for accept in accepts {
        query = bind_accept(query, &accept.values());
    }
    let recorded: Vec<SqliteRow> = tx.fetch_all_whole(query).await?;
    let mut accepted = vec![false; accepts.len()];
    for row in recorded {
        let index: i64 = row.try_get(0)?;
        match usize::try_from(index)
            .ok()
            .and_then(|index| accepted.get_mut(index))
        {
            Some(slot) => *slot = true,
            // Only a broken statement could get here (after the commit).
            None => {
                return Err(sqlx::Error::Protocol(format!(
                    "accept_steps_if_unchanged: unexpected accept index {index}"
                )));
            }
        }
    }
    Ok(accepted)
}

/// [`accept_steps_if_unchanged`] on PostgreSQL: `BEGIN`, one statement per accept (the update
/// of [`accept_update!`] and [`still_as_seen!`] and its audit record together), `COMMIT`. The
/// rows are updated in key order, not arrival order, so that two instances' batches lock shared
/// tokens in the same order and cannot deadlock each other; accepts of the same token keep
/// their order, so the outcome per token is the one sequential accepts would have had.
async fn accept_steps_postgres(
    tx: &mut WriteTx,
    accepts: &[SeenAccept<'_>],
) -> Result<Vec<bool>, sqlx::Error> {
    let mut order: Vec<usize> = (0..accepts.len()).collect();
    let key = |index: usize| {
        let seen = accepts[index].seen;
        (seen.service_id.as_str(), seen.user_id.as_str())
    };
    // Stable: accepts of one token stay in arrival order.
    order.sort_by(|&a, &b| key(a).cmp(&key(b)));
    let mut accepted = vec![false; accepts.len()];
    tx.begin().await?;
    for index in order {
        let Raw::Postgres(conn) = tx.raw()? else {
            return Err(not_postgres());
        };
        let recorded = bind_accept(
            sqlx::query(concat!(
                "WITH accepted AS (",
                accept_update!(),
                still_as_seen!(),
                " RETURNING 1)
                 INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail)
                 SELECT $2, $3, $4, 'verify', 'accepted', $5, NULL
                 WHERE EXISTS (SELECT 1 FROM accepted)
                 RETURNING id"
            )),
            &accepts[index].values(),
        )
        .fetch_optional(conn)
        .await?;
        if let Some(slot) = accepted.get_mut(index) {
            *slot = recorded.is_some();
        }
    }
    tx.commit().await?;
    Ok(accepted)
}

/// One accept's statements in SQLite's batch of [`accept_steps_if_unchanged`], with the
/// accept's place in the batch for `{index}`. `changes()` in the INSERT is the row count of the
/// UPDATE just before it; the INSERT returns the accept's index (a number of ours, not input)
/// so the caller knows which applied.
const ACCEPT_IF_UNCHANGED: &str = concat!(
    accept_update!(),
    still_as_seen!(),
    ";
INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail)
SELECT $2, $3, $4, 'verify', 'accepted', $5, NULL WHERE changes() = 1
RETURNING {index};
"
);

/// The statement of [`accept_steps_if_unchanged`] for `count` accepts
/// (1..=[`ACCEPT_BATCH_MAX`]), built once per count so that sqlx's statement cache keeps one
/// prepared statement per count. Accept `i`'s parameters are `$1`… moved on by
/// `i ×` [`BATCH_PARAMS`], so each binds its values with [`bind_accept`] in turn.
fn batch_statement(count: usize) -> Result<&'static str, sqlx::Error> {
    static BATCHES: OnceLock<Vec<String>> = OnceLock::new();
    let batches = BATCHES.get_or_init(|| (1..=ACCEPT_BATCH_MAX).map(build_batch).collect());
    count
        .checked_sub(1)
        .and_then(|index| batches.get(index))
        .map(String::as_str)
        .ok_or_else(|| {
            sqlx::Error::Protocol(format!(
                "accept_steps_if_unchanged: {count} accepts, at most {ACCEPT_BATCH_MAX}"
            ))
        })
}

fn build_batch(count: usize) -> String {
    let mut sql = String::from("BEGIN IMMEDIATE;");
    for index in 0..count {
        let one = ACCEPT_IF_UNCHANGED.replace("{index}", &index.to_string());
        sql.push_str(&shift_params(&one, index * BATCH_PARAMS));
    }
    sql.push_str("COMMIT");
    sql
}

/// `sql` with every `$N` parameter made `$(N + by)`.
fn shift_params(sql: &str, by: usize) -> String {
    let mut shifted = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(dollar) = rest.find('$') {
        shifted.push_str(&rest[..=dollar]);
        let after = &rest[dollar + 1..];
        let digits = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        match after[..digits].parse::<usize>() {
            Ok(n) => shifted.push_str(&(n + by).to_string()),
            Err(_) => shifted.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    shifted.push_str(rest);
    shifted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_batch_statement_has_one_update_and_insert_per_accept() {
        let sql = batch_statement(3).unwrap();
        assert!(sql.starts_with("BEGIN IMMEDIATE;"));
        assert!(sql.ends_with("COMMIT"));
        assert_eq!(sql.matches("UPDATE tokens").count(), 3);
        assert_eq!(sql.matches("INSERT INTO audit").count(), 3);
        assert!(sql.contains("RETURNING 2;"));
        // Each accept's parameters are its own: the third binds $25 to $36.
        assert!(sql.contains("last_step = $25") && sql.contains("period = $36"));
        assert!(!sql.contains("$37"));
        let max = batch_statement(ACCEPT_BATCH_MAX).unwrap();
        let last = ACCEPT_BATCH_MAX * BATCH_PARAMS;
        assert!(max.contains(&format!("${last}")));
        assert!(!max.contains(&format!("${}", last + 1)));
        assert!(batch_statement(0).is_err());
        assert!(batch_statement(ACCEPT_BATCH_MAX + 1).is_err());
    }

    #[test]
    fn one_accept_uses_every_parameter_it_binds() {
        for n in 1..=BATCH_PARAMS {
            assert!(
                ACCEPT_IF_UNCHANGED.contains(&format!("${n}")),
                "${n} is bound but never used"
            );
        }
        assert!(!ACCEPT_IF_UNCHANGED.contains(&format!("${}", BATCH_PARAMS + 1)));
    }

    #[test]
    fn parameters_shift_and_nothing_else_does() {
        assert_eq!(
            shift_params("SET a = $1, b = $12 WHERE c = '$' || $2", 12),
            "SET a = $13, b = $24 WHERE c = '$' || $14"
        );
    }
}
