package sqlite

import (
	"context"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// queuedBudget bounds the request body bytes one Queued call returns: a
// queue of large bodies is handed out a few at a time (at least one) rather
// than up to limit bodies of up to the record cap each at once.
const queuedBudget = 64 << 20

// Queued returns the tunnel's queued records, oldest first, with bodies
// (see store.Store), fewer than limit when their bodies exceed queuedBudget.
func (db *DB) Queued(ctx context.Context, tunnel string, limit int) ([]store.Record, error) {
	return db.queued(ctx, tunnel, limit, queuedBudget)
}

// queued is Queued with a budget of body bytes.
func (db *DB) queued(ctx context.Context, tunnel string, limit int, budget int64) ([]store.Record, error) {
	if db.closed.Load() {
		return nil, errClosed
	}
	rows, err := queryRows(ctx, db.rs.queued, budget, tunnel, pageSize(limit))
	if err != nil {
		return nil, wrap("list queued", err)
	}
	recs := make([]store.Record, len(rows))
	for i := range rows {
		if err := db.readRequestBody(ctx, &rows[i]); err != nil {
			return nil, wrap("read queued body", err)
		}
		recs[i] = rows[i].Record
	}
	return recs, nil
}

// Missed counts owner's offline, queued and expired records of the tunnel
// received at or after since (see store.Store).
func (db *DB) Missed(ctx context.Context, owner, tunnel string, since time.Time) (int, error) {
	if db.closed.Load() {
		return 0, errClosed
	}
	var n int
	err := db.rs.missed.QueryRowContext(ctx, tunnel, owner, toNanos(since)).Scan(&n)
	return n, wrap("count missed", err)
}

// SeenEvent reports whether eventID was recorded on tunnel for owner below
// seq before (any seq when before <= 0); see store.Store.
func (db *DB) SeenEvent(ctx context.Context, owner, tunnel, eventID string, before int64) (bool, error) {
	if eventID == "" {
		return false, nil
	}
	if db.closed.Load() {
		return false, errClosed
	}
	var seen bool
	var err error
	if before <= 0 {
		err = db.rs.seenEventAny.QueryRowContext(ctx, tunnel, eventID, owner).Scan(&seen)
	} else {
		err = db.rs.seenEvent.QueryRowContext(ctx, tunnel, eventID, owner, before).Scan(&seen)
	}
	return seen, wrap("look up event", err)
}

// Interrupt marks the records left pending before t as interrupted (see
// store.Store).
func (db *DB) Interrupt(ctx context.Context, before time.Time) (int, error) {
	cutoff := toNanos(before)
	n, err := db.w.write(ctx, func(c *wconn) (int64, error) {
		res, err := c.exec(sInterrupt, args(cutoff))
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	})
	return int(n), wrap("interrupt pending records", err)
}

// Probe sizes: it writes probeSize bytes more than the database file has free, so
// that it needs new pages as a delivery does on a full disk (free pages would
// take it whatever the disk holds), but at most probeMax: a file with that much
// free has room for any delivery.
const (
	probeSize = 64 << 10
	probeMax  = 16 << 20
)

// Probe checks that the store can write now: it writes and deletes a blob in one
// transaction, so it fails like a delivery would on a full disk or a read-only
// file, and changes nothing a reader sees.
func (db *DB) Probe(ctx context.Context) error {
	_, err := db.w.write(ctx, func(c *wconn) (int64, error) {
		free, _, err := c.queryInt(sFreeBytes, nil)
		if err != nil {
			return 0, err
		}
		if _, err := c.exec(sProbeWrite, args(min(free+probeSize, probeMax))); err != nil {
			return 0, err
		}
		_, err = c.exec(sProbeClear, nil)
		return 0, err
	})
	return wrap("probe", err)
}
