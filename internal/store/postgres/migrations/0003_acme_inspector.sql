-- Certificates, account keys and challenge state of the ACME provider, shared by
-- every relay process on this database (autocert.Cache). Holds private keys: a
-- backup of this database is a secret.
CREATE TABLE acme_cache (
    key        text        PRIMARY KEY,
    data       bytea       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per certificate being ordered: the process that missed it first
-- orders it, the others wait for its Put. Expiry on the server's clock.
CREATE TABLE acme_locks (
    key        text        PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
);

-- Logged-in inspector browsers. Only the SHA-256 of the cookie value is kept.
CREATE TABLE inspector_sessions (
    id_hash    bytea       PRIMARY KEY,
    subject    text        NOT NULL,
    csrf       text        NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX inspector_sessions_expires ON inspector_sessions (expires_at);
