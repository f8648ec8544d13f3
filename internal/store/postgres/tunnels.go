package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/store"
)

const tunnelColumns = `name, owner, offline, queue_status, created_at, last_seen`

// ClaimTunnel creates t or updates it for its owner; ErrConflict when
// another owner holds the name (see store.Store). The update applies only
// for the same owner, so no row changed means another owner holds it.
func (db *DB) ClaimTunnel(ctx context.Context, t store.Tunnel) error {
	if err := validTunnel(&t); err != nil {
		return fmt.Errorf("claim tunnel: %w", err)
	}
	now := time.Now()
	return db.call(ctx, "claim tunnel "+t.Name, func(ctx context.Context) error {
		tag, err := db.pool.Exec(ctx, `INSERT INTO tunnels (`+tunnelColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (name) DO UPDATE SET offline = EXCLUDED.offline,
				queue_status = EXCLUDED.queue_status, last_seen = EXCLUDED.last_seen
			WHERE tunnels.owner = EXCLUDED.owner`,
			t.Name, t.Owner, t.Offline, t.QueueStatus, toNanos(orTime(t.CreatedAt, now)),
			toNanos(orTime(t.LastSeen, now)))
		if err == nil && tag.RowsAffected() == 0 {
			err = store.ErrConflict
		}
		return err
	})
}

func validTunnel(t *store.Tunnel) error {
	if t.Name == "" || t.Owner == "" {
		return fmt.Errorf("%w: tunnel name and owner are required", store.ErrInvalid)
	}
	switch t.Offline {
	case "":
		t.Offline = store.OfflineReject
	case store.OfflineReject, store.OfflineQueue:
	default:
		return fmt.Errorf("%w: offline mode %q not reject or queue", store.ErrInvalid, t.Offline)
	}
	return nil
}

func orTime(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

// GetTunnel returns the named tunnel (see store.Store).
func (db *DB) GetTunnel(ctx context.Context, name string) (*store.Tunnel, error) {
	var t *store.Tunnel
	err := db.call(ctx, "get tunnel", func(ctx context.Context) error {
		var err error
		t, err = scanTunnel(db.pool.QueryRow(ctx, `SELECT `+tunnelColumns+` FROM tunnels WHERE name = $1`, name))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("tunnel %s: %w", name, store.ErrNotFound)
		}
		return err
	})
	return t, err
}

// ListTunnels returns owner's tunnels by name, or all tunnels when owner is
// empty (see store.Store).
func (db *DB) ListTunnels(ctx context.Context, owner string) ([]store.Tunnel, error) {
	var out []store.Tunnel
	err := db.call(ctx, "list tunnels", func(ctx context.Context) error {
		q, args := `SELECT `+tunnelColumns+` FROM tunnels ORDER BY name`, []any(nil)
		if owner != "" { // its own text, so that its plan reads the owner index
			q, args = `SELECT `+tunnelColumns+` FROM tunnels WHERE owner = $1 ORDER BY name`, []any{owner}
		}
		rows, err := db.pool.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanTunnel(rows)
			if err != nil {
				return err
			}
			out = append(out, *t)
		}
		return rows.Err()
	})
	return out, err
}

func scanTunnel(row pgx.Row) (*store.Tunnel, error) {
	var t store.Tunnel
	var created, seen int64
	if err := row.Scan(&t.Name, &t.Owner, &t.Offline, &t.QueueStatus, &created, &seen); err != nil {
		return nil, err
	}
	t.CreatedAt, t.LastSeen = fromNanos(created), fromNanos(seen)
	return &t, nil
}

// TouchTunnel sets the tunnel's LastSeen (see store.Store).
func (db *DB) TouchTunnel(ctx context.Context, name string, seen time.Time) error {
	return db.call(ctx, "touch tunnel "+name, func(ctx context.Context) error {
		tag, err := db.pool.Exec(ctx, `UPDATE tunnels SET last_seen = $2 WHERE name = $1`, name, toNanos(seen))
		if err == nil && tag.RowsAffected() == 0 {
			err = store.ErrNotFound
		}
		return err
	})
}
