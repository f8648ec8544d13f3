package postgres

import (
	"context"
	"time"
)

// purgeChunk is how many records one purge statement deletes, so that a
// large purge never holds its locks for long nor builds one huge
// transaction.
const purgeChunk = 500

const (
	// qExpire moves the queued records received before $1 out of the queue
	// and gives them the outcome expired.
	qExpire = `WITH ex AS (DELETE FROM queue WHERE received_at < $1 RETURNING seq)
		INSERT INTO responses (seq, status, outcome, verified, response, resp_body)
		SELECT r.seq, r.status, 'expired', r.verified, r.response, r.resp_body
		FROM record_state r JOIN ex ON ex.seq = r.seq
		ON CONFLICT (seq) DO UPDATE SET outcome = 'expired'`
	qPurgeOld = `DELETE FROM records WHERE seq IN (
		SELECT seq FROM records WHERE received_at < $1 ORDER BY received_at LIMIT $2)`
	// qPurgeCap trims one tunnel and owner to its newest $3 records.
	qPurgeCap = `DELETE FROM records WHERE seq IN (
		SELECT seq FROM records WHERE tunnel = $1 AND owner = $2 AND seq <= (
			SELECT seq FROM records WHERE tunnel = $1 AND owner = $2 ORDER BY seq DESC OFFSET $3 LIMIT 1)
		ORDER BY seq LIMIT $4)`
	qCrowded = `SELECT tunnel, owner FROM records GROUP BY tunnel, owner HAVING count(*) > $1`
)

// Purge expires old queued records and deletes old and excess records (see
// store.Store), in chunks of purgeChunk records, each its own transaction:
// an error part-way leaves the earlier chunks deleted, and the count
// returned is what was deleted before it. Deleting a record deletes its
// response and queue rows with it. The sequence never rewinds, so a purged
// seq is never handed out again.
func (db *DB) Purge(ctx context.Context, olderThan time.Time, maxPerTunnel int, queueExpiredBefore time.Time) (int, error) {
	if !queueExpiredBefore.IsZero() {
		if err := db.exec(ctx, "expire queued records", qExpire, toNanos(queueExpiredBefore)); err != nil {
			return 0, err
		}
	}
	total := 0
	if !olderThan.IsZero() {
		n, err := db.purgeLoop(ctx, "purge old records", qPurgeOld, toNanos(olderThan), purgeChunk)
		total += n
		if err != nil {
			return total, err
		}
	}
	if maxPerTunnel <= 0 {
		return total, nil
	}
	n, err := db.purgeExcess(ctx, maxPerTunnel)
	return total + n, err
}

// purgeExcess trims every tunnel and owner holding more than keep records
// to its newest keep.
func (db *DB) purgeExcess(ctx context.Context, keep int) (int, error) {
	var crowded [][2]string // tunnel, owner
	err := db.call(ctx, "purge excess records", func(ctx context.Context) error {
		rows, err := db.pool.Query(ctx, qCrowded, keep)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c [2]string
			if err := rows.Scan(&c[0], &c[1]); err != nil {
				return err
			}
			crowded = append(crowded, c)
		}
		return rows.Err()
	})
	total := 0
	for _, c := range crowded {
		n, err := db.purgeLoop(ctx, "purge excess records of "+c[0], qPurgeCap, c[0], c[1], keep, purgeChunk)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, err
}

// purgeLoop runs a chunked DELETE (whose last argument is the chunk size)
// until a chunk deletes fewer rows than that.
func (db *DB) purgeLoop(ctx context.Context, op, q string, args ...any) (int, error) {
	total := 0
	for {
		var n int64
		err := db.call(ctx, op, func(ctx context.Context) error {
			tag, err := db.pool.Exec(ctx, q, args...)
			n = tag.RowsAffected()
			return err
		})
		total += int(n)
		if err != nil || n < purgeChunk {
			return total, err
		}
	}
}

// exec runs one statement that returns nothing the caller needs.
func (db *DB) exec(ctx context.Context, op, q string, args ...any) error {
	return db.call(ctx, op, func(ctx context.Context) error {
		_, err := db.pool.Exec(ctx, q, args...)
		return err
	})
}
