-- The length of each record's stored request body, and an index that covers
-- summing it by tunnel and owner over a span of time (RecordedSince), so that
-- rebuilding the day's record quotas when the relay starts reads this index
-- rather than the wide rows. The index replaces records_received, which was
-- its first column alone, so recording still updates as many indexes. The
-- length is filled in for the records of the last two days, which is all the
-- quotas read; older records keep 0, so that upgrading a large store does
-- not rewrite every row.
ALTER TABLE records ADD COLUMN body_len INTEGER NOT NULL DEFAULT 0;

UPDATE records SET body_len = CASE WHEN body IS NOT NULL THEN length(body)
    ELSE coalesce((SELECT length(b.data) FROM request_bodies b WHERE b.seq = records.seq),
        (SELECT sum(length(p.data)) FROM request_body_parts p WHERE p.seq = records.seq), 0) END
WHERE received_at >= (unixepoch() - 2 * 86400) * 1000000000;

DROP INDEX records_received;
CREATE INDEX records_received ON records (received_at, tunnel, owner, body_len);
