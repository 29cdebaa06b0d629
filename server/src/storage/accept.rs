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
use sqlx::{
    Row, Sqlite,
    query::Query,
    sqlite::{SqliteArguments, SqliteRow},
};

use super::{
    Backend, WriteTx, backend::Raw, columns::int, private::Connection as _, tokens::TokenRow,
};

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
    if tx.backend() == Backend::Postgres {
        let accepted = accept_step_postgres(tx, service_id, user_id, step, now_ms, actor).await?;
        tx.commit().await?;
        return Ok(accepted);
    }
    // `changes()` in the INSERT is the row count of the UPDATE just before it.
    let batch = sqlx::query(
        "UPDATE tokens SET last_step = ?1, failures = 0, last_used_at_ms = ?2,
             state = CASE WHEN state = 'pending_confirmation' THEN 'active' ELSE state END,
             confirmed_at_ms = COALESCE(confirmed_at_ms, ?2)
         WHERE service_id = ?3 AND user_id = ?4 AND (last_step IS NULL OR last_step < ?1);
         INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail)
         VALUES (?2, ?3, ?4, 'verify', CASE changes() WHEN 1 THEN 'accepted' ELSE 'replayed' END,
             ?5, NULL)
         RETURNING outcome;
         COMMIT",
    )
    .bind(int(step))
    .bind(int(now_ms))
    .bind(service_id.as_str())
    .bind(user_id.as_str())
    .bind(actor);
    let outcomes = tx.fetch_all_committing(batch).await?;
    match outcomes.as_slice() {
        [row] => Ok(row.try_get::<&str, _>("outcome")? == "accepted"),
        _ => Err(sqlx::Error::Protocol(format!(
            "accept_step_and_commit: expected one audit record, got {}",
            outcomes.len()
        ))),
    }
}

/// [`accept_step_and_commit`]'s statement on PostgreSQL (without the `COMMIT`): the update and
/// the audit record whose outcome says whether the update applied.
async fn accept_step_postgres(
    tx: &mut WriteTx,
    service_id: &ServiceId,
    user_id: &UserId,
    step: u64,
    now_ms: u64,
    actor: &str,
) -> Result<bool, sqlx::Error> {
    let Raw::Postgres(conn) = tx.raw()? else {
        return Err(not_postgres());
    };
    let outcome: String = sqlx::query_scalar(
        "WITH accepted AS (
             UPDATE tokens SET last_step = $1, failures = 0, last_used_at_ms = $2,
                 state = CASE WHEN state = 'pending_confirmation' THEN 'active' ELSE state END,
                 confirmed_at_ms = COALESCE(confirmed_at_ms, $2)
             WHERE service_id = $3 AND user_id = $4 AND (last_step IS NULL OR last_step < $1)
             RETURNING 1)
         INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail)
         SELECT $2, $3, $4, 'verify',
             CASE WHEN EXISTS (SELECT 1 FROM accepted) THEN 'accepted' ELSE 'replayed' END,
             $5, NULL
         RETURNING outcome",
    )
    .bind(int(step))
    .bind(int(now_ms))
    .bind(service_id.as_str())
    .bind(user_id.as_str())
    .bind(actor)
    .fetch_one(conn)
    .await?;
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
    let batch = batch_statement(accepts.len())?;
    let mut query = sqlx::query(&batch.sql);
    for accept in accepts {
        for param in &batch.order {
            query = bind(query, *param, accept);
        }
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
/// of [`ACCEPT_IF_UNCHANGED`] and its audit record together), `COMMIT`. The rows are updated in
/// key order, not arrival order, so that two instances' batches lock shared tokens in the same
/// order and cannot deadlock each other; accepts of the same token keep their order, so the
/// outcome per token is the one sequential accepts would have had.
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
        let accept = &accepts[index];
        let seen = accept.seen;
        let Raw::Postgres(conn) = tx.raw()? else {
            return Err(not_postgres());
        };
        let recorded: Option<i64> = sqlx::query_scalar(
            "WITH accepted AS (
                 UPDATE tokens SET last_step = $1, failures = 0, last_used_at_ms = $2,
                     state = CASE WHEN state = 'pending_confirmation' THEN 'active' ELSE state END,
                     confirmed_at_ms = COALESCE(confirmed_at_ms, $2)
                 WHERE service_id = $3 AND user_id = $4 AND (last_step IS NULL OR last_step < $1)
                     AND state = $5 AND seed = $6 AND seed_generation = $7
                     AND expires_at_ms = $8 AND algorithm = $9 AND digits = $10 AND period = $11
                 RETURNING 1)
             INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail)
             SELECT $2, $3, $4, 'verify', 'accepted', $12, NULL
             WHERE EXISTS (SELECT 1 FROM accepted)
             RETURNING id",
        )
        .bind(int(accept.step))
        .bind(int(accept.now_ms))
        .bind(seen.service_id.as_str())
        .bind(seen.user_id.as_str())
        .bind(seen.state.as_str())
        .bind(seen.seed.as_ref().map(|seed| seed.blob.as_slice()))
        .bind(int(seen.seed_generation))
        .bind(int(seen.expires_at_ms))
        .bind(seen.params.algorithm().as_str())
        .bind(i64::from(seen.params.digits()))
        .bind(i64::from(seen.params.period()))
        .bind(accept.actor)
        .fetch_optional(conn)
        .await?;
        if let Some(slot) = accepted.get_mut(index) {
            *slot = recorded.is_some();
        }
    }
    tx.commit().await?;
    Ok(accepted)
}

