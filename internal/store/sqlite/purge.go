package sqlite

import (
	"context"
	"time"
)

// purgeChunk is how many records one purge transaction deletes, so that a
// large purge never holds the write lock long enough to stall recording.
const purgeChunk = 500

// Purge expires old queued records and deletes old and excess records (see
// store.Store). It works in chunks of purgeChunk records, each its own
// transaction, so an error part-way leaves the earlier chunks deleted; the
// count returned is what was deleted before the error.
func (db *DB) Purge(ctx context.Context, olderThan time.Time, maxPerTunnel int, queueExpiredBefore time.Time) (int, error) {
	if err := db.expireQueued(ctx, queueExpiredBefore); err != nil {
		return 0, err
	}
	total := 0
	if !olderThan.IsZero() {
		n, err := db.purgeLoop(ctx, sPurgeOld, toNanos(olderThan), purgeChunk)
		total += n
		if err != nil {
			return total, wrap("purge old records", err)
		}
	}
	if maxPerTunnel <= 0 {
		return total, nil
	}
	n, err := db.purgeExcess(ctx, maxPerTunnel)
	return total + n, err
}

func (db *DB) expireQueued(ctx context.Context, before time.Time) error {
	if before.IsZero() {
		return nil
	}
	cutoff := toNanos(before)
	_, err := db.w.write(ctx, func(c *wconn) (int64, error) {
		_, err := c.exec(sExpireQueued, args(cutoff))
		return 0, err
	})
	return wrap("expire queued records", err)
}

// purgeExcess trims every tunnel and owner holding more than keep records
// to its newest keep.
func (db *DB) purgeExcess(ctx context.Context, keep int) (int, error) {
	crowded, err := db.crowdedTunnels(ctx, keep)
	if err != nil {
		return 0, wrap("purge excess records", err)
	}
	total := 0
	for _, c := range crowded {
		n, err := db.purgeLoop(ctx, sPurgeCap, c.tunnel, c.owner, keep, purgeChunk)
		total += n
		if err != nil {
			return total, wrap("purge excess records of "+c.tunnel, err)
		}
	}
	return total, nil
}

// tunnelOwner is one owner's records of one tunnel name.
type tunnelOwner struct{ tunnel, owner string }

func (db *DB) crowdedTunnels(ctx context.Context, keep int) ([]tunnelOwner, error) {
	if db.closed.Load() {
		return nil, errClosed
	}
	rows, err := db.rs.crowdedTunnels.QueryContext(ctx, keep)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tunnelOwner
	for rows.Next() {
		var c tunnelOwner
		if err := rows.Scan(&c.tunnel, &c.owner); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// purgeLoop runs a chunked DELETE (whose last argument is the chunk size)
// until a chunk deletes fewer rows than the chunk size. Each chunk first
// raises seq_floor to the largest seq, so that the seqs it deletes are
// never handed out again.
func (db *DB) purgeLoop(ctx context.Context, id stmtID, vals ...any) (int, error) {
	total := 0
	chunk := args(vals...)
	for {
		n, err := db.w.write(ctx, func(c *wconn) (int64, error) {
			if _, err := c.exec(sRaiseFloor, nil); err != nil {
				return 0, err
			}
			res, err := c.exec(id, chunk)
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		})
		total += int(n)
		if err != nil || n < purgeChunk {
			return total, err
		}
	}
}
