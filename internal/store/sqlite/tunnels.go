package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
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

// ReleaseTunnel deletes owner's claim on name when no client has used it
// since seenBefore, and expires owner's queued records of it; the records
// stay (see store.Store).
func (db *DB) ReleaseTunnel(ctx context.Context, name, owner string, seenBefore time.Time) error {
	if name == "" || owner == "" {
		return fmt.Errorf("release tunnel: %w: tunnel name and owner are required", store.ErrInvalid)
	}
	cutoff := int64(math.MaxInt64)
	if !seenBefore.IsZero() {
		cutoff = toNanos(seenBefore)
	}
	_, err := db.w.write(ctx, func(c *wconn) (int64, error) {
		return 0, releaseTx(c, name, owner, cutoff)
	})
	return wrap("release tunnel "+name, err)
}

func releaseTx(c *wconn, name, owner string, cutoff int64) error {
	seen, ok, err := c.queryInt(sTunnelSeen, args(name, owner))
	switch {
	case err != nil:
		return err
	case !ok:
		return store.ErrNotFound
	case seen >= cutoff:
		return fmt.Errorf("%w: a client used it since", store.ErrConflict)
	}
	if _, err := c.exec(sReleaseTunnel, args(name, owner)); err != nil {
		return err
	}
	_, err = c.exec(sExpireReleased, args(name, owner))
	return err
}

// RecordedSince sums the request body bytes stored by tunnel and owner for
// the records received at or after since (see store.Store).
func (db *DB) RecordedSince(ctx context.Context, since time.Time) ([]store.Usage, error) {
	if db.closed.Load() {
		return nil, errClosed
	}
	rows, err := db.rs.recordedSince.QueryContext(ctx, toNanos(since))
	if err != nil {
		return nil, wrap("sum recorded bytes", err)
	}
	defer rows.Close()
	var out []store.Usage
	for rows.Next() {
		var u store.Usage
		if err := rows.Scan(&u.Tunnel, &u.Owner, &u.Bytes); err != nil {
			return nil, wrap("sum recorded bytes", err)
		}
		out = append(out, u)
	}
	return out, wrap("sum recorded bytes", rows.Err())
}
