-- SoftToken provider schema, version 1.
-- Times are unix milliseconds (INTEGER). Secrets are AES-256-GCM blobs sealed under the KEK
-- (server/src/kek.rs); the *_kek_version column says which KEK version sealed them.

-- One row: proves the configured KEK is the one this database was created with.
CREATE TABLE kek_check (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    kek_version   INTEGER NOT NULL,
    sealed        BLOB    NOT NULL
);

-- A service is one bank (tenant).
CREATE TABLE services (
    service_id               TEXT    PRIMARY KEY CHECK (length(service_id) = 8),
    name                     TEXT    NOT NULL,
    algorithm                TEXT    NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    digits                   INTEGER NOT NULL CHECK (digits BETWEEN 6 AND 10),
    period                   INTEGER NOT NULL CHECK (period BETWEEN 1 AND 300),
    max_activation_attempts  INTEGER NOT NULL CHECK (max_activation_attempts BETWEEN 1 AND 100),
    max_failures             INTEGER NOT NULL CHECK (max_failures BETWEEN 1 AND 100),
    token_ttl_secs           INTEGER NOT NULL CHECK (token_ttl_secs > 0),
    verify_window            INTEGER NOT NULL CHECK (verify_window BETWEEN 0 AND 10),
    opaque_setup             BLOB    NOT NULL,
    opaque_setup_kek_version INTEGER NOT NULL,
    created_at_ms            INTEGER NOT NULL
);

-- Bank API keys: only a SHA-256 of the secret part is stored; the key is shown once.
CREATE TABLE api_keys (
    key_id         TEXT    PRIMARY KEY,
    service_id     TEXT    NOT NULL REFERENCES services (service_id),
    secret_sha256  BLOB    NOT NULL,
    label          TEXT,
    created_at_ms  INTEGER NOT NULL,
    revoked_at_ms  INTEGER
);

CREATE TABLE tokens (
    service_id                 TEXT    NOT NULL REFERENCES services (service_id),
    user_id                    TEXT    NOT NULL CHECK (length(user_id) = 16),
    customer_ref               TEXT    NOT NULL,
    email                      TEXT    NOT NULL,
    label                      TEXT,
    state                      TEXT    NOT NULL CHECK (state IN ('issued', 'pending_confirmation',
                                   'active', 'locked', 'activation_locked', 'revoked', 'expired')),
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
    PRIMARY KEY (service_id, user_id)
) WITHOUT ROWID;

CREATE INDEX tokens_by_customer ON tokens (service_id, customer_ref);

-- Activations between KE2 and KE3; the OPAQUE server state is sealed under the KEK.
CREATE TABLE activations (
    activation_id      TEXT    PRIMARY KEY,
    service_id         TEXT    NOT NULL,
    user_id            TEXT    NOT NULL,
    state              BLOB    NOT NULL,
    state_kek_version  INTEGER NOT NULL,
    expires_at_ms      INTEGER NOT NULL
);

CREATE INDEX activations_by_expiry ON activations (expires_at_ms);

-- What happened, never with secrets: no passwords, seeds, codes or keys.
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms       INTEGER NOT NULL,
    service_id  TEXT,
    user_id     TEXT,
    event       TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    detail      TEXT
);

CREATE INDEX audit_by_token ON audit (service_id, user_id, at_ms);

PRAGMA user_version = 1;
