package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
)

// BenchmarkRecordedSince is the relay's start-up cost of rebuilding its record quotas:
// one RecordedSince over 200,000 records of today (1 KiB bodies in the row, one in 100
// of 100 KiB in request_bodies), 50 tunnels of 10 owners, on a freshly opened store.
func BenchmarkRecordedSince(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "hookrelay.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	fillUsage(b, db, 200_000)
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	if db, err = sqlite.Open(ctx, path, sqlite.Options{}); err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	since := time.Now().Add(-time.Hour)
	b.ResetTimer()
	for range b.N {
		use, err := db.RecordedSince(ctx, since)
		if err != nil || len(use) != 50 {
			b.Fatalf("RecordedSince: %d usages, %v", len(use), err)
		}
	}
}

func fillUsage(b *testing.B, db *sqlite.DB, n int) {
	small, large := make([]byte, 1<<10), make([]byte, 100<<10)
	const writers = 16
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += writers {
				r := benchRecord(small)
				if i%100 == 0 {
					r = benchRecord(large)
				}
				r.Tunnel, r.Owner = fmt.Sprintf("t%d", i%50), fmt.Sprintf("o%d", i%10)
				r.ReceivedAt, r.Outcome = time.Now(), store.OutcomeOK
				if err := db.Insert(context.Background(), r); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
