package postgres

import (
	"bytes"
	"context"
	"testing"

	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store"
)

// TestQueuedBudget: Queued stops once the bodies before a record reach the
// budget, and always returns at least one record while any is queued.
func TestQueuedBudget(t *testing.T) {
	db := openTest(t, pgtest.Schema(t), Options{})
	ctx := context.Background()
	for range 3 {
		body := bytes.Repeat([]byte("b"), 10)
		r := &store.Record{Tunnel: "q", Owner: "a", Outcome: store.OutcomeQueued,
			Body: store.Body{Data: body, Size: 10}}
		if err := db.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		budget int64
		limit  int
		want   int
	}{{1, 0, 1}, {10, 0, 1}, {11, 0, 2}, {15, 0, 2}, {21, 0, 3}, {1 << 20, 2, 2}, {1 << 20, 0, 3}} {
		got, err := db.queued(ctx, "q", tt.limit, tt.budget)
		if err != nil || len(got) != tt.want {
			t.Errorf("queued(limit %d, budget %d) = %d records, %v; want %d", tt.limit, tt.budget, len(got), err, tt.want)
		}
	}
}
