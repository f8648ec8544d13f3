package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite/sqlitetest"
)

// TestPurgeChunks purges more records than one chunk holds, by age and by
// cap, and checks the counts and that bodies went with their records.
func TestPurgeChunks(t *testing.T) {
	ctx := context.Background()
	db := sqlitetest.MustOpen(t)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	insertMany(t, db, "a", base, 1100)
	insertMany(t, db, "b", base.Add(time.Hour), 1200)
	n, err := db.Purge(ctx, base.Add(time.Minute), 0, time.Time{})
	if err != nil || n != 1100 {
		t.Fatalf("Purge by age = %d, %v; want 1100", n, err)
	}
	n, err = db.Purge(ctx, time.Time{}, 100, time.Time{})
	if err != nil || n != 1100 {
		t.Fatalf("Purge by cap = %d, %v; want 1100", n, err)
	}
	p, err := db.List(ctx, store.Filter{Owner: "o", Limit: store.MaxLimit})
	if err != nil || len(p.Records) != 100 || p.Records[0].Tunnel != "b" {
		t.Fatalf("after purge listed %d records, %v", len(p.Records), err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("Check after purge: %v", err)
	}
}

// insertMany records n small deliveries on tunnel from 4 goroutines.
func insertMany(t *testing.T, s store.Store, tunnel string, at time.Time, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				body := []byte(fmt.Sprint(i))
				r := &store.Record{Tunnel: tunnel, Owner: "o", ReceivedAt: at.Add(time.Duration(i) * time.Millisecond),
					Body: store.Body{Data: body, Size: int64(len(body))}}
				if err := s.Insert(context.Background(), r); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestCanceledWriteNotApplied(t *testing.T) {
	db := sqlitetest.MustOpen(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := &store.Record{Tunnel: "t", Owner: "o"}
	if err := db.Insert(ctx, r); !errors.Is(err, context.Canceled) {
		t.Fatalf("Insert with canceled context = %v", err)
	}
	p, err := db.List(context.Background(), store.Filter{Owner: "o"})
	if err != nil || len(p.Records) != 0 {
		t.Fatalf("canceled insert left %d records, %v", len(p.Records), err)
	}
}
