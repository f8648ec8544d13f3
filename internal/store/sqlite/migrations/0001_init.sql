-- Tunnel names and the token (opaque owner id) that owns each.
CREATE TABLE tunnels (
    name         TEXT    NOT NULL PRIMARY KEY,
    owner        TEXT    NOT NULL,
    offline      TEXT    NOT NULL DEFAULT 'reject',
    queue_status INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL, -- Unix nanoseconds, UTC
    last_seen    INTEGER NOT NULL  -- Unix nanoseconds, UTC
) WITHOUT ROWID;

CREATE INDEX tunnels_owner ON tunnels (owner, name);

-- One row per recorded delivery. Bodies live in their own tables so that
-- listing scans only small rows. seq is AUTOINCREMENT so a purged seq is never
-- handed out again and cursors stay valid.
CREATE TABLE records (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                  TEXT    NOT NULL UNIQUE,
    tunnel              TEXT    NOT NULL,
    owner               TEXT    NOT NULL,
    received_at         INTEGER NOT NULL, -- Unix nanoseconds, UTC
    method              TEXT    NOT NULL DEFAULT '',
    host                TEXT    NOT NULL DEFAULT '',
    path                TEXT    NOT NULL DEFAULT '',
    raw_query           TEXT    NOT NULL DEFAULT '',
    proto               TEXT    NOT NULL DEFAULT '',
    remote_addr         TEXT    NOT NULL DEFAULT '',
    headers             BLOB,             -- see encodeHeaders in codec.go
    body_size           INTEGER NOT NULL DEFAULT 0,
    body_sha256         TEXT    NOT NULL DEFAULT '',
    body_truncated      INTEGER NOT NULL DEFAULT 0,
    status              INTEGER NOT NULL DEFAULT 0,
    outcome             TEXT    NOT NULL DEFAULT 'pending',
    error_code          TEXT    NOT NULL DEFAULT '',
    resp_headers        BLOB,
    resp_body_size      INTEGER NOT NULL DEFAULT 0,
    resp_body_sha256    TEXT    NOT NULL DEFAULT '',
    resp_body_truncated INTEGER NOT NULL DEFAULT 0,
    duration_ns         INTEGER NOT NULL DEFAULT 0,
    replay_of           TEXT    NOT NULL DEFAULT '',
    verify_provider     TEXT,             -- NULL when no verification was made
    verify_ok           INTEGER NOT NULL DEFAULT 0,
    verify_reason       TEXT    NOT NULL DEFAULT '',
    event_id            TEXT    NOT NULL DEFAULT '',
    duplicate           INTEGER NOT NULL DEFAULT 0,
    attempts            INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX records_owner_seq ON records (owner, seq);
CREATE INDEX records_tunnel_seq ON records (tunnel, seq);
CREATE INDEX records_tunnel_outcome_seq ON records (tunnel, outcome, seq);
CREATE INDEX records_tunnel_event ON records (tunnel, event_id, seq) WHERE event_id != '';
CREATE INDEX records_received ON records (received_at);
CREATE INDEX records_queued ON records (received_at) WHERE outcome = 'queued';

-- Stored body bytes, request and response, keyed by the record's seq. A
-- missing row means nothing was stored.
CREATE TABLE request_bodies (
    seq  INTEGER PRIMARY KEY REFERENCES records (seq) ON DELETE CASCADE,
    data BLOB NOT NULL
);

CREATE TABLE response_bodies (
    seq  INTEGER PRIMARY KEY REFERENCES records (seq) ON DELETE CASCADE,
    data BLOB NOT NULL
);
