package sqlite_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
)

// BenchmarkDeliveryWrites measures the store writes of one relayed delivery, as the
// relay does them today and as proposed, serially (c=1) and from 16 goroutines (c=16,
// where group commit shares transactions):
//
//   - "insert+complete": Insert before forwarding, Complete after the answer (today);
//   - "insert-once": one Insert of the finished record (the proposal of writing a
//     delivery once, or of queueing Complete into the next Insert's transaction);
//   - "no-secondary-indexes": today's two writes with the six secondary indexes of
//     records dropped: the upper bound of what trimming indexes can save.
func BenchmarkDeliveryWrites(b *testing.B) {
	cases := []struct {
		name      string
		once      bool
		noIndexes bool
	}{
		{"insert+complete", false, false},
		{"insert-once", true, false},
		{"no-secondary-indexes", false, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.Run("c=1", func(b *testing.B) {
				db := openBenchDB(b, tc.noIndexes)
				writeDeliveries(b, db, tc.once, 1)
			})
			b.Run("c=16", func(b *testing.B) {
				db := openBenchDB(b, tc.noIndexes)
				writeDeliveries(b, db, tc.once, 16)
			})
		})
	}
}

// secondaryIndexes are the indexes on records besides its primary key and the
// UNIQUE id.
var secondaryIndexes = []string{"records_owner_seq", "records_tunnel_seq", "records_tunnel_outcome_seq",
	"records_tunnel_event", "records_received", "records_queued"}

// openBenchDB opens a store in a temporary directory, optionally dropping the
// secondary indexes through a second connection (the store re-prepares its
// statements when the schema changes).
func openBenchDB(b *testing.B, noIndexes bool) *sqlite.DB {
	path := filepath.Join(b.TempDir(), "bench.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if !noIndexes {
		return db
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	for _, ix := range secondaryIndexes {
		if _, err := raw.Exec("DROP INDEX " + ix); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// writeDeliveries records b.N deliveries with a 1 KiB body from conns goroutines.
func writeDeliveries(b *testing.B, db *sqlite.DB, once bool, conns int) {
	ctx := context.Background()
	body := make([]byte, 1024)
	rand.Read(body)
	b.ReportAllocs()
	write := func() error {
		r := benchRecord(body)
		if once {
			r.Status, r.Outcome = 200, store.OutcomeOK
			r.RespHeaders = []store.Header{{Name: "Content-Type", Value: "text/plain"}}
			r.RespBody = store.Body{Data: []byte("ok"), Size: 2}
			return db.Insert(ctx, r)
		}
		if err := db.Insert(ctx, r); err != nil {
			return err
		}
		return completeBench(ctx, db, r)
	}
	if conns == 1 {
		for b.Loop() {
			if err := write(); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	b.SetParallelism(max(conns/runtime.GOMAXPROCS(0), 1))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := write(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
