//! Verification's accept statements: an accepted code's update of the token and its audit
//! record, in one query with the transaction's `COMMIT` (or, for a batch, its `BEGIN` and
//! `COMMIT` too), so that `BEGIN` and `COMMIT` cost no round trip of their own to the
//! connection's thread (see [`WriteTx`]).
//!
//! Only SQLite's sqlx driver runs several statements in one prepared query, and sqlx has
//! deprecated that (launchbadge/sqlx#3108); the verification tests fail if an upgrade stops
//! running them. On PostgreSQL a lone accept is one statement instead — the token's update
//! and the audit record in one `WITH … UPDATE … RETURNING` — with `COMMIT` a statement of its
//! own, and a batch is one statement over arrays (`unnest`), committed by itself. The update is a
//! compare-and-set on the row (`last_step < step`, and for the batch "still as seen"), which
//! PostgreSQL re-checks on the newest row version after waiting for a concurrent writer, so it
//! holds at READ COMMITTED with any number of instances.

use std::sync::OnceLock;

use softtoken_protocol::ids::{ServiceId, UserId};
use sqlx::{Database, Encode, Row, Type, query::Query, sqlite::SqliteRow};

use super::{
    Backend, WriteTx, backend::Raw, columns::int, private::Connection as _, tokens::TokenRow,
};

