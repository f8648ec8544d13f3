package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/pgtest"
)

// TestMigrateOnce: opening again applies nothing twice, and a schema written
// by a newer program is refused rather than used.
func TestMigrateOnce(t *testing.T) {
	dsn := pgtest.Schema(t)
	ctx := context.Background()
	openTest(t, dsn, Options{}).Close()
	openTest(t, dsn, Options{}).Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
		t.Fatalf("schema_migrations holds %d rows, %v; want %d", n, err, len(ms))
	}
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')`); err != nil {
		t.Fatal(err)
	}
	if db, err := Open(ctx, dsn, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		if db != nil {
			db.Close()
		}
		t.Fatalf("Open of a newer schema = %v, want an error saying it is newer", err)
	}
}

// TestOptionsReachConnections: Schema and AsyncCommit are the settings of
// every connection.
func TestOptionsReachConnections(t *testing.T) {
	dsn := pgtest.Schema(t)
	schema := dsn[strings.LastIndex(dsn, "=")+1:]
	other := pgtest.Schema(t) // its search_path is overridden by Options.Schema
	db := openTest(t, other, Options{Schema: schema, AsyncCommit: true})
	var path, sync string
	err := db.pool.QueryRow(context.Background(), `SELECT current_schema(), current_setting('synchronous_commit')`).Scan(&path, &sync)
	if err != nil || path != schema || sync != "off" {
		t.Errorf("schema %q, synchronous_commit %q, %v; want %q, off", path, sync, err, schema)
	}
}
