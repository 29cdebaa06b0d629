-- PostgreSQL twin of ../sqlite/0004_replaced_state.sql: the same tables, columns, constraints and indexes, in
-- PostgreSQL's types (BIGINT for every integer, since sqlx binds and reads them as i64; BYTEA
-- for blobs; an identity column for the audit id). The schema version is the migration number
-- (`_sqlx_migrations`), as on SQLite, whose files also set `PRAGMA user_version`.

-- Schema version 4: the final state `replaced` (issue 14 §3, docs/protocol.md "Token states"):
-- a newer token of the same customer retired this one at its 認証確認 (a phone change).
-- PostgreSQL changes a CHECK constraint in place (SQLite had to rebuild the table).

ALTER TABLE tokens DROP CONSTRAINT tokens_state_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_state_check CHECK (state IN ('issued',
    'pending_confirmation', 'active', 'locked', 'activation_locked', 'revoked', 'replaced',
    'expired'));

-- When the 認証確認 of `replaced_by` (a newer token of the same customer) retired this one;
-- both set exactly when `state` is `replaced`.
ALTER TABLE tokens ADD COLUMN replaced_at_ms BIGINT;
ALTER TABLE tokens ADD COLUMN replaced_by TEXT
    CHECK (replaced_by IS NULL OR length(replaced_by) = 16);