/// The token's update for an accepted code, written once for every form of accept (SQLite and
/// PostgreSQL, one, a batch or a round of arrays): last step, failures reset,
/// `pending_confirmation` → `active`. Its arguments are the SQL of the values: the step and now.
macro_rules! accept_set {
    ($step:literal, $now:literal) => {
        concat!(
            "last_step = ",
            $step,
            ", failures = 0, last_used_at_ms = ",
            $now,
            ",
             state = CASE WHEN state = 'pending_confirmation' THEN 'active' ELSE state END,
             confirmed_at_ms = COALESCE(confirmed_at_ms, ",
            $now,
            ")"
        )
    };
}

/// Which token [`accept_set!`] applies to, and the replay rule: only if no step at or after
/// this one was accepted.
macro_rules! accept_where {
    ($step:literal, $service_id:literal, $user_id:literal) => {
        concat!(
            "service_id = ",
            $service_id,
            " AND user_id = ",
            $user_id,
            " AND (last_step IS NULL OR last_step < ",
            $step,
            ")"
        )
    };
}

/// The whole update with the parameters of [`bind_accept`]: `$1` step, `$2` now, `$3` service
/// ID, `$4` User ID (`$5`, the actor, is the audit record's beside it).
macro_rules! accept_update {
    () => {
        concat!(
            "UPDATE tokens SET ",
            accept_set!("$1", "$2"),
            " WHERE ",
            accept_where!("$1", "$3", "$4")
        )
    };
}

/// A batch's further condition on [`accept_where!`]: nothing the decision rested on has
/// changed since the token was read. Its arguments are the SQL of the values as read.
macro_rules! still_as_seen {
    ($state:literal, $seed:literal, $generation:literal, $expires:literal, $algorithm:literal,
     $digits:literal, $period:literal) => {
        concat!(
            " AND state = ",
            $state,
            " AND seed = ",
            $seed,
            " AND seed_generation = ",
            $generation,
            " AND expires_at_ms = ",
            $expires,
            " AND algorithm = ",
            $algorithm,
            " AND digits = ",
            $digits,
            " AND period = ",
            $period
        )
    };
    // `$6` to `$12` of [`bind_accept`].
    () => {
        still_as_seen!("$6", "$7", "$8", "$9", "$10", "$11", "$12")
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
        mark_accepted(&mut accepted, row.try_get(0)?)?;
    }
    Ok(accepted)
}

/// Marks the accept at `index` (as a batch statement returned it) recorded.
fn mark_accepted(accepted: &mut [bool], index: i64) -> Result<(), sqlx::Error> {
    match usize::try_from(index)
        .ok()
        .and_then(|index| accepted.get_mut(index))
    {
        Some(slot) => {
            *slot = true;
            Ok(())
        }
        // Only a broken statement could get here.
        None => Err(sqlx::Error::Protocol(format!(
            "accept_steps_if_unchanged: unexpected accept index {index}"
        ))),
    }
}

/// [`accept_steps_if_unchanged`] on PostgreSQL: every accept of a round in one statement
/// ([`ROUND`]), the accepts given as arrays; so the common batch — no token twice — is one
/// statement and one round trip, committed by itself (no `BEGIN`, no `COMMIT`: PostgreSQL
/// commits a statement sent outside a transaction when it ends, after it has stopped the
/// statement's timeout, as for an explicit `COMMIT`; see [`WriteTx::commit`]. Checked on
/// PostgreSQL 15 with a synchronous standby whose WAL receiver was paused: such a statement,
/// over the extended protocol with a 1 s statement timeout, waited 6 s for the standby and
/// then committed). Measured on one instance, against `BEGIN`, one statement per accept and
/// `COMMIT`: the closed-loop rate rose from about 2,500 to 3,800 verifications/s, and at a fixed
/// 3,300/s the maximum latency fell from seconds (overloaded) to about 20 ms.
///
/// An `UPDATE … FROM` updates a row once however many input rows match it, so one statement
/// cannot decide two accepts of the same token one after the other. Round `r` therefore holds
/// the `r`-th accept of each token in arrival order; several rounds run in one transaction, in
/// order, each seeing what the one before wrote: of two accepts of a token and step, the
/// second finds `last_step` at its step and is not recorded — the outcome sequential accepts
/// would have had. Within a round the accepts go in key order (the order PostgreSQL's nested
/// loop over the input locks their rows), so that batches of several instances lock shared
/// tokens in one order; a deadlock all the same is a conflict the batcher runs again.
async fn accept_steps_postgres(
    tx: &mut WriteTx,
    accepts: &[SeenAccept<'_>],
) -> Result<Vec<bool>, sqlx::Error> {
    let rounds = rounds_by_token(accepts);
    let mut accepted = vec![false; accepts.len()];
    let whole = rounds.len() > 1;
    if whole {
        tx.begin().await?;
    }
    for round in &rounds {
        let Raw::Postgres(conn) = tx.raw()? else {
            return Err(not_postgres());
        };
        let columns = RoundColumns::of(accepts, round);
        let recorded = columns.bind(sqlx::query(ROUND)).fetch_all(conn).await?;
        for row in recorded {
            mark_accepted(&mut accepted, row.try_get(0)?)?;
        }
    }
    if whole {
        tx.commit().await?;
    }
    Ok(accepted)
}

/// The accepts of `accepts` in rounds (see [`rounds`]), by token.
fn rounds_by_token(accepts: &[SeenAccept<'_>]) -> Vec<Vec<usize>> {
    let keys: Vec<(&str, &str)> = accepts
        .iter()
        .map(|accept| {
            (
                accept.seen.service_id.as_str(),
                accept.seen.user_id.as_str(),
            )
        })
        .collect();
    rounds(&keys)
}

/// Indexes of `keys` in rounds: round `r` holds, for each key found more than `r` times, the
/// index of its `r`-th in order; each round in key order.
fn rounds<K: Ord>(keys: &[K]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    // Stable: the indexes of one key stay in order.
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    let mut nth = 0;
    for (at, &index) in order.iter().enumerate() {
        nth = match at.checked_sub(1) {
            Some(before) if keys[order[before]] == keys[index] => nth + 1,
            _ => 0,
        };
        if rounds.len() <= nth {
            rounds.push(Vec::new());
        }
        rounds[nth].push(index);
    }
    rounds
}

/// One round of [`accept_steps_postgres`]: [`accept_set!`], [`accept_where!`] and
/// [`still_as_seen!`] for each input row (the arrays of [`RoundColumns`], `$1` to `$13`; their
/// names are not the token's columns, so that none is ambiguous), an `accepted` audit record
/// for each token updated, and the indexes of the accepts that were.
const ROUND: &str = concat!(
    "WITH input AS (
        SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
            $6::text[], $7::bytea[], $8::bigint[], $9::bigint[], $10::text[], $11::bigint[],
            $12::bigint[], $13::bigint[])
        AS i (in_step, in_now, in_service_id, in_user_id, in_actor, seen_state, seen_seed,
            seen_generation, seen_expires, seen_algorithm, seen_digits, seen_period, idx)
    ), accepted AS (
        UPDATE tokens SET ",
    accept_set!("in_step", "in_now"),
    " FROM input WHERE ",
    accept_where!("in_step", "in_service_id", "in_user_id"),
    still_as_seen!(
        "seen_state",
        "seen_seed",
        "seen_generation",
        "seen_expires",
        "seen_algorithm",
        "seen_digits",
        "seen_period"
    ),
    " RETURNING idx, in_now, in_service_id, in_user_id, in_actor
    ), recorded AS (
        INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail)
        SELECT in_now, in_service_id, in_user_id, 'verify', 'accepted', in_actor, NULL
        FROM accepted ORDER BY idx
    )
    SELECT idx FROM accepted"
);

