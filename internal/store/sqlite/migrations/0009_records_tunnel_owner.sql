-- The retention cap counts each owner's records of a tunnel name apart (a
-- released name's earlier holder keeps its records, capped on their own).
-- Finding the tunnels and owners over the cap groups by (tunnel, owner), and
-- trimming one walks its records by seq: on records_tunnel_seq alone the first
-- is a scan of every row with a temporary B-tree, about 200 times slower on
-- 200,000 records (see doc.go). The new index replaces records_tunnel_seq,
-- whose every reader also filters by owner (Filter.AllOwners, admin use,
-- sorts instead), so recording updates as many indexes as before.
CREATE INDEX records_tunnel_owner_seq ON records (tunnel, owner, seq);
DROP INDEX records_tunnel_seq;
