package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// ErrIntegrity reports that Check found the database damaged.
var ErrIntegrity = errors.New("sqlite store: integrity check failed")

// Check runs PRAGMA integrity_check and PRAGMA foreign_key_check and
// returns an error wrapping ErrIntegrity listing the problems found, if any.
// It reads the whole file, so it is slow on large databases.
func (db *DB) Check(ctx context.Context) error {
	if db.closed.Load() {
		return errClosed
	}
	problems, err := pragmaRows(ctx, db.rdb, "PRAGMA integrity_check")
	if err != nil {
		return wrap("integrity check", err)
	}
	if len(problems) == 1 && problems[0] == "ok" {
		problems = nil
	}
	fk, err := pragmaRows(ctx, db.rdb, "PRAGMA foreign_key_check")
	if err != nil {
		return wrap("foreign key check", err)
	}
	problems = append(problems, fk...)
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrIntegrity, strings.Join(problems, "; "))
	}
	return nil
}

// pragmaRows runs a pragma and returns each result row as one string.
func pragmaRows(ctx context.Context, db *sql.DB, pragma string) ([]string, error) {
	rows, err := db.QueryContext(ctx, pragma)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, joinRow(vals))
	}
	return out, rows.Err()
}

func joinRow(vals []sql.NullString) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = v.String
	}
	return strings.Join(parts, " ")
}
