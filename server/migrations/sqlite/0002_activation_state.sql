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
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    kek_version  INTEGER NOT NULL,
    sealed       BLOB    NOT NULL
);

-- Activation attempts started for (service, user) pairs that have no token, counted exactly as
-- a token counts its own, so `attempts_left` in a start reply is the same whether or not the
-- User ID exists.
CREATE TABLE tokenless_attempts (
    service_id   TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    attempts     INTEGER NOT NULL,
    last_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (service_id, user_id)
) WITHOUT ROWID;

PRAGMA user_version = 2;
