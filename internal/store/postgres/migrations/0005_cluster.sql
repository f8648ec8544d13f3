-- Several relay processes on one database: who is alive (nodes), where each
-- tunnel's client sessions are (tunnel_leases), and which process runs each
-- singleton job (job_leases). Every expiry uses the server's clock, now():
-- no two processes' clocks are ever compared.

-- One row per running process; a restart is a new node_id.
CREATE TABLE nodes (
    node_id      text        PRIMARY KEY,
    cluster_addr text        NOT NULL DEFAULT '',   -- host:port peers dial
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    draining     boolean     NOT NULL DEFAULT false
);
CREATE INDEX nodes_expires ON nodes (expires_at);

-- Generations: unique and increasing across the cluster, the fencing token
-- of a lease. Never CACHE > 1: values would stop following commit order.
CREATE SEQUENCE lease_gen;

-- One row per client session attached to a tunnel: a team-shared tunnel may
-- have several, on different nodes. A client id has at most one lease per
-- tunnel; its reconnect replaces it with a new generation.
CREATE TABLE tunnel_leases (
    name        text        NOT NULL REFERENCES tunnels ON DELETE CASCADE,
    client_id   text        NOT NULL,                -- '' for a client that sends none
    node_id     text        NOT NULL REFERENCES nodes ON DELETE CASCADE,
    session_id  text        NOT NULL,
    label       text        NOT NULL DEFAULT '',
    is_primary  boolean     NOT NULL DEFAULT false,  -- asked to be the primary
    routes      text[]      NOT NULL DEFAULT '{}',
    generation  bigint      NOT NULL,
    attached_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, client_id)
);
CREATE INDEX tunnel_leases_node ON tunnel_leases (node_id);

-- Singleton jobs (purge, reaping nodes): one holder at a time until expires_at.
CREATE TABLE job_leases (
    name       text        PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
);
