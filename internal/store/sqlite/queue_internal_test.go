package sqlite

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
)

// TestQueuedBudget: a queue of large bodies is handed out a few records at a time, never
// none, whichever place holds each body.
func TestQueuedBudget(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "q.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sizes := []int{100 << 10, 300 << 10, 300 << 10, 10, 600 << 10}
	for i, n := range sizes {
		data := bytes.Repeat([]byte{byte(i)}, n)
		r := &store.Record{Tunnel: "q", Owner: "o", Outcome: store.OutcomeQueued,
			Body: store.Body{Data: data, Size: int64(n)}}
		if err := db.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		budget int64
		want   int
	}{
		{0, 5},         // no budget
		{1, 1},         // at least one
		{400 << 10, 2}, // 100 KiB + 300 KiB reach it
		{401 << 10, 3}, // the third crosses it
		{10 << 20, 5},  // all fit
	}
	for _, tt := range tests {
		recs, err := db.queued(ctx, "q", 100, tt.budget)
		if err != nil || len(recs) != tt.want {
			t.Fatalf("budget %d: %d records, %v; want %d", tt.budget, len(recs), err, tt.want)
		}
		for i, r := range recs {
			if len(r.Body.Data) != sizes[i] {
				t.Fatalf("budget %d: record %d has %d bytes, want %d", tt.budget, i, len(r.Body.Data), sizes[i])
			}
		}
	}
}
