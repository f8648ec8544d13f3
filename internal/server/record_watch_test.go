package server

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// TestStoreWatchLogsChangesOnly feeds write results to a watch: only changes of health are
// reported, other errors do not count, and a summary comes once summaryEvery has passed.
func TestStoreWatchLogsChangesOnly(t *testing.T) {
	full := fmt.Errorf("insert record: %w: disk full", store.ErrUnavailable)
	notFound := fmt.Errorf("complete: %w", store.ErrNotFound)
	tests := []struct {
		name    string
		results []error
		changes []bool // failing, per reported change
		failing bool
		errors  int // writes counted as store errors
	}{
		{"healthy", []error{nil, nil, nil}, nil, false, 0},
		{"fails once per change", []error{nil, full, full, full}, []bool{true}, true, 3},
		{"recovers", []error{full, full, nil, nil}, []bool{true, false}, false, 2},
		{"flaps: told once per interval", []error{full, nil, full, nil, full}, []bool{true, false}, true, 3},
		{"not found is not health", []error{notFound, notFound}, nil, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var changes []bool
			counted := 0
			w := &storeWatch{now: time.Now, stats: func(string) { counted++ }, onChange: func() {},
				notify: func(failing bool, _ int, _ time.Time, _ error) { changes = append(changes, failing) }}
			for _, err := range tt.results {
				if got := w.observe("insert", err); !errors.Is(got, err) {
					t.Fatalf("observe returned %v, want %v", got, err)
				}
			}
			if fmt.Sprint(changes) != fmt.Sprint(tt.changes) || w.isFailing() != tt.failing || counted != tt.errors {
				t.Fatalf("changes %v failing %v counted %d; want %v %v %d", changes, w.isFailing(), counted,
					tt.changes, tt.failing, tt.errors)
			}
			if (w.err() != nil) != tt.failing {
				t.Fatalf("err() = %v with failing %v", w.err(), tt.failing)
			}
		})
	}
}

func TestStoreWatchSummary(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := &storeWatch{now: func() time.Time { return now }, stats: func(string) {}, onChange: func() {},
		notify: func(bool, int, time.Time, error) {}}
	for range 5 {
		w.observe("insert", store.ErrUnavailable)
	}
	if _, _, _, ok := w.due(); ok {
		t.Fatal("summary due at once")
	}
	now = now.Add(summaryEvery)
	if n, _, _, ok := w.due(); !ok || n != 5 {
		t.Fatalf("summary after %v: %d, %v; want 5 failures", summaryEvery, n, ok)
	}
	if _, _, _, ok := w.due(); ok {
		t.Fatal("second summary without the interval passing")
	}
}
