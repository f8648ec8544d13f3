package sqlite_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
)

// BenchmarkDeliveryWrites measures the store writes of one relayed delivery (a 1 KiB
// request body, a 2-byte answer), serially (c=1) and from 16 senders (c=16, where group
// commit shares transactions):
//
//   - "insert+complete": Insert before forwarding, then Complete, each waited for in
//     turn: the two writes of a delivery back to back;
//   - "insert+background-complete": the relay's shape: the sender waits for Insert only,
//     and Complete runs on a goroutine of its own, as the server saves response halves;
//     the clock stops once every Complete has committed;
//   - "insert-once": one Insert of the finished record (an offline or queued delivery,
//     a replay);
//   - "no-secondary-indexes": insert+complete with the secondary indexes of records
//     dropped: what the remaining indexes cost.
func BenchmarkDeliveryWrites(b *testing.B) {
	cases := []struct {
		name      string
		shape     deliveryShape
		noIndexes bool
	}{
		{"insert+complete", insertThenComplete, false},
		{"insert+background-complete", insertBackgroundComplete, false},
		{"insert-once", insertOnce, false},
		{"insert+background-complete-then-attempt", insertBackgroundCompleteAttempt(false), false},
		{"insert+background-complete-and-attempt", insertBackgroundCompleteAttempt(true), false},
		{"no-secondary-indexes", insertThenComplete, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for _, conns := range []int{1, 16} {
				b.Run("c="+strconv.Itoa(conns), func(b *testing.B) {
					db := openBenchDB(b, tc.noIndexes)
					writeDeliveries(b, db, tc.shape, conns)
				})
			}
		})
	}
}

// secondaryIndexes are the indexes on records besides its primary key and the
// UNIQUE id.
var secondaryIndexes = []string{"records_owner_seq", "records_tunnel_owner_seq", "records_tunnel_outcome",
	"records_tunnel_event", "records_received", "records_queued", "records_replay_of"}

// openBenchDB opens a store in a temporary directory, optionally dropping the
// secondary indexes through a second connection (the store's prepared statements
// are prepared again when the schema changes).
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

// deliveryShape records one delivery. Writes it leaves running in the
// background are added to pending, and report their errors through fail.
type deliveryShape func(ctx context.Context, db *sqlite.DB, body []byte, pending *sync.WaitGroup, fail func(error)) error

func insertThenComplete(ctx context.Context, db *sqlite.DB, body []byte, _ *sync.WaitGroup, _ func(error)) error {
	r := benchRecord(body)
	if err := db.Insert(ctx, r); err != nil {
		return err
	}
	return completeBench(ctx, db, r)
}

func insertBackgroundComplete(ctx context.Context, db *sqlite.DB, body []byte, pending *sync.WaitGroup, fail func(error)) error {
	r := benchRecord(body)
	if err := db.Insert(ctx, r); err != nil {
		return err
	}
	pending.Go(func() {
		if err := completeBench(ctx, db, r); err != nil {
			fail(err)
		}
	})
	return nil
}

// insertBackgroundCompleteAttempt is insertBackgroundComplete that also records the
// delivery's attempt at its client: after the completion, or alongside it (both
// writes in flight at once, so that the writer can commit them together).
func insertBackgroundCompleteAttempt(alongside bool) deliveryShape {
	return func(ctx context.Context, db *sqlite.DB, body []byte, pending *sync.WaitGroup, fail func(error)) error {
		r := benchRecord(body)
		if err := db.Insert(ctx, r); err != nil {
			return err
		}
		attempt := func() {
			if err := db.AddAttempt(ctx, r.ID, store.Attempt{Label: "ana", Role: "primary", Status: 200}); err != nil {
				fail(err)
			}
		}
		pending.Go(func() {
			if alongside {
				pending.Go(attempt)
			}
			if err := completeBench(ctx, db, r); err != nil {
				fail(err)
			}
			if !alongside {
				attempt()
			}
		})
		return nil
	}
}

func insertOnce(ctx context.Context, db *sqlite.DB, body []byte, _ *sync.WaitGroup, _ func(error)) error {
	r := benchRecord(body)
	answerBench(r)
	return db.Insert(ctx, r)
}

// writeDeliveries records b.N deliveries with a 1 KiB body from conns goroutines.
func writeDeliveries(b *testing.B, db *sqlite.DB, shape deliveryShape, conns int) {
	ctx := context.Background()
	body := make([]byte, 1024)
	rand.Read(body)
	var pending sync.WaitGroup
	var once sync.Once
	fail := func(err error) { once.Do(func() { b.Error(err) }) }
	b.ReportAllocs()
	if conns == 1 {
		b.ResetTimer()
		for range b.N {
			if err := shape(ctx, db, body, &pending, fail); err != nil {
				b.Fatal(err)
			}
		}
		pending.Wait() // before the clock stops, unlike after b.Loop
		return
	}
	b.SetParallelism(max(conns/runtime.GOMAXPROCS(0), 1))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := shape(ctx, db, body, &pending, fail); err != nil {
				fail(err)
				return
			}
		}
	})
	pending.Wait()
}
