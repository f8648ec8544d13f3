package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// ClaimTunnel creates t or updates it for its owner; ErrConflict when another
// owner holds the name (see store.Store).
func (db *DB) ClaimTunnel(ctx context.Context, t store.Tunnel) error {
	if err := validTunnel(&t); err != nil {
		return fmt.Errorf("claim tunnel: %w", err)
	}
	now := time.Now()
	row := args(t.Name, t.Owner, t.Offline, t.QueueStatus,
		toNanos(orTime(t.CreatedAt, now)), toNanos(orTime(t.LastSeen, now)))
	_, err := db.w.write(ctx, func(c *wconn) (int64, error) {
		return 0, claimTx(c, row)
	})
	return wrap("claim tunnel "+t.Name, err)
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

// claimTx upserts the tunnel; the update applies only for the same owner,
// so no row changed means another owner holds it.
func claimTx(c *wconn, row []driver.NamedValue) error {
	res, err := c.exec(sClaimTunnel, row)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = store.ErrConflict
	}
	return err
}

// GetTunnel returns the named tunnel (see store.Store).
func (db *DB) GetTunnel(ctx context.Context, name string) (*store.Tunnel, error) {
	if db.closed.Load() {
		return nil, errClosed
	}
	t, err := scanTunnel(db.rs.getTunnel.QueryRowContext(ctx, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get tunnel %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("get tunnel", err)
	}
	return t, nil
}

// ListTunnels returns owner's tunnels by name, or all tunnels when owner is
// empty (see store.Store).
func (db *DB) ListTunnels(ctx context.Context, owner string) ([]store.Tunnel, error) {
	if db.closed.Load() {
		return nil, errClosed
	}
	var rows *sql.Rows
	var err error
	if owner == "" {
		rows, err = db.rs.listAllTunnels.QueryContext(ctx)
	} else {
		rows, err = db.rs.listTunnels.QueryContext(ctx, owner)
	}
	if err != nil {
		return nil, wrap("list tunnels", err)
	}
	defer rows.Close()
	var ts []store.Tunnel
	for rows.Next() {
		t, err := scanTunnel(rows)
		if err != nil {
			return nil, wrap("list tunnels", err)
		}
		ts = append(ts, *t)
	}
	return ts, wrap("list tunnels", rows.Err())
}

// TouchTunnel sets the tunnel's LastSeen (the current time when seen is
// zero); see store.Store.
func (db *DB) TouchTunnel(ctx context.Context, name string, seen time.Time) error {
	at := toNanos(orNow(seen))
	_, err := db.w.write(ctx, func(c *wconn) (int64, error) {
		return 0, touchTx(c, at, name)
	})
	return wrap("touch tunnel "+name, err)
}

func touchTx(c *wconn, at int64, name string) error {
	res, err := c.exec(sTouchTunnel, args(at, name))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return err
}

func scanTunnel(s scanner) (*store.Tunnel, error) {
	var t store.Tunnel
	var created, seen int64
	if err := s.Scan(&t.Name, &t.Owner, &t.Offline, &t.QueueStatus, &created, &seen); err != nil {
		return nil, err
	}
	t.CreatedAt, t.LastSeen = fromNanos(created), fromNanos(seen)
	return &t, nil
}

// orTime returns t, or def when t is zero.
func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}
