-- Records in a narrower row, cheaper to write. The fields no query filters
-- on move into two BLOBs, one per half of the record (see halves.go), so
-- that recording binds fewer arguments and completing rewrites fewer
-- columns. Small bodies are kept in the row (body, resp_body), larger ones
-- stay in request_bodies and response_bodies. seq loses AUTOINCREMENT, whose sqlite_sequence row cost a write
-- per insert: the writer assigns seq itself, above both the largest seq in
-- the table and seq_floor, which purges raise before deleting so that a seq
-- is never handed out twice. The outcome index leaves out 'ok' and
-- 'pending', so that recording and completing an ordinary delivery do not
-- touch it. Runs with foreign keys off (see migrate), so that dropping the
-- old table leaves the bodies alone.

CREATE TABLE seq_floor (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    seq INTEGER NOT NULL -- no record may get a seq at or below this
);

INSERT INTO seq_floor (one, seq) VALUES (1, max(
    coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'records'), 0),
    coalesce((SELECT max(seq) FROM records), 0)));

CREATE TABLE records_v3 (
    seq         INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    tunnel      TEXT    NOT NULL,
    owner       TEXT    NOT NULL,
    received_at INTEGER NOT NULL,             -- Unix nanoseconds, UTC
    method      TEXT    NOT NULL DEFAULT '',
    path        TEXT    NOT NULL DEFAULT '',
    status      INTEGER NOT NULL DEFAULT 0,
    outcome     TEXT    NOT NULL DEFAULT 'pending',
    verified    INTEGER,                      -- NULL: no verification; 1 passed, 0 failed
    replay_of   TEXT    NOT NULL DEFAULT '',
    event_id    TEXT    NOT NULL DEFAULT '',
    request     BLOB    NOT NULL,             -- the request half's other fields
    response    BLOB    NOT NULL,             -- the response half's other fields
    body        BLOB,                         -- a small request body, else in request_bodies
    resp_body   BLOB                          -- a small response body, else in response_bodies
);

INSERT INTO records_v3 (seq, id, tunnel, owner, received_at, method, path, status, outcome,
    verified, replay_of, event_id, request, response)
SELECT seq, id, tunnel, owner, received_at, method, path, status, outcome,
    CASE WHEN verify_provider IS NULL THEN NULL ELSE verify_ok != 0 END, replay_of, event_id,
    hookrelay_request_half(host, raw_query, proto, remote_addr, headers, body_size, body_sha256,
        body_truncated),
    hookrelay_response_half(error_code, resp_headers, resp_body_size, resp_body_sha256,
        resp_body_truncated, duration_ns, attempts, verify_provider, verify_ok, verify_reason,
        duplicate)
FROM records ORDER BY seq;

DROP TABLE records;
ALTER TABLE records_v3 RENAME TO records;

CREATE INDEX records_owner_seq ON records (owner, seq);
CREATE INDEX records_tunnel_seq ON records (tunnel, seq);
CREATE INDEX records_tunnel_outcome ON records (tunnel, outcome, seq)
    WHERE outcome NOT IN ('ok', 'pending');
CREATE INDEX records_tunnel_event ON records (tunnel, event_id, seq) WHERE event_id != '';
CREATE INDEX records_received ON records (received_at);
CREATE INDEX records_queued ON records (received_at) WHERE outcome = 'queued';
CREATE INDEX records_replay_of ON records (replay_of) WHERE replay_of != '';
