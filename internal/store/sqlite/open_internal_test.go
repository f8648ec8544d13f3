package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestConnectionSettings checks the pragmas each pool runs with.
func TestConnectionSettings(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		wantSync int
	}{
		{"default is NORMAL", Options{}, 1},
		{"SyncFull is FULL", Options{SyncFull: true}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			var journal string
			var sync, fk, busy, readOnly int
			err = db.w.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
				row := conn.QueryRowContext(ctx, `SELECT * FROM pragma_journal_mode, pragma_synchronous,
					pragma_foreign_keys, pragma_busy_timeout, pragma_query_only`)
				return row.Scan(&journal, &sync, &fk, &busy, &readOnly)
			})
			if err != nil {
				t.Fatal(err)
			}
			if journal != "wal" || sync != tt.wantSync || fk != 1 || busy != 5000 || readOnly != 0 {
				t.Errorf("writer: journal %s, synchronous %d, foreign_keys %d, busy_timeout %d, query_only %d",
					journal, sync, fk, busy, readOnly)
			}
			if err := db.rdb.QueryRowContext(ctx, `SELECT * FROM pragma_query_only`).Scan(&readOnly); err != nil || readOnly != 1 {
				t.Errorf("readers: query_only %d, %v", readOnly, err)
			}
		})
	}
}
