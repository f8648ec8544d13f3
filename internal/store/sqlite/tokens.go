package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// Token statements. Tokens change rarely and by hand, so their writes run as
// direct operations of the writer, each its own transaction.
const (
	qAddToken = `INSERT INTO tokens (id, digest, team, label, created_at, revoked_at)
			VALUES (?, ?, ?, ?, ?, 0)`
	qRevokeToken = `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0`
	qTokenExists = `SELECT count(*) FROM tokens WHERE id = ?`
	qBumpTokens  = `UPDATE tokens_version SET n = n + 1 WHERE one = 1`
	qTokensVer   = `SELECT n FROM tokens_version WHERE one = 1`
	qListTokens  = `SELECT id, digest, team, label, created_at, revoked_at FROM tokens ORDER BY created_at, id`
)

// AddToken stores t (see store.TokenStore).
func (db *DB) AddToken(ctx context.Context, t store.Token) error {
	if t.ID == "" || !store.ValidDigest(t.Digest) {
		return fmt.Errorf("add token: %w: want an id and a 64-digit lowercase hex digest", store.ErrInvalid)
	}
	created := toNanos(orNow(t.CreatedAt))
	err := db.w.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		return inTx(ctx, conn, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, qAddToken, t.ID, t.Digest, t.Team, t.Label, created); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, qBumpTokens)
			return err
		})
	})
	return wrap("add token "+t.ID, err)
}

// RevokeToken marks the token revoked (see store.TokenStore).
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time) error {
	when := toNanos(orNow(at))
	err := db.w.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		return inTx(ctx, conn, func(tx *sql.Tx) error { return revokeTx(ctx, tx, id, when) })
	})
	return wrap("revoke token "+id, err)
}

func revokeTx(ctx context.Context, tx *sql.Tx, id string, when int64) error {
	res, err := tx.ExecContext(ctx, qRevokeToken, when, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		if err == nil {
			_, err = tx.ExecContext(ctx, qBumpTokens)
		}
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, qTokenExists, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil // revoked already
}

// inTx runs fn in a transaction on conn, committing when it returns nil.
func inTx(ctx context.Context, conn *sql.Conn, fn func(*sql.Tx) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error being returned says more
		return err
	}
	return tx.Commit()
}

// ListTokens returns every token, oldest first (see store.TokenStore).
func (db *DB) ListTokens(ctx context.Context) ([]store.Token, error) {
	if db.closed.Load() {
		return nil, errClosed
	}
	rows, err := db.rs.listTokens.QueryContext(ctx)
	if err != nil {
		return nil, wrap("list tokens", err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		var t store.Token
		var created, revoked int64
		if err := rows.Scan(&t.ID, &t.Digest, &t.Team, &t.Label, &created, &revoked); err != nil {
			return nil, wrap("list tokens", err)
		}
		t.CreatedAt = fromNanos(created)
		if revoked != 0 {
			t.RevokedAt = fromNanos(revoked)
		}
		out = append(out, t)
	}
	return out, wrap("list tokens", rows.Err())
}

// TokensVersion reads the tokens' change counter (see store.TokenStore).
func (db *DB) TokensVersion(ctx context.Context) (int64, error) {
	if db.closed.Load() {
		return 0, errClosed
	}
	var n int64
	err := db.rs.tokensVersion.QueryRowContext(ctx).Scan(&n)
	return n, wrap("read tokens version", err)
}
