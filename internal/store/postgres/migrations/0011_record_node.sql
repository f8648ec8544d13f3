-- The node (one start of one relay process, nodes.node_id) that inserted
-- each record. A record left pending when its node died is settled as
-- interrupted by whoever knows that node is gone: a relay starting (records
-- of nodes already reaped, or of its own previous life on the same cluster
-- address) or the node reaping the dead one, and never while its node may
-- still complete it. '' marks records written before this column existed:
-- settled by the next relay to start, as before. (There is no 0008: the
-- number was never used.)
ALTER TABLE records ADD COLUMN node_id text NOT NULL DEFAULT '';
