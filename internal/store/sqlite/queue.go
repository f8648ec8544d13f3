package sqlite

import (
	"context"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// Queued returns the tunnel's queued records, oldest first, with bodies
// (see store.Store).
func (db *DB) Queued(ctx context.Context, tunnel string, limit int) ([]store.Record, error) {
	if db.closed.Load() {
		return nil, errClosed
	}
	recs, err := queryRecords(ctx, db.rs.queued, tunnel, pageSize(limit))
	return recs, wrap("list queued", err)
}

// Missed counts the tunnel's offline, queued and expired records received
// at or after since (see store.Store).
func (db *DB) Missed(ctx context.Context, tunnel string, since time.Time) (int, error) {
	if db.closed.Load() {
		return 0, errClosed
	}
	var n int
	err := db.rs.missed.QueryRowContext(ctx, tunnel, toNanos(since)).Scan(&n)
	return n, wrap("count missed", err)
}

// SeenEvent reports whether eventID was recorded on tunnel below seq before
// (any seq when before <= 0); see store.Store.
func (db *DB) SeenEvent(ctx context.Context, tunnel, eventID string, before int64) (bool, error) {
	if eventID == "" {
		return false, nil
	}
	if db.closed.Load() {
		return false, errClosed
	}
	var seen bool
	var err error
	if before <= 0 {
		err = db.rs.seenEventAny.QueryRowContext(ctx, tunnel, eventID).Scan(&seen)
	} else {
		err = db.rs.seenEvent.QueryRowContext(ctx, tunnel, eventID, before).Scan(&seen)
	}
	return seen, wrap("look up event", err)
}
