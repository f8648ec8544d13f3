package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
	"github.com/hookrelay/hookrelay/internal/store/sqlite/sqlitetest"
)

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, path string
		want       error
	}{
		{"empty", "", store.ErrInvalid},
		{"memory", ":memory:", store.ErrInvalid},
		{"uri", "file:" + filepath.Join(dir, "x.db"), store.ErrInvalid},
		{"query", filepath.Join(dir, "x.db?mode=ro"), store.ErrInvalid},
		{"directory", dir, store.ErrUnavailable},
		{"missing parent", filepath.Join(dir, "no", "such", "x.db"), store.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := sqlite.Open(context.Background(), tt.path, sqlite.Options{})
			if err == nil {
				db.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Open(%q) = %v, want %v", tt.path, err, tt.want)
			}
		})
	}
}

// TestReopen checks that data survives a close and that reopening an
// up-to-date database applies no migration.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &store.Record{Tunnel: "t", Owner: "o", Body: store.Body{Data: []byte("kept"), Size: 4}}
	if err := db.Insert(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before := migrations(t, path)
	db, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	got, err := db.Get(ctx, "o", r.ID)
	if err != nil || string(got.Body.Data) != "kept" {
		t.Fatalf("after reopen Get = %+v, %v", got, err)
	}
	if after := migrations(t, path); after != before || before == "" {
		t.Errorf("schema_migrations changed on reopen: %q -> %q", before, after)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// migrations returns the schema_migrations table as text, read through a
// connection of its own.
func migrations(t *testing.T, path string) string {
	t.Helper()
	raw, err := sql.Open("sqlite", path+"?_query_only=1")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out string
	for rows.Next() {
		var v, at int64
		var name string
		if err := rows.Scan(&v, &name, &at); err != nil {
			t.Fatal(err)
		}
		out += time.Unix(0, at).UTC().Format(time.RFC3339Nano) + " " + name + "\n"
	}
	return out
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &store.Record{Tunnel: "t", Owner: "o"}
	if err := db.Insert(ctx, r); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := db.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	calls := map[string]func() error{
		"Insert": func() error { return db.Insert(ctx, &store.Record{Tunnel: "t", Owner: "o"}) },
		"Get":    func() error { _, err := db.Get(ctx, "o", r.ID); return err },
		"List":   func() error { _, err := db.List(ctx, store.Filter{Owner: "o"}); return err },
		"Claim":  func() error { return db.ClaimTunnel(ctx, store.Tunnel{Name: "t", Owner: "o"}) },
		"Purge":  func() error { _, err := db.Purge(ctx, time.Now(), 0, time.Time{}); return err },
		"Check":  func() error { return db.Check(ctx) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s after Close = %v, want ErrUnavailable", name, err)
		}
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	db := sqlitetest.MustOpen(t)
	if err := db.Check(ctx); err != nil {
		t.Fatalf("Check on a new database: %v", err)
	}
	for i := range 50 {
		r := &store.Record{Tunnel: "t", Owner: "o", Body: store.Body{Data: make([]byte, 3000+i)}}
		if err := db.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Purge(ctx, time.Time{}, 10, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("Check after writes and a purge: %v", err)
	}
}

// TestCheckCorrupt damages the file behind a closed store and expects
// Check (or Open) to notice.
func TestCheckCorrupt(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bad.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		r := &store.Record{Tunnel: "t", Owner: "o", Path: string(rune('a' + i%26))}
		if err := db.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil { // checkpoints the WAL into the file
		t.Fatal(err)
	}
	smash(t, path)
	db, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Logf("Open refused the damaged file: %v", err)
		return // refusing to open a damaged file is fine too
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Check(ctx); err == nil {
		t.Fatal("Check passed on a damaged file")
	}
}

// smash overwrites the middle of every page after the first few with
// garbage, leaving the schema page intact.
func smash(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for off := 3 * 4096; off+2048 < len(b); off += 4096 {
		for i := off + 1024; i < off+2048; i++ {
			b[i] = 0xa5
		}
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
