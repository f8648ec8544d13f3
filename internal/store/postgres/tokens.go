package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/store"
)

const (
	qAddToken = `INSERT INTO tokens (id, digest, team, label, created_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, 0)`
	qRevokeToken = `UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0`
	qTokenExists = `SELECT count(*) FROM tokens WHERE id = $1`
	qBumpTokens  = `UPDATE tokens_version SET n = n + 1 WHERE one = 1`
	qListTokens  = `SELECT id, digest, team, label, created_at, revoked_at FROM tokens ORDER BY created_at, id`
)

// AddToken stores t (see store.TokenStore).
func (db *DB) AddToken(ctx context.Context, t store.Token) error {
	if t.ID == "" || !store.ValidDigest(t.Digest) {
		return fmt.Errorf("add token: %w: want an id and a 64-digit lowercase hex digest", store.ErrInvalid)
	}
	created := toNanos(orTime(t.CreatedAt, time.Now()))
	return db.call(ctx, "add token "+t.ID, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, qAddToken, t.ID, t.Digest, t.Team, t.Label, created); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, qBumpTokens)
			return err
		})
	})
}

// RevokeToken marks the token revoked (see store.TokenStore).
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time) error {
	when := toNanos(orTime(at, time.Now()))
	return db.call(ctx, "revoke token "+id, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, qRevokeToken, when, id)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				_, err = tx.Exec(ctx, qBumpTokens)
				return err
			}
			var n int
			if err := tx.QueryRow(ctx, qTokenExists, id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return store.ErrNotFound
			}
			return nil // revoked already
		})
	})
}

// ListTokens returns every token, oldest first (see store.TokenStore).
func (db *DB) ListTokens(ctx context.Context) ([]store.Token, error) {
	var out []store.Token
	err := db.call(ctx, "list tokens", func(ctx context.Context) error {
		rows, err := db.pool.Query(ctx, qListTokens)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t store.Token
			var created, revoked int64
			if err := rows.Scan(&t.ID, &t.Digest, &t.Team, &t.Label, &created, &revoked); err != nil {
				return err
			}
			t.CreatedAt = fromNanos(created)
			if revoked != 0 {
				t.RevokedAt = fromNanos(revoked)
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// TokensVersion reads the tokens' change counter (see store.TokenStore).
func (db *DB) TokensVersion(ctx context.Context) (int64, error) {
	var n int64
	err := db.call(ctx, "read tokens version", func(ctx context.Context) error {
		return db.pool.QueryRow(ctx, `SELECT n FROM tokens_version WHERE one = 1`).Scan(&n)
	})
	return n, err
}
