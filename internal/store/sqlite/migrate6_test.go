package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// TestMigrateBodyLen: migration 6 fills in body_len for the records of the last two
// days, wherever their bodies are stored, so that RecordedSince after an upgrade counts
// what was recorded today before it.
func TestMigrateBodyLen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v5.db")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, r := range []struct {
		tunnel string
		at     time.Time
		n      int
	}{{"a", now, 10}, {"a", now, 100 << 10}, {"a", now, 1 << 20}, {"b", now, 0}, {"old", now.Add(-72 * time.Hour), 500}} {
		body := bytes.Repeat([]byte{'x'}, r.n)
		rec := &store.Record{Tunnel: r.tunnel, Owner: "o", ReceivedAt: r.at, Body: store.Body{Data: body, Size: int64(r.n)}}
		if err := db.Insert(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	downgradeToV5(t, path)

	if db, err = Open(ctx, path, Options{}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.RecordedSince(ctx, now.Add(-96*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(x, y store.Usage) int { return strings.Compare(x.Tunnel, y.Tunnel) })
	want := []store.Usage{{Tunnel: "a", Owner: "o", Bytes: 10 + 100<<10 + 1<<20}, {Tunnel: "b", Owner: "o"},
		{Tunnel: "old", Owner: "o"}} // older than two days: left at 0
	if !slices.Equal(got, want) {
		t.Errorf("RecordedSince after the migration = %+v, want %+v", got, want)
	}
}

// downgradeToV5 takes the database at path back to the schema of version 5, undoing
// the later migrations first.
func downgradeToV5(t *testing.T, path string) {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{
		`DROP TABLE tokens`,
		`DROP TABLE tokens_version`,
		`DELETE FROM schema_migrations WHERE version = 7`,
		`DROP INDEX records_received`,
		`ALTER TABLE records DROP COLUMN body_len`,
		`CREATE INDEX records_received ON records (received_at)`,
		`DELETE FROM schema_migrations WHERE version = 6`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
