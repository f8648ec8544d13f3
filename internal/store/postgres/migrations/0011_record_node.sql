-- The node (one start of one relay process, nodes.node_id) that inserted
-- each record, and, per node, the lowest seq it may still leave pending
-- (see inflight.go): a record left pending when its node died is settled as
-- interrupted by whoever knows that node is gone, the node reaping it or a
-- relay starting again on its cluster address, reading only the records
-- from pending_from on. (There is no 0008: the number was never used.)
ALTER TABLE records ADD COLUMN node_id text NOT NULL DEFAULT '';
ALTER TABLE nodes ADD COLUMN pending_from bigint NOT NULL DEFAULT 0;

CREATE OR REPLACE VIEW record_state AS
SELECT r.seq, r.id, r.tunnel, r.owner, r.received_at, r.method, r.path, r.replay_of, r.event_id,
       r.request, r.body,
       coalesce(s.status, r.status) AS status,
       coalesce(s.outcome, r.outcome) AS outcome,
       CASE WHEN s.seq IS NULL THEN r.verified ELSE s.verified END AS verified,
       coalesce(s.response, r.response) AS response,
       CASE WHEN s.seq IS NULL THEN r.resp_body ELSE s.resp_body END AS resp_body,
       r.node_id
  FROM records r LEFT JOIN responses s ON s.seq = r.seq;

-- Records written before node ids name no node, and no process that wrote
-- them runs now (a migration is applied with every node stopped: README,
-- "Schema and upgrades"): those still pending are settled here, once.
INSERT INTO responses (seq, status, outcome, verified, response, resp_body)
SELECT seq, status, 'interrupted', verified, response, resp_body FROM record_state
 WHERE outcome = 'pending'
ON CONFLICT (seq) DO UPDATE SET outcome = 'interrupted' WHERE responses.outcome = 'pending';
