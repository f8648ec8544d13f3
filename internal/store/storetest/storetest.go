// Package storetest helps test code that uses the delivery store: MustOpen
// opens a real SQLite store in a test's temporary directory, and Run is a
// conformance suite any store.Store implementation (SQLite today,
// PostgreSQL later) must pass.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
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

// Opener returns a new, empty store for one test. It should register its
// own cleanup with t.Cleanup.
type Opener func(t *testing.T) store.Store

// Run runs the conformance suite against stores made by open. Each subtest
// gets a fresh store.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Complete", testComplete},
		{"InsertInvalid", testInsertInvalid},
		{"ManyInsertsByteExact", testManyInserts},
		{"OwnerIsolation", testOwnerIsolation},
		{"ListFilters", testListFilters},
		{"ListInvalid", testListInvalid},
		{"ListPagination", testListPagination},
		{"CursorStability", testCursorStability},
		{"Tunnels", testTunnels},
		{"TunnelErrors", testTunnelErrors},
		{"ReleaseTunnel", testReleaseTunnel},
		{"ReleaseTunnelErrors", testReleaseTunnelErrors},
		{"RecordedSince", testRecordedSince},
		{"SeenEvent", testSeenEvent},
		{"Queued", testQueued},
		{"Missed", testMissed},
		{"Interrupt", testInterrupt},
		{"Purge", testPurge},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentFailures", testConcurrentFailures},
		{"SeqNeverReused", testSeqNeverReused},
		{"CompleteStaleSeq", testCompleteStaleSeq},
		{"SaveRequestBody", testSaveRequestBody},
		{"BodiesEveryReader", testBodiesEveryReader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}
