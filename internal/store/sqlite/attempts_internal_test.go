package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// TestPurgeDeletesAttemptRows: the attempts of purged records leave the table, by age
// and by cap, so that the table never outgrows the records it describes.
func TestPurgeDeletesAttemptRows(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "a.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	for i := range 6 {
		r := &store.Record{Tunnel: "t", Owner: "o", ReceivedAt: now.Add(time.Duration(i) * time.Minute)}
		if err := db.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := db.AddAttempt(ctx, r.ID, store.Attempt{Role: "primary"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, step := range []struct {
		olderThan time.Time
		keep      int
		rows      int
	}{{now.Add(2 * time.Minute), 0, 8}, {time.Time{}, 1, 2}} {
		if _, err := db.Purge(ctx, step.olderThan, step.keep, time.Time{}); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.rdb.QueryRowContext(ctx, `SELECT count(*) FROM attempts`).Scan(&n); err != nil || n != step.rows {
			t.Errorf("attempt rows after purge (older than %v, keep %d) = %d, %v; want %d",
				step.olderThan, step.keep, n, err, step.rows)
		}
	}
}
