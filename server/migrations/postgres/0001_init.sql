-- PostgreSQL twin of ../sqlite/0001_init.sql: the same tables, columns, constraints and indexes, in
-- PostgreSQL's types (BIGINT for every integer, since sqlx binds and reads them as i64; BYTEA
-- for blobs; an identity column for the audit id). The schema version is the migration number
-- (`_sqlx_migrations`), as on SQLite, whose files also set `PRAGMA user_version`.

-- SoftToken provider schema, version 1.
-- Times are unix milliseconds (BIGINT). Secrets are AES-256-GCM blobs sealed under the KEK
-- (server/src/kek.rs); the *_kek_version column says which KEK version sealed them.

-- One row: proves the configured KEK is the one this database was created with.
CREATE TABLE kek_check (
    id            BIGINT  PRIMARY KEY CHECK (id = 1),
    kek_version   BIGINT  NOT NULL,
    sealed        BYTEA   NOT NULL
);

-- A service is one bank (tenant).
CREATE TABLE services (
    service_id               TEXT    PRIMARY KEY CHECK (length(service_id) = 8),
    name                     TEXT    NOT NULL,
    algorithm                TEXT    NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    digits                   BIGINT  NOT NULL CHECK (digits BETWEEN 6 AND 10),
    period                   BIGINT  NOT NULL CHECK (period BETWEEN 1 AND 300),
    max_activation_attempts  BIGINT  NOT NULL CHECK (max_activation_attempts BETWEEN 1 AND 100),
    max_failures             BIGINT  NOT NULL CHECK (max_failures BETWEEN 1 AND 100),
    token_ttl_secs           BIGINT  NOT NULL CHECK (token_ttl_secs > 0),
    verify_window            BIGINT  NOT NULL CHECK (verify_window BETWEEN 0 AND 10),
    opaque_setup             BYTEA   NOT NULL,
    opaque_setup_kek_version BIGINT  NOT NULL,
    created_at_ms            BIGINT  NOT NULL
);

-- Bank API keys: only a SHA-256 of the secret part is stored; the key is shown once.
CREATE TABLE api_keys (
    key_id         TEXT    PRIMARY KEY,
    service_id     TEXT    NOT NULL REFERENCES services (service_id),
    secret_sha256  BYTEA   NOT NULL,
    label          TEXT,
    created_at_ms  BIGINT  NOT NULL,
    revoked_at_ms  BIGINT 
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
    digits                     BIGINT  NOT NULL,
    period                     BIGINT  NOT NULL,
    password_file              BYTEA   NOT NULL,
    password_file_kek_version  BIGINT  NOT NULL,
    seed                       BYTEA,
    seed_kek_version           BIGINT ,
    -- Bumped whenever the seed changes, so caches of decrypted seeds can tell they are stale.
    seed_generation            BIGINT  NOT NULL DEFAULT 0,
    activation_attempts        BIGINT  NOT NULL DEFAULT 0,
    failures                   BIGINT  NOT NULL DEFAULT 0,
    last_step                  BIGINT ,
    issued_at_ms               BIGINT  NOT NULL,
    expires_at_ms              BIGINT  NOT NULL,
    activated_at_ms            BIGINT ,
    confirmed_at_ms            BIGINT ,
    revoked_at_ms              BIGINT ,
    last_used_at_ms            BIGINT ,
    device_json                TEXT,
    PRIMARY KEY (service_id, user_id)
);

CREATE INDEX tokens_by_customer ON tokens (service_id, customer_ref);

-- Activations between KE2 and KE3; the OPAQUE server state is sealed under the KEK.
CREATE TABLE activations (
    activation_id      TEXT    PRIMARY KEY,
    service_id         TEXT    NOT NULL,
    user_id            TEXT    NOT NULL,
    state              BYTEA   NOT NULL,
    state_kek_version  BIGINT  NOT NULL,
    expires_at_ms      BIGINT  NOT NULL
);

CREATE INDEX activations_by_expiry ON activations (expires_at_ms);

-- What happened, never with secrets: no passwords, seeds, codes or keys.
CREATE TABLE audit (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms       BIGINT  NOT NULL,
    service_id  TEXT,
    user_id     TEXT,
    event       TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    detail      TEXT
);

CREATE INDEX audit_by_token ON audit (service_id, user_id, at_ms);

