-- PostgreSQL twin of ../sqlite/0003_transactions.sql: the same tables, columns, constraints and indexes, in
-- PostgreSQL's types (BIGINT for every integer, since sqlx binds and reads them as i64; BYTEA
-- for blobs; an identity column for the audit id). The schema version is the migration number
-- (`_sqlx_migrations`), as on SQLite, whose files also set `PRAGMA user_version`.

-- Schema version 3: transaction authentication (取引認証, issue 13; docs/protocol.md §9).
-- Portable to PostgreSQL (issue 15): standard types and constraints only, times as BIGINT 
-- unix milliseconds, no WITHOUT ROWID, no AUTOINCREMENT.

-- One row per transfer a bank registered, with the payee, amount and reference in the
-- canonical form the provider bound (§9.2), so the digest can be recomputed from the row.
-- The details are the customer's data: never logged, and purged `retention_days` after
-- `created_at_ms` (docs/server.md, "Transactions").
CREATE TABLE transactions (
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
    amount           BIGINT  NOT NULL CHECK (amount BETWEEN 1 AND 9999999999),
    reference        TEXT,
    created_at_ms    BIGINT  NOT NULL,
    expires_at_ms    BIGINT  NOT NULL,
    -- When it left `pending` (NULL while pending, and for an expiry nobody wrote).
    decided_at_ms    BIGINT ,
    -- Wrong typed transaction codes (§9.6: the 3rd fails the transaction).
    failures         BIGINT  NOT NULL DEFAULT 0 CHECK (failures >= 0),
    FOREIGN KEY (service_id, user_id) REFERENCES tokens (service_id, user_id)
);

-- The device's pending list, the per-token cap and failing a locked token's pending ones.
CREATE INDEX transactions_by_token ON transactions (service_id, user_id, state, created_at_ms);
-- The retention purge.
CREATE INDEX transactions_by_creation ON transactions (created_at_ms);

-- Offline codes (§9.6) accepted, for replay per challenge: the same code for the same
-- challenge and time step verifies once. The challenge itself (the account number, perhaps
-- the amount) is customer data, so only an HMAC-SHA256 of it is kept, under a key derived from
-- the token's seed (a plain hash of an account number is inverted by trying them all); rows are
-- purged once their step is outside every verification window.
CREATE TABLE used_challenges (
    service_id       TEXT    NOT NULL,
    user_id          TEXT    NOT NULL,
    challenge_mac BYTEA   NOT NULL CHECK (length(challenge_mac) = 32),
    step             BIGINT  NOT NULL,
    used_at_ms       BIGINT  NOT NULL,
    PRIMARY KEY (service_id, user_id, challenge_mac, step)
);

CREATE INDEX used_challenges_by_time ON used_challenges (used_at_ms);

