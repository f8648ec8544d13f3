-- What every node needs to check a delivery the way the client's own node
-- does: the client's --verify specs (secrets included, like the bodies and
-- headers this store already keeps), its verify mode and its --handshake kinds.
ALTER TABLE tunnel_leases
    ADD COLUMN verify      text[] NOT NULL DEFAULT '{}',
    ADD COLUMN verify_mode text   NOT NULL DEFAULT '',
    ADD COLUMN handshake   text[] NOT NULL DEFAULT '{}';
