-- Times the Store API carries are Unix nanoseconds (bigint), UTC: timestamptz
-- keeps only microseconds.

-- Tunnel names and the token (opaque owner id) that owns each.
CREATE TABLE tunnels (
    name         text    PRIMARY KEY,
    owner        text    NOT NULL,
    offline      text    NOT NULL DEFAULT 'reject',
    queue_status integer NOT NULL DEFAULT 0,
    created_at   bigint  NOT NULL,
    last_seen    bigint  NOT NULL
);
CREATE INDEX tunnels_owner ON tunnels (owner, name);

-- seq comes from a sequence, which never rewinds: a purged seq is never handed
-- out again. CACHE 1 (the default) keeps nextval order close to arrival order
-- when several processes insert.
CREATE SEQUENCE records_seq;

-- One row per recorded delivery, written once by Insert. The columns queries
-- filter on are columns; the rest of each half is packed into request and
-- response (see halves.go). path and event_id are bytea because a request
-- target and a header may hold bytes that are not UTF-8, which a text column
-- would refuse. status, outcome, verified, response and resp_body hold the
-- response half as inserted; Complete writes responses instead.
CREATE TABLE records (
    seq         bigint  PRIMARY KEY,
    id          text    NOT NULL UNIQUE,
    tunnel      text    NOT NULL,
    owner       text    NOT NULL,
    received_at bigint  NOT NULL,
    method      text    NOT NULL DEFAULT '',
    path        bytea   NOT NULL DEFAULT '',
    status      integer NOT NULL DEFAULT 0,
    outcome     text    NOT NULL DEFAULT 'pending',
    verified    boolean,
    replay_of   text    NOT NULL DEFAULT '',
    event_id    bytea   NOT NULL DEFAULT '',
    request     bytea   NOT NULL,
    response    bytea   NOT NULL,
    body        bytea,
    body_len    bigint  NOT NULL DEFAULT 0, -- octet_length(body), for RecordedSince
    resp_body   bytea
);
CREATE INDEX records_owner_seq    ON records (owner, seq);
CREATE INDEX records_tunnel_seq   ON records (tunnel, seq);
CREATE INDEX records_tunnel_event ON records (tunnel, event_id, seq) WHERE event_id <> '';
-- Purge by age and RecordedSince (an index-only scan) read this one.
CREATE INDEX records_received     ON records (received_at) INCLUDE (tunnel, owner, body_len);
CREATE INDEX records_replay_of    ON records (replay_of) WHERE replay_of <> '';

-- The response half written by Complete: an insert on the first answer, an
-- update only when a record is completed again.
CREATE TABLE responses (
    seq       bigint  PRIMARY KEY REFERENCES records ON DELETE CASCADE,
    status    integer NOT NULL,
    outcome   text    NOT NULL,
    verified  boolean,
    response  bytea   NOT NULL,
    resp_body bytea
);

-- The effective record: the response half from responses when Complete wrote
-- one, else as inserted. Every reader reads records through this view.
CREATE VIEW record_state AS
SELECT r.seq, r.id, r.tunnel, r.owner, r.received_at, r.method, r.path, r.replay_of, r.event_id,
       r.request, r.body,
       coalesce(s.status, r.status) AS status,
       coalesce(s.outcome, r.outcome) AS outcome,
       CASE WHEN s.seq IS NULL THEN r.verified ELSE s.verified END AS verified,
       coalesce(s.response, r.response) AS response,
       CASE WHEN s.seq IS NULL THEN r.resp_body ELSE s.resp_body END AS resp_body
  FROM records r LEFT JOIN responses s ON s.seq = r.seq;

-- The offline queue: one row per record whose outcome is queued, kept by
-- Insert, Complete and Purge. Small and short-lived. The claim columns are
-- for deliverers on several processes.
CREATE TABLE queue (
    seq         bigint PRIMARY KEY REFERENCES records ON DELETE CASCADE,
    tunnel      text   NOT NULL,
    received_at bigint NOT NULL,
    claimed_by  text,
    claim_gen   bigint,
    claim_until timestamptz
);
CREATE INDEX queue_tunnel_seq ON queue (tunnel, seq);
CREATE INDEX queue_received   ON queue (received_at);

-- Filter.Text matches as SQLite's LIKE does on the same bytes: up to the
-- first NUL, folding ASCII letters only (lower() under the C collation).
CREATE FUNCTION hr_fold(b bytea) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT lower(convert_from(substring(b FROM 1 FOR coalesce(nullif(position('\x00'::bytea IN b), 0) - 1,
      length(b))), 'LATIN1') COLLATE "C")
$$;