/// A round's accepts as the columns [`ROUND`] unnests, in the round's order.
#[derive(Default)]
struct RoundColumns<'a> {
    step: Vec<i64>,
    now_ms: Vec<i64>,
    service_id: Vec<&'a str>,
    user_id: Vec<&'a str>,
    actor: Vec<&'a str>,
    state: Vec<&'a str>,
    seed: Vec<Option<&'a [u8]>>,
    seed_generation: Vec<i64>,
    expires_at_ms: Vec<i64>,
    algorithm: Vec<&'a str>,
    digits: Vec<i64>,
    period: Vec<i64>,
    index: Vec<i64>,
}

impl<'a> RoundColumns<'a> {
    fn of(accepts: &[SeenAccept<'a>], round: &[usize]) -> Self {
        let mut columns = RoundColumns::default();
        for &index in round {
            let accept = &accepts[index];
            let seen = accept.seen;
            columns.step.push(int(accept.step));
            columns.now_ms.push(int(accept.now_ms));
            columns.service_id.push(seen.service_id.as_str());
            columns.user_id.push(seen.user_id.as_str());
            columns.actor.push(accept.actor);
            columns.state.push(seen.state.as_str());
            columns
                .seed
                .push(seen.seed.as_ref().map(|seed| seed.blob.as_slice()));
            columns.seed_generation.push(int(seen.seed_generation));
            columns.expires_at_ms.push(int(seen.expires_at_ms));
            columns.algorithm.push(seen.params.algorithm().as_str());
            columns.digits.push(i64::from(seen.params.digits()));
            columns.period.push(i64::from(seen.params.period()));
            columns.index.push(i64::try_from(index).unwrap_or(i64::MAX));
        }
        columns
    }

    /// Binds the columns as `$1`… of [`ROUND`], in its order.
    fn bind(
        self,
        query: Query<'a, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> Query<'a, sqlx::Postgres, sqlx::postgres::PgArguments> {
        query
            .bind(self.step)
            .bind(self.now_ms)
            .bind(self.service_id)
            .bind(self.user_id)
            .bind(self.actor)
            .bind(self.state)
            .bind(self.seed)
            .bind(self.seed_generation)
            .bind(self.expires_at_ms)
            .bind(self.algorithm)
            .bind(self.digits)
            .bind(self.period)
            .bind(self.index)
    }
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
    fn a_round_holds_each_token_once_in_key_order_and_repeats_wait_for_the_next() {
        // Arrival order: b, a, b, c, b, a.
        let keys = ["b", "a", "b", "c", "b", "a"];
        assert_eq!(rounds(&keys), vec![vec![1, 0, 3], vec![5, 2], vec![4]]);
        assert_eq!(rounds(&["x", "y"]), vec![vec![0, 1]]);
        assert!(rounds::<&str>(&[]).is_empty());
    }

    #[test]
    fn a_round_binds_every_array_it_unnests() {
        for n in 1..=13 {
            assert!(ROUND.contains(&format!("${n}::")), "${n} is not unnested");
        }
        assert!(!ROUND.contains("$14"));
        // The accept's rules, as every other form of accept writes them.
        assert!(ROUND.contains(accept_set!("in_step", "in_now")));
        assert!(ROUND.contains("last_step < in_step"));
        assert!(ROUND.contains("seed = seen_seed"));
    }

    #[test]
    fn parameters_shift_and_nothing_else_does() {
        assert_eq!(
            shift_params("SET a = $1, b = $12 WHERE c = '$' || $2", 12),
            "SET a = $13, b = $24 WHERE c = '$' || $14"
        );
    }
}