/// One accept's statements in the batch of [`accept_steps_if_unchanged`], with a named
/// parameter for each value (the table [`PARAMS`] says where each comes from) and the accept's
/// place in the batch for `{index}`. `changes()` in the INSERT is the row count of the UPDATE
/// just before it; the INSERT returns the accept's index (a number of ours, not input) so the
/// caller knows which applied.
const ACCEPT_IF_UNCHANGED: &str = "
UPDATE tokens SET last_step = :step, failures = 0, last_used_at_ms = :now,
    state = CASE WHEN state = 'pending_confirmation' THEN 'active' ELSE state END,
    confirmed_at_ms = COALESCE(confirmed_at_ms, :now)
WHERE service_id = :service_id AND user_id = :user_id AND (last_step IS NULL OR last_step < :step)
    AND state = :seen_state AND seed = :seen_seed AND seed_generation = :seen_seed_generation
    AND expires_at_ms = :seen_expires_at_ms AND algorithm = :seen_algorithm
    AND digits = :seen_digits AND period = :seen_period;
INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail)
SELECT :now, :service_id, :user_id, 'verify', 'accepted', :actor, NULL WHERE changes() = 1
RETURNING {index};
";

/// A value an accept binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Param {
    Step,
    Now,
    ServiceId,
    UserId,
    SeenState,
    SeenSeed,
    SeenSeedGeneration,
    SeenExpiresAt,
    SeenAlgorithm,
    SeenDigits,
    SeenPeriod,
    Actor,
}

/// The named parameters of [`ACCEPT_IF_UNCHANGED`].
const PARAMS: [(&str, Param); 12] = [
    ("step", Param::Step),
    ("now", Param::Now),
    ("service_id", Param::ServiceId),
    ("user_id", Param::UserId),
    ("seen_state", Param::SeenState),
    ("seen_seed", Param::SeenSeed),
    ("seen_seed_generation", Param::SeenSeedGeneration),
    ("seen_expires_at_ms", Param::SeenExpiresAt),
    ("seen_algorithm", Param::SeenAlgorithm),
    ("seen_digits", Param::SeenDigits),
    ("seen_period", Param::SeenPeriod),
    ("actor", Param::Actor),
];

type Batched<'q> = Query<'q, Sqlite, SqliteArguments<'q>>;

/// Binds the value `param` stands for in `accept`.
fn bind<'q>(query: Batched<'q>, param: Param, accept: &SeenAccept<'q>) -> Batched<'q> {
    let seen = accept.seen;
    match param {
        Param::Step => query.bind(int(accept.step)),
        Param::Now => query.bind(int(accept.now_ms)),
        Param::ServiceId => query.bind(seen.service_id.as_str()),
        Param::UserId => query.bind(seen.user_id.as_str()),
        Param::SeenState => query.bind(seen.state.as_str()),
        Param::SeenSeed => query.bind(seen.seed.as_ref().map(|seed| seed.blob.as_slice())),
        Param::SeenSeedGeneration => query.bind(int(seen.seed_generation)),
        Param::SeenExpiresAt => query.bind(int(seen.expires_at_ms)),
        Param::SeenAlgorithm => query.bind(seen.params.algorithm().as_str()),
        Param::SeenDigits => query.bind(i64::from(seen.params.digits())),
        Param::SeenPeriod => query.bind(i64::from(seen.params.period())),
        Param::Actor => query.bind(accept.actor),
    }
}

