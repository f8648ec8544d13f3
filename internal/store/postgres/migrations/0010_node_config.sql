-- A digest of the configuration every node must share (relay-server's options
-- but those that differ by node, its tokens, teams and tunnels): each node
-- warns of live nodes whose digest differs from its own. '' for none given.
ALTER TABLE nodes ADD COLUMN config_hash text NOT NULL DEFAULT '';
