package sqlite_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
	"github.com/hookrelay/hookrelay/internal/store/sqlite/sqlitetest"
)

// bigRecord needs new pages wherever it goes.
func bigRecord() *store.Record {
	data := make([]byte, 64<<10)
	return &store.Record{Tunnel: "t", Owner: "o", Body: store.Body{Data: data, Size: int64(len(data))}}
}

// TestUnavailable makes writes fail for real (SQLITE_FULL, SQLITE_READONLY),
// checks they report ErrUnavailable and change nothing, then lifts the
// fault and checks writes work again. A full disk fails only writes that
// need new pages, so that case tries big inserts alone.
func TestUnavailable(t *testing.T) {
	tests := []struct {
		name       string
		fail, heal func(*sqlite.DB) error
		claims     bool
	}{
		{"disk full",
			func(db *sqlite.DB) error { return db.SetMaxPages(1) },
			func(db *sqlite.DB) error { return db.SetMaxPages(0) }, false},
		{"read only",
			func(db *sqlite.DB) error { return db.SetReadOnly(true) },
			func(db *sqlite.DB) error { return db.SetReadOnly(false) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := sqlitetest.MustOpen(t)
			kept := bigRecord()
			if err := db.Insert(ctx, kept); err != nil {
				t.Fatal(err)
			}
			if err := tt.fail(db); err != nil {
				t.Fatal(err)
			}
			checkWritesFail(t, db, kept, tt.claims)
			if err := tt.heal(db); err != nil {
				t.Fatal(err)
			}
			if err := db.Insert(ctx, bigRecord()); err != nil {
				t.Fatalf("Insert after recovery: %v", err)
			}
			kept.Status, kept.Outcome = 200, store.OutcomeOK
			if err := db.Complete(ctx, kept); err != nil {
				t.Fatalf("Complete after recovery: %v", err)
			}
			if err := db.Check(ctx); err != nil {
				t.Fatalf("Check after recovery: %v", err)
			}
		})
	}
}

// checkWritesFail tries several writes at once (so they share batches)
// and expects each to fail with ErrUnavailable, leaving reads working.
func checkWritesFail(t *testing.T, db *sqlite.DB, kept *store.Record, claims bool) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() { errs <- db.Insert(ctx, bigRecord()) })
		if claims {
			wg.Go(func() { errs <- db.ClaimTunnel(ctx, store.Tunnel{Name: "new", Owner: "o"}) })
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("write under fault = %v, want ErrUnavailable", err)
		}
	}
	if _, err := db.GetTunnel(ctx, "new"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("failed claim left a tunnel behind: %v", err)
	}
	if _, err := db.Get(ctx, "o", kept.ID); err != nil {
		t.Errorf("read under fault: %v", err)
	}
}

// TestProbe: the write probe fails like a delivery while the disk is full or
// the file read-only, works again once healed, and leaves no rows behind.
func TestProbe(t *testing.T) {
	ctx := context.Background()
	db := sqlitetest.MustOpen(t)
	if err := db.Insert(ctx, bigRecord()); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		fail, heal func() error
	}{
		{"disk full", func() error { return db.SetMaxPages(1) }, func() error { return db.SetMaxPages(0) }},
		{"read only", func() error { return db.SetReadOnly(true) }, func() error { return db.SetReadOnly(false) }},
	} {
		if err := db.Probe(ctx); err != nil {
			t.Fatalf("%s: probe of a healthy store: %v", tt.name, err)
		}
		if err := tt.fail(); err != nil {
			t.Fatal(err)
		}
		if err := db.Probe(ctx); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("%s: probe = %v, want ErrUnavailable", tt.name, err)
		}
		if err := tt.heal(); err != nil {
			t.Fatal(err)
		}
		if err := db.Probe(ctx); err != nil {
			t.Fatalf("%s: probe after healing: %v", tt.name, err)
		}
	}
}
