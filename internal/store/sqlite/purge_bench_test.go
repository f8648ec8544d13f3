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

// Purge benchmark table: 200,000 records of 50 tunnels, each tunnel one
// owner's, 4,000 records each, 64-byte bodies in the row.
const (
	purgeRecords = 200_000
	purgeTunnels = 50
	purgeCap     = purgeRecords / purgeTunnels
)

// BenchmarkPurgeCap is the relay's retention cap on a full store: "idle"
// finds no tunnel over the cap (the crowded-tunnel scan alone, what every
// purge pays), "trim" deletes the oldest record of each tunnel after one
// new record per tunnel arrived (steady traffic at the cap).
func BenchmarkPurgeCap(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "hookrelay.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	fillPurge(b, db)
	b.Run("idle", func(b *testing.B) {
		for range b.N {
			if n, err := db.Purge(ctx, time.Time{}, purgeCap, time.Time{}); err != nil || n != 0 {
				b.Fatalf("Purge = %d, %v; want 0", n, err)
			}
		}
	})
	b.Run("trim", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			for t := range purgeTunnels {
				insertPurgeRecord(b, db, t)
			}
			b.StartTimer()
			if n, err := db.Purge(ctx, time.Time{}, purgeCap, time.Time{}); err != nil || n != purgeTunnels {
				b.Fatalf("Purge = %d, %v; want %d", n, err, purgeTunnels)
			}
		}
	})
}

func fillPurge(b *testing.B, db *sqlite.DB) {
	const writers = 8
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < purgeRecords; i += writers {
				insertPurgeRecord(b, db, i%purgeTunnels)
			}
		})
	}
	wg.Wait()
}

func insertPurgeRecord(b *testing.B, db *sqlite.DB, tunnel int) {
	r := benchRecord(make([]byte, 64))
	r.Tunnel, r.Owner = fmt.Sprintf("t%d", tunnel), fmt.Sprintf("o%d", tunnel%10)
	r.ReceivedAt, r.Outcome = time.Now(), store.OutcomeOK
	if err := db.Insert(context.Background(), r); err != nil {
		b.Fatal(err)
	}
}
