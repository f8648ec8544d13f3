-- Client tokens added while the relay runs (relay-server tokens add): only the
-- SHA-256 digest of each is kept, never the token. A revoked token keeps its
-- row, with the time it was revoked, so that tokens list can show it.
CREATE TABLE tokens (
    id         TEXT    PRIMARY KEY,
    digest     TEXT    NOT NULL UNIQUE,
    team       TEXT    NOT NULL DEFAULT '',
    label      TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL DEFAULT 0
);

-- One counter, moved by every add and revoke, so that a running relay can poll
-- for changes with a read of one row.
CREATE TABLE tokens_version (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    n   INTEGER NOT NULL
);
INSERT INTO tokens_version (one, n) VALUES (1, 0);
