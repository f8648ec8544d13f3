package postgres

import (
	"context"
	"math"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// queuedBudget bounds the request body bytes one Queued call returns, as in
// the SQLite backend: a queue of large bodies is handed out a few at a time
// (at least one).
const queuedBudget = 64 << 20

// qQueued selects the oldest queued records of a tunnel while the bodies
// before each stay under the budget. octet_length reads a stored body's
// size without fetching it.
const qQueued = `SELECT ` + withBodies + ` FROM (
	SELECT q.seq, sum(coalesce(octet_length(x.body), 0)) OVER (ORDER BY q.seq)
		- coalesce(octet_length(x.body), 0) AS before
	FROM queue q JOIN records x ON x.seq = q.seq
	WHERE q.tunnel = $1 ORDER BY q.seq LIMIT $2) b
JOIN record_state r ON r.seq = b.seq
WHERE b.before < $3 ORDER BY r.seq`

// Queued returns the tunnel's queued records, oldest first, with bodies
// (see store.Store).
func (db *DB) Queued(ctx context.Context, tunnel string, limit int) ([]store.Record, error) {
	return db.queued(ctx, tunnel, limit, queuedBudget)
}

func (db *DB) queued(ctx context.Context, tunnel string, limit int, budget int64) ([]store.Record, error) {
	var recs []store.Record
	err := db.call(ctx, "list queued", func(ctx context.Context) error {
		var err error
		recs, err = db.queryRecords(ctx, qQueued, tunnel, pageSize(limit), budget)
		return err
	})
	return recs, err
}

// Missed counts owner's offline, queued and expired records of the tunnel
// received at or after since (see store.Store).
func (db *DB) Missed(ctx context.Context, owner, tunnel string, since time.Time) (int, error) {
	var n int
	err := db.call(ctx, "count missed", func(ctx context.Context) error {
		return db.pool.QueryRow(ctx, `SELECT count(*) FROM record_state r WHERE r.tunnel = $1
			AND r.owner = $3 AND r.received_at >= $2 AND r.outcome IN ('offline', 'queued', 'expired')`,
			tunnel, toNanos(since), owner).Scan(&n)
	})
	return n, err
}

// SeenEvent reports whether eventID was recorded on tunnel for owner below
// seq before (any seq when before <= 0); see store.Store.
func (db *DB) SeenEvent(ctx context.Context, owner, tunnel, eventID string, before int64) (bool, error) {
	if eventID == "" {
		return false, nil
	}
	if before <= 0 {
		before = math.MaxInt64
	}
	var seen bool
	err := db.call(ctx, "look up event", func(ctx context.Context) error {
		return db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM records
			WHERE tunnel = $1 AND event_id = $2 AND event_id <> '' AND owner = $4 AND seq < $3)`,
			tunnel, bytea(eventID), before, owner).Scan(&seen)
	})
	return seen, err
}

// Interrupt gives the records left pending before t the outcome
// interrupted (see store.Store): this node's own (by seq, as it knows
// them), and those of the nodes known to be gone: those on
// this node's cluster address (its own previous life: no two live processes
// listen on one address, so this node must have joined first) and those
// whose heartbeat expired. Pending records of other live nodes are
// deliveries in flight and are left to them; Reap settles them if their
// node dies, and migration 0011 settled those written before records named
// their node. Each gone node's records are read from its pending_from on.
func (db *DB) Interrupt(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.call(ctx, "interrupt pending records", func(ctx context.Context) error {
		own, err := db.pool.Exec(ctx, qSettleSeqs, db.pending.seqs(), toNanos(before))
		if err != nil {
			return err
		}
		rows, err := db.pool.Query(ctx, qGoneNodes, db.node.id)
		if err != nil {
			return err
		}
		gone, err := collectGone(rows)
		if err != nil || len(gone.ids) == 0 {
			n = own.RowsAffected()
			return err
		}
		k, err := gone.settle(ctx, db.pool, toNanos(before))
		n = own.RowsAffected() + k
		return err
	})
	return int(n), err
}

// qSettleSeqs settles the records $1 still pending and received before $2:
// this node's own, which it knows by seq (a relay starting has none).
const qSettleSeqs = `INSERT INTO responses (seq, status, outcome, verified, response, resp_body)
	SELECT s.seq, s.status, 'interrupted', s.verified, s.response, s.resp_body
	  FROM record_state s WHERE s.seq = ANY($1::bigint[]) AND s.outcome = 'pending' AND s.received_at < $2
	` + settlePending

// qGoneNodes lists, from the point of view of node $1, the nodes whose
// pending records nothing will complete (see Interrupt), with their
// pending_from.
const qGoneNodes = `SELECT n.node_id, n.pending_from FROM nodes n LEFT JOIN nodes me ON me.node_id = $1
	WHERE n.node_id <> $1 AND (n.expires_at < now() OR (me.cluster_addr <> '' AND n.cluster_addr = me.cluster_addr))`
