-- PostgreSQL twin of ../sqlite/0002_activation_state.sql: the same tables, columns, constraints and indexes, in
-- PostgreSQL's types (BIGINT for every integer, since sqlx binds and reads them as i64; BYTEA
-- for blobs; an identity column for the audit id). The schema version is the migration number
-- (`_sqlx_migrations`), as on SQLite, whose files also set `PRAGMA user_version`.

-- Schema version 2: the state a token was locked from (issue 12, finding 5), and what lets an
-- activation start say nothing about whether a User ID exists (finding 3).

-- Set when wrong codes lock a token (`pending_confirmation` or `active`); unlocking restores it,
-- so a token that was never confirmed does not come back `active`. NULL while not locked (and
-- for tokens locked before this column existed, which were `active` then: unlock restores that).
ALTER TABLE tokens ADD COLUMN locked_from TEXT
    CHECK (locked_from IN ('pending_confirmation', 'active'));

-- One row: the OPAQUE setup that answers activation starts for Service IDs no service has.
-- Made once and sealed under the KEK (like a service's setup), so its fake replies are the
-- same across restarts and on every provider sharing the database and KEK.
CREATE TABLE unknown_service_setup (
    id           BIGINT  PRIMARY KEY CHECK (id = 1),
    kek_version  BIGINT  NOT NULL,
    sealed       BYTEA   NOT NULL
);

-- Activation attempts started for (service, user) pairs that have no token, counted exactly as
-- a token counts its own, so `attempts_left` in a start reply is the same whether or not the
-- User ID exists.
CREATE TABLE tokenless_attempts (
    service_id   TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    attempts     BIGINT  NOT NULL,
    last_at_ms   BIGINT  NOT NULL,
    PRIMARY KEY (service_id, user_id)
);

