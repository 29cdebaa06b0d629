-- Schema version 4: the final state `replaced` (issue 14 §3, docs/protocol.md "Token states"):
-- a newer token of the same customer retired this one at its 認証確認 (a phone change).
--
-- SQLite cannot change a CHECK constraint in place, so `tokens` is rebuilt (new table, copy,
-- drop, rename: https://sqlite.org/lang_altertable.html#otheralter). sqlx runs every SQLite
-- migration inside one transaction, where foreign keys cannot be switched off, and
-- `transactions` refers to `tokens`; so `transactions` is rebuilt beside it, unchanged, first
-- pointing at the new table: then the old tables are dropped child first (no reference is
-- left dangling at any statement) and the renames carry the reference over. Every existing
-- column and value is kept as it was; the indexes are created again.

CREATE TABLE tokens_v4 (
    service_id                 TEXT    NOT NULL REFERENCES services (service_id),
    user_id                    TEXT    NOT NULL CHECK (length(user_id) = 16),
    customer_ref               TEXT    NOT NULL,
    email                      TEXT    NOT NULL,
    label                      TEXT,
    state                      TEXT    NOT NULL CHECK (state IN ('issued', 'pending_confirmation',
                                   'active', 'locked', 'activation_locked', 'revoked',
                                   'replaced', 'expired')),
    algorithm                  TEXT    NOT NULL,
    digits                     INTEGER NOT NULL,
    period                     INTEGER NOT NULL,
    password_file              BLOB    NOT NULL,
    password_file_kek_version  INTEGER NOT NULL,
    seed                       BLOB,
    seed_kek_version           INTEGER,
    -- Bumped whenever the seed changes, so caches of decrypted seeds can tell they are stale.
    seed_generation            INTEGER NOT NULL DEFAULT 0,
    activation_attempts        INTEGER NOT NULL DEFAULT 0,
    failures                   INTEGER NOT NULL DEFAULT 0,
    last_step                  INTEGER,
    issued_at_ms               INTEGER NOT NULL,
    expires_at_ms              INTEGER NOT NULL,
    activated_at_ms            INTEGER,
    confirmed_at_ms            INTEGER,
    revoked_at_ms              INTEGER,
    last_used_at_ms            INTEGER,
    device_json                TEXT,
    locked_from                TEXT    CHECK (locked_from IN ('pending_confirmation', 'active')),
    -- When the 認証確認 of `replaced_by` (a newer token of the same customer) retired this one;
    -- both set exactly when `state` is `replaced`.
    replaced_at_ms             INTEGER,
    replaced_by                TEXT    CHECK (replaced_by IS NULL OR length(replaced_by) = 16),
    PRIMARY KEY (service_id, user_id)
) WITHOUT ROWID;

INSERT INTO tokens_v4 (service_id, user_id, customer_ref, email, label, state, algorithm, digits,
    period, password_file, password_file_kek_version, seed, seed_kek_version, seed_generation,
    activation_attempts, failures, last_step, issued_at_ms, expires_at_ms, activated_at_ms,
    confirmed_at_ms, revoked_at_ms, last_used_at_ms, device_json, locked_from)
SELECT service_id, user_id, customer_ref, email, label, state, algorithm, digits,
    period, password_file, password_file_kek_version, seed, seed_kek_version, seed_generation,
    activation_attempts, failures, last_step, issued_at_ms, expires_at_ms, activated_at_ms,
    confirmed_at_ms, revoked_at_ms, last_used_at_ms, device_json, locked_from
FROM tokens;

-- `transactions`, as schema version 3 made it, referring to the new table.
CREATE TABLE transactions_v4 (
    transaction_id   TEXT    PRIMARY KEY CHECK (length(transaction_id) = 22),
    service_id       TEXT    NOT NULL,
    user_id          TEXT    NOT NULL,
    -- As last written: a `pending` row past `expires_at_ms` is `expired` whether or not that
    -- has been written yet (the rules read it so).
    state            TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'rejected',
                                 'confirmed', 'expired', 'failed', 'cancelled')),
    bank_code        TEXT    NOT NULL CHECK (length(bank_code) = 4),
    branch_code      TEXT    NOT NULL CHECK (length(branch_code) = 3),
    account_type     TEXT    NOT NULL CHECK (account_type IN ('ordinary', 'checking', 'savings')),
    account_number   TEXT    NOT NULL CHECK (length(account_number) = 7),
    holder_name      TEXT    NOT NULL,
    currency         TEXT    NOT NULL CHECK (currency = 'JPY'),
    amount           INTEGER NOT NULL CHECK (amount BETWEEN 1 AND 9999999999),
    reference        TEXT,
    created_at_ms    INTEGER NOT NULL,
    expires_at_ms    INTEGER NOT NULL,
    -- When it left `pending` (NULL while pending, and for an expiry nobody wrote).
    decided_at_ms    INTEGER,
    -- Wrong typed transaction codes (§9.6: the 3rd fails the transaction).
    failures         INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    FOREIGN KEY (service_id, user_id) REFERENCES tokens_v4 (service_id, user_id)
);

INSERT INTO transactions_v4 SELECT * FROM transactions;

DROP TABLE transactions;
DROP TABLE tokens;
ALTER TABLE tokens_v4 RENAME TO tokens;
ALTER TABLE transactions_v4 RENAME TO transactions;

CREATE INDEX tokens_by_customer ON tokens (service_id, customer_ref);
CREATE INDEX transactions_by_token ON transactions (service_id, user_id, state, created_at_ms);
CREATE INDEX transactions_by_creation ON transactions (created_at_ms);

PRAGMA user_version = 4;
