package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/store"
)

const (
	// qRelease deletes the claim when owner holds it and, with a cutoff,
	// when it was last seen before it.
	qRelease = `DELETE FROM tunnels WHERE name = $1 AND owner = $2 AND ($3::bigint = 0 OR last_seen < $3)`
	// qExpireOwners takes owner's queued records of the tunnel out of the
	// queue with the outcome expired, so that a later owner of the name is
	// never delivered them.
	qExpireOwners = `WITH ex AS (DELETE FROM queue q USING records x
			WHERE x.seq = q.seq AND q.tunnel = $1 AND x.owner = $2 RETURNING q.seq)
		INSERT INTO responses (seq, status, outcome, verified, response, resp_body)
		SELECT r.seq, r.status, 'expired', r.verified, r.response, r.resp_body
		FROM record_state r JOIN ex ON ex.seq = r.seq
		ON CONFLICT (seq) DO UPDATE SET outcome = 'expired'`
)

// ReleaseTunnel ends owner's claim on name and expires owner's queued
// records of it, in one transaction (see store.Store).
func (db *DB) ReleaseTunnel(ctx context.Context, name, owner string, seenBefore time.Time) error {
	if name == "" || owner == "" {
		return fmt.Errorf("release tunnel: %w: tunnel name and owner are required", store.ErrInvalid)
	}
	var cutoff int64
	if !seenBefore.IsZero() {
		cutoff = toNanos(seenBefore)
	}
	return db.call(ctx, "release tunnel "+name, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, qRelease, name, owner, cutoff)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return whyNotReleased(ctx, tx, name, owner)
			}
			_, err = tx.Exec(ctx, qExpireOwners, name, owner)
			return err
		})
	})
}

// whyNotReleased tells an unclaimed or foreign name (ErrNotFound) from one
// owner used too recently (ErrConflict).
func whyNotReleased(ctx context.Context, tx pgx.Tx, name, owner string) error {
	var holder string
	err := tx.QueryRow(ctx, `SELECT owner FROM tunnels WHERE name = $1`, name).Scan(&holder)
	switch {
	case errors.Is(err, pgx.ErrNoRows) || err == nil && holder != owner:
		return store.ErrNotFound
	case err != nil:
		return err
	}
	return fmt.Errorf("%w: tunnel %s was seen at or after the cutoff", store.ErrConflict, name)
}

// RecordedSince sums the stored request body bytes by tunnel and owner of
// the records received at or after since (see store.Store): an index-only
// scan of records_received, which carries each record's body_len.
func (db *DB) RecordedSince(ctx context.Context, since time.Time) ([]store.Usage, error) {
	var out []store.Usage
	err := db.call(ctx, "sum recorded bytes", func(ctx context.Context) error {
		rows, err := db.pool.Query(ctx, `SELECT tunnel, owner, sum(body_len)::bigint
			FROM records WHERE received_at >= $1 GROUP BY tunnel, owner`, toNanos(since))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Usage, error) {
			var u store.Usage
			err := row.Scan(&u.Tunnel, &u.Owner, &u.Bytes)
			return u, err
		})
		return err
	})
	return out, err
}
