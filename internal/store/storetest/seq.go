package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// testSeqNeverReused purges every record and checks that the next insert
// still gets a seq above all earlier ones, so that cursors stay valid.
func testSeqNeverReused(t *testing.T, s store.Store) {
	var last int64
	for i := range 3 {
		last = mustInsert(t, s, newRecord("sq", "owner-a", time.Duration(i)*time.Second)).Seq
	}
	if n, err := s.Purge(context.Background(), base.Add(time.Hour), 0, time.Time{}); err != nil || n != 3 {
		t.Fatalf("Purge = %d, %v; want 3", n, err)
	}
	if r := mustInsert(t, s, newRecord("sq", "owner-a", 2*time.Hour)); r.Seq <= last {
		t.Errorf("seq after purging everything = %d, want above %d", r.Seq, last)
	}
}

// testCompleteStaleSeq completes a record whose Seq field names another
// record: Complete goes by ID.
func testCompleteStaleSeq(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := mustInsert(t, s, newRecord("ss", "owner-a", 0))
	b := mustInsert(t, s, newRecord("ss", "owner-a", time.Second))
	done := *a
	done.Seq, done.Status, done.Outcome = b.Seq, 204, store.OutcomeOK
	if err := s.Complete(ctx, &done); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if got := mustGet(t, s, "owner-a", a.ID); got.Status != 204 || got.Outcome != store.OutcomeOK {
		t.Errorf("record completed with another's seq: status %d, outcome %s", got.Status, got.Outcome)
	}
	if got := mustGet(t, s, "owner-a", b.ID); got.Status != 0 || got.Outcome != store.OutcomePending {
		t.Errorf("record whose seq was borrowed changed: status %d, outcome %s", got.Status, got.Outcome)
	}
}

// testConcurrentFailures mixes writes that must fail (a taken ID, an
// unknown record) with good ones from many goroutines, so that stores
// which commit writes together meet failures inside shared commits: each
// failure must be reported to its caller alone.
func testConcurrentFailures(t *testing.T, s store.Store) {
	const writers, each = 8, 25
	taken := mustInsert(t, s, newRecord("cf", "owner-a", 0))
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				errs <- mixedWrite(s, taken.ID, w, i)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := len(listAll(t, s, store.Filter{Owner: "owner-a", Tunnel: "cf"})); got != 1+writers*each {
		t.Errorf("listed %d records, want %d", got, 1+writers*each)
	}
}

// mixedWrite inserts and completes one good record, tries to insert one
// with a taken ID and to complete an unknown one, and checks every result.
func mixedWrite(s store.Store, takenID string, w, i int) error {
	ctx := context.Background()
	if err := s.Insert(ctx, newRecord("cf", "owner-a", time.Second, func(r *store.Record) {
		r.ID = takenID
	})); !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("writer %d: Insert with a taken ID = %v, want ErrConflict", w, err)
	}
	good := newRecord("cf", "owner-a", time.Duration(i)*time.Millisecond)
	if err := s.Insert(ctx, good); err != nil {
		return fmt.Errorf("writer %d: Insert: %w", w, err)
	}
	unknown := *good
	unknown.ID, unknown.Seq, unknown.Outcome = store.NewID(base), 0, store.OutcomeOK
	if err := s.Complete(ctx, &unknown); !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("writer %d: Complete of an unknown record = %v, want ErrNotFound", w, err)
	}
	good.Status, good.Outcome = 200, store.OutcomeOK
	if err := s.Complete(ctx, good); err != nil {
		return fmt.Errorf("writer %d: Complete: %w", w, err)
	}
	got, err := s.Get(ctx, "owner-a", good.ID)
	if err != nil || got.Status != 200 {
		return fmt.Errorf("writer %d: Get after Complete = %+v, %v", w, got, err)
	}
	return nil
}
