package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

const (
	// qAddAttempt inserts an attempt of the record with ID ?9, numbered ?1 or,
	// when ?1 is 0, one above the record's last. It inserts nothing for an
	// unknown record.
	qAddAttempt = `INSERT INTO attempts (seq, n, client_id, label, role, status, duration, error, at)
			SELECT r.seq, CASE WHEN ?1 > 0 THEN ?1
				ELSE ifnull((SELECT max(a.n) FROM attempts a WHERE a.seq = r.seq), 0) + 1 END,
				?2, ?3, ?4, ?5, ?6, ?7, ?8
			FROM records r WHERE r.id = ?9`
	qGetAttempts = `SELECT n, client_id, label, role, status, duration, error, at
			FROM attempts WHERE seq = ? ORDER BY n`
)

// AddAttempt records delivery attempts of the record id in one write (see
// store.Store). A zero a.At is stored as the current time.
func (db *DB) AddAttempt(ctx context.Context, id string, as ...store.Attempt) error {
	rows := make([][]driver.NamedValue, len(as))
	now := time.Now()
	for i, a := range as {
		if a.N < 0 {
			return fmt.Errorf("add attempt: %w: attempt number %d", store.ErrInvalid, a.N)
		}
		if a.At.IsZero() {
			a.At = now
		}
		rows[i] = args(a.N, a.ClientID, a.Label, a.Role, a.Status, int64(a.Duration), a.Error, toNanos(a.At), id)
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := db.w.write(ctx, func(c *wconn) (int64, error) {
		for _, row := range rows {
			res, err := c.exec(sAddAttempt, row)
			if err != nil {
				return 0, err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return 0, orNotFound(err)
			}
		}
		return 0, nil
	})
	return wrap("add attempt to record "+id, err)
}

func orNotFound(err error) error {
	if err != nil {
		return err
	}
	return store.ErrNotFound
}

// readAttempts reads the attempts of the record seq, oldest first; nil when
// it has none.
func (db *DB) readAttempts(ctx context.Context, seq int64) ([]store.Attempt, error) {
	rows, err := db.rs.attempts.QueryContext(ctx, seq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Attempt
	for rows.Next() {
		var a store.Attempt
		var dur, at int64
		if err := rows.Scan(&a.N, &a.ClientID, &a.Label, &a.Role, &a.Status, &dur, &a.Error, &at); err != nil {
			return nil, err
		}
		a.Duration, a.At = time.Duration(dur), fromNanos(at)
		out = append(out, a)
	}
	return out, rows.Err()
}
