-- Client tokens added while the relay runs (relay-server tokens add): only the
-- SHA-256 digest of each is kept, never the token. A revoked token keeps its
-- row, with the time it was revoked (Unix nanoseconds; 0 while valid).
CREATE TABLE tokens (
    id         text   PRIMARY KEY,
    digest     text   NOT NULL UNIQUE,
    team       text   NOT NULL DEFAULT '',
    label      text   NOT NULL DEFAULT '',
    created_at bigint NOT NULL,
    revoked_at bigint NOT NULL DEFAULT 0
);

-- One counter, moved by every add and revoke, so that every relay process can
-- poll for changes with a read of one row.
CREATE TABLE tokens_version (
    one integer PRIMARY KEY CHECK (one = 1),
    n   bigint  NOT NULL
);
INSERT INTO tokens_version (one, n) VALUES (1, 0);
