-- A client's lease is its token's and its client id's: two members of a team
-- whose clients send the same id (copied configuration, or on purpose) hold
-- a lease each, as they attach side by side on one node, and neither can
-- take over the other's by attaching to another node. token_id is the
-- token's public id (never the token, never its digest).
ALTER TABLE tunnel_leases ADD COLUMN token_id text NOT NULL DEFAULT '';
ALTER TABLE tunnel_leases DROP CONSTRAINT tunnel_leases_pkey;
ALTER TABLE tunnel_leases ADD PRIMARY KEY (name, token_id, client_id);
