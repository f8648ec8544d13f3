package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookrelay/hookrelay/internal/store"
)

const (
	// qAddAttempt inserts an attempt of the record with ID $9, numbered $1 or,
	// when $1 is 0, one above the record's last. It inserts nothing for an
	// unknown record.
	qAddAttempt = `INSERT INTO attempts (seq, n, client_id, label, role, status, duration, error, at)
		SELECT r.seq, CASE WHEN $1 > 0 THEN $1
			ELSE coalesce((SELECT max(a.n) FROM attempts a WHERE a.seq = r.seq), 0) + 1 END,
			$2, $3, $4, $5, $6, $7, $8
		FROM records r WHERE r.id = $9`
	qGetAttempts = `SELECT n, client_id, label, role, status, duration, error, at
		FROM attempts WHERE seq = $1 ORDER BY n`
)

// AddAttempt records delivery attempts of the record id, several in one
// transaction (see store.Store). A zero a.At is stored as the current time.
func (db *DB) AddAttempt(ctx context.Context, id string, as ...store.Attempt) error {
	rows := make([][]any, len(as))
	now := time.Now()
	for i, a := range as {
		if a.N < 0 {
			return fmt.Errorf("add attempt: %w: attempt number %d", store.ErrInvalid, a.N)
		}
		if a.At.IsZero() {
			a.At = now
		}
		rows[i] = []any{a.N, bytea(a.ClientID), bytea(a.Label), a.Role, a.Status,
			int64(a.Duration), bytea(a.Error), toNanos(a.At), id}
	}
	switch len(rows) {
	case 0:
		return nil
	case 1:
		return db.call(ctx, "add attempt to record "+id, func(ctx context.Context) error {
			return addAttempt(ctx, db.pool, rows[0])
		})
	}
	return db.call(ctx, "add attempts to record "+id, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			for _, row := range rows {
				if err := addAttempt(ctx, tx, row); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func addAttempt(ctx context.Context, e execer, row []any) error {
	tag, err := e.Exec(ctx, qAddAttempt, row...)
	if err == nil && tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return err
}

// readAttempts reads the attempts of the record seq, oldest first; nil when
// it has none.
func (db *DB) readAttempts(ctx context.Context, seq int64) ([]store.Attempt, error) {
	rows, err := db.pool.Query(ctx, qGetAttempts, seq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Attempt
	for rows.Next() {
		var a store.Attempt
		var client, label, text []byte
		var dur, at int64
		if err := rows.Scan(&a.N, &client, &label, &a.Role, &a.Status, &dur, &text, &at); err != nil {
			return nil, err
		}
		a.ClientID, a.Label, a.Error = string(client), string(label), string(text)
		a.Duration, a.At = time.Duration(dur), fromNanos(at)
		out = append(out, a)
	}
	return out, rows.Err()
}
