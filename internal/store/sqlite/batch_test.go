package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// TestBatchFailures runs one batch in which two writes fail, one before
// changing anything (a taken ID) and one after inserting a record, and
// checks that each failure reaches its caller alone, that the second
// failure's insert is undone and that the other writes commit with
// increasing seqs.
func TestBatchFailures(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	boom := errors.New("boom")
	a, b := batchRecord(), batchRecord()
	taken := batchRecord()
	taken.ID = a.ID
	undone := batchRecord()
	ops := []*writeOp{insertOp(a), insertOp(taken), failingOp(undone, boom), insertOp(b)}
	err := db.w.exec(ctx, func(ctx context.Context, _ *sql.Conn) error {
		return db.w.raw(ctx, func(c *wconn) error {
			runBatch(c, ops)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	results := make([]writeResult, len(ops))
	for i, op := range ops {
		results[i] = <-op.done
	}
	if results[0].err != nil || results[3].err != nil || results[3].n <= results[0].n {
		t.Errorf("good writes: %+v, %+v; want seqs in order, no errors", results[0], results[3])
	}
	if !errors.Is(wrap("insert", results[1].err), store.ErrConflict) || !errors.Is(results[2].err, boom) {
		t.Errorf("failed writes: %v, %v; want a conflict and boom", results[1].err, results[2].err)
	}
	for _, r := range []*store.Record{a, b} {
		if _, err := db.Get(ctx, "o", r.ID); err != nil {
			t.Errorf("committed record: %v", err)
		}
	}
	if _, err := db.Get(ctx, "o", undone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record of the failed write: %v, want ErrNotFound", err)
	}
}

func batchRecord() *store.Record {
	r := &store.Record{Tunnel: "t", Owner: "o"}
	if err := prepareInsert(r); err != nil {
		panic(err)
	}
	return r
}

func insertOp(r *store.Record) *writeOp {
	row := insertArgs(r)
	return &writeOp{ctx: context.Background(), done: make(chan writeResult, 1),
		tx: func(c *wconn) (int64, error) { return insertTx(c, row, nil, nil) }}
}

// failingOp inserts r, then fails with err.
func failingOp(r *store.Record, err error) *writeOp {
	op := insertOp(r)
	insert := op.tx
	op.tx = func(c *wconn) (int64, error) {
		if _, ierr := insert(c); ierr != nil {
			return 0, ierr
		}
		return 0, err
	}
	return op
}

// TestSeqAfterOtherWriter interleaves inserts through two stores open on
// the same file, as two processes would, and checks that neither hands out
// a seq the other has used.
func TestSeqAfterOtherWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "two.db")
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	seen := map[int64]bool{}
	for i := range 20 {
		r := &store.Record{Tunnel: "t", Owner: "o"}
		if err := dbs[i%3%2].Insert(ctx, r); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
		if seen[r.Seq] {
			t.Fatalf("insert %d reused seq %d", i, r.Seq)
		}
		seen[r.Seq] = true
	}
}

// TestSeqFloorSurvivesReopen purges every record, reopens the store and
// checks that seqs continue above the purged ones.
func TestSeqFloorSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "floor.db")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	for range 5 {
		r := &store.Record{Tunnel: "t", Owner: "o"}
		if err := db.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
		last = r.Seq
	}
	if n, err := db.Purge(ctx, time.Now().Add(time.Hour), 0, time.Time{}); err != nil || n != 5 {
		t.Fatalf("Purge = %d, %v; want 5", n, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &store.Record{Tunnel: "t", Owner: "o"}
	if err := db.Insert(ctx, r); err != nil || r.Seq != last+1 {
		t.Errorf("insert after purge and reopen: seq %d, %v; want %d", r.Seq, err, last+1)
	}
}
