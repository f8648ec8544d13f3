// Package sqlitetest opens real SQLite stores for tests: MustOpen puts one
// in a test's temporary directory and closes it when the test ends.
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store/sqlite"
)

// MustOpen opens a SQLite store on a new file in tb.TempDir() with default
// options, failing the test on error, and closes it when the test ends.
func MustOpen(tb testing.TB) *sqlite.DB {
	tb.Helper()
	return MustOpenWith(tb, sqlite.Options{})
}

// MustOpenWith is MustOpen with options.
func MustOpenWith(tb testing.TB, opts sqlite.Options) *sqlite.DB {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "hookrelay.db")
	db, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return db
}