/// A batch statement in SQLite's positional form, and what each `?` of one accept stands for
/// (every accept's part has the same order).
#[derive(Debug)]
struct Batch {
    sql: String,
    order: Vec<Param>,
}

/// The statement of [`accept_steps_if_unchanged`] for `count` accepts
/// (1..=[`ACCEPT_BATCH_MAX`]), built once per count so that sqlx's statement cache keeps one
/// prepared statement per count.
fn batch_statement(count: usize) -> Result<&'static Batch, sqlx::Error> {
    static BATCHES: OnceLock<Result<Vec<Batch>, String>> = OnceLock::new();
    let batches = BATCHES
        .get_or_init(|| (1..=ACCEPT_BATCH_MAX).map(build_batch).collect())
        .as_ref()
        .map_err(|e| sqlx::Error::Protocol(e.clone()))?;
    count
        .checked_sub(1)
        .and_then(|index| batches.get(index))
        .ok_or_else(|| {
            sqlx::Error::Protocol(format!(
                "accept_steps_if_unchanged: {count} accepts, at most {ACCEPT_BATCH_MAX}"
            ))
        })
}

fn build_batch(count: usize) -> Result<Batch, String> {
    let mut sql = String::from("BEGIN IMMEDIATE;");
    let mut order = Vec::new();
    for index in 0..count {
        let one = ACCEPT_IF_UNCHANGED.replace("{index}", &index.to_string());
        let (positional, params) = positional(&one)?;
        sql.push_str(&positional);
        order = params;
    }
    sql.push_str("COMMIT");
    Ok(Batch { sql, order })
}

/// `template` with each `:name` of [`PARAMS`] replaced by `?`, and the parameters in the order
/// of the `?`. An unknown name is an error.
fn positional(template: &str) -> Result<(String, Vec<Param>), String> {
    let mut sql = String::with_capacity(template.len());
    let mut order = Vec::new();
    let mut rest = template;
    while let Some(colon) = rest.find(':') {
        sql.push_str(&rest[..colon]);
        let after = &rest[colon + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..len];
        let (_, param) = PARAMS
            .iter()
            .find(|(known, _)| *known == name)
            .ok_or_else(|| format!("accept statement: unknown parameter :{name}"))?;
        sql.push('?');
        order.push(*param);
        rest = &after[len..];
    }
    sql.push_str(rest);
    Ok((sql, order))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_batch_statement_has_one_update_and_insert_per_accept() {
        let sql = &batch_statement(3).unwrap().sql;
        assert!(sql.starts_with("BEGIN IMMEDIATE;"));
        assert!(sql.ends_with("COMMIT"));
        assert_eq!(sql.matches("UPDATE tokens").count(), 3);
        assert_eq!(sql.matches("INSERT INTO audit").count(), 3);
        assert!(sql.contains("RETURNING 2;"));
        // Every value of an accept is named, and bound as many times as its name stands.
        let max = batch_statement(ACCEPT_BATCH_MAX).unwrap();
        let per_accept = max.order.len();
        assert_eq!(per_accept, ACCEPT_IF_UNCHANGED.matches(':').count());
        assert_eq!(max.sql.matches('?').count(), per_accept * ACCEPT_BATCH_MAX);
        assert!(!max.sql.contains(':'));
        for (name, param) in PARAMS {
            assert!(max.order.contains(&param), "{name} is never bound");
        }
        assert!(batch_statement(0).is_err());
        assert!(batch_statement(ACCEPT_BATCH_MAX + 1).is_err());
    }

    #[test]
    fn an_unknown_parameter_name_is_an_error() {
        assert!(positional("SELECT :nobody").is_err());
        assert_eq!(
            positional("SELECT :now, :step;").unwrap(),
            ("SELECT ?, ?;".to_owned(), vec![Param::Now, Param::Step])
        );
    }
}
