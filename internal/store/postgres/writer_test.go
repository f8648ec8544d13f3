package postgres

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store"
)

func openTest(tb testing.TB, dsn string, opts Options) *DB {
	tb.Helper()
	db, err := Open(context.Background(), dsn, opts)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// insertOp is the writer op Insert submits for r.
func insertOp(r *store.Record, seq *int64) *op {
	if err := prepareInsert(r); err != nil {
		panic(err)
	}
	return &op{ctx: context.Background(), sql: qInsert, scan: scanSeq(seq, store.ErrConflict),
		done: make(chan error, 1),
		args: insertArgs(r, "writer-test")}
}

// TestWriterIsolatesServerError: a statement the server rejects inside a
// batch rolls the whole batch back; the writer then runs each op alone, so
// that only its caller gets the error and the others are committed.
func TestWriterIsolatesServerError(t *testing.T) {
	db := openTest(t, pgtest.Schema(t), Options{})
	recs := []*store.Record{
		{Tunnel: "w", Owner: "a"}, {Tunnel: "w", Owner: "nul\x00owner"}, {Tunnel: "w", Owner: "a"},
	}
	seqs := make([]int64, len(recs))
	batch := make([]*op, len(recs))
	for i, r := range recs {
		batch[i] = insertOp(r, &seqs[i])
	}
	db.w.commit(batch)
	for i, o := range batch {
		err := wrap("insert", <-o.done)
		if bad := i == 1; bad != errors.Is(err, store.ErrInvalid) || !bad && err != nil {
			t.Errorf("op %d: %v", i, err)
		}
	}
	for _, i := range []int{0, 2} {
		if _, err := db.Get(context.Background(), "a", recs[i].ID); err != nil || seqs[i] <= 0 {
			t.Errorf("record %d after the rerun: seq %d, %v", i, seqs[i], err)
		}
	}
}

// TestWriterIsolatesEncodingError: an op whose arguments cannot be sent
// fails alone; the others of its batch are committed.
func TestWriterIsolatesEncodingError(t *testing.T) {
	db := openTest(t, pgtest.Schema(t), Options{})
	recs := []*store.Record{{Tunnel: "e", Owner: "a"}, {Tunnel: "e", Owner: "a"}, {Tunnel: "e", Owner: "a"}}
	seqs := make([]int64, len(recs))
	batch := make([]*op, len(recs))
	for i, r := range recs {
		batch[i] = insertOp(r, &seqs[i])
	}
	batch[1].args[6] = int64(1) << 40 // status: beyond integer
	db.w.commit(batch)
	for i, o := range batch {
		if err := <-o.done; (err != nil) != (i == 1) {
			t.Errorf("op %d: %v", i, err)
		}
	}
	for _, i := range []int{0, 2} {
		if _, err := db.Get(context.Background(), "a", recs[i].ID); err != nil {
			t.Errorf("record %d after the rerun: %v", i, err)
		}
	}
}

// TestWriterGroupsCommits: concurrent writes share commits.
func TestWriterGroupsCommits(t *testing.T) {
	db := openTest(t, pgtest.Schema(t), Options{Writers: 1})
	before := db.w.commits.Load()
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for range 10 {
				if err := db.Insert(context.Background(), &store.Record{Tunnel: "g", Owner: "a"}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	commits := db.w.commits.Load() - before
	t.Logf("640 inserts from 64 goroutines: %d commits", commits)
	if commits >= 640 {
		t.Errorf("640 concurrent inserts took %d commits: no grouping", commits)
	}
}

// TestRecoversAfterBackendsKilled: when the server ends every connection
// (as a restart does), calls fail with ErrUnavailable, never another error,
// and the store works again by itself.
func TestRecoversAfterBackendsKilled(t *testing.T) {
	dsn := pgtest.Schema(t)
	db := openTest(t, dsn, Options{})
	ctx := context.Background()
	if err := db.Insert(ctx, &store.Record{Tunnel: "k", Owner: "a"}); err != nil {
		t.Fatal(err)
	}
	killer, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(ctx)
	if _, err := killer.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND datname = current_database() AND backend_type = 'client backend'`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for ok := 0; ok < 5; {
		err := db.Insert(ctx, &store.Record{Tunnel: "k", Owner: "a"})
		if err == nil {
			ok++
			continue
		}
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Insert after the connections were killed: %v, want ErrUnavailable or success", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("store did not recover: %v", err)
		}
	}
}

// TestOpenTogether: processes starting at once on an empty schema migrate
// it one at a time (the advisory lock), and all of them open.
func TestOpenTogether(t *testing.T) {
	dsn := pgtest.Schema(t)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() {
			db, err := Open(context.Background(), dsn, Options{})
			if err == nil {
				err = db.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestClosed: every call after Close fails with ErrUnavailable.
func TestClosed(t *testing.T) {
	db := openTest(t, pgtest.Schema(t), Options{})
	db.Close()
	ctx := context.Background()
	r := &store.Record{Tunnel: "c", Owner: "a", Outcome: store.OutcomeOK}
	calls := map[string]func() error{
		"Insert":   func() error { return db.Insert(ctx, r) },
		"Complete": func() error { return db.Complete(ctx, r) },
		"Get":      func() error { _, err := db.Get(ctx, "a", store.NewID(time.Now())); return err },
		"List":     func() error { _, err := db.List(ctx, store.Filter{Owner: "a"}); return err },
		"Queued":   func() error { _, err := db.Queued(ctx, "c", 0); return err },
		"Claim":    func() error { return db.ClaimTunnel(ctx, store.Tunnel{Name: "c", Owner: "a"}) },
		"Purge":    func() error { _, err := db.Purge(ctx, time.Now(), 0, time.Time{}); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s after Close = %v, want ErrUnavailable", name, err)
		}
	}
}

// TestOpenUnreachable: no server is ErrUnavailable.
func TestOpenUnreachable(t *testing.T) {
	_, err := Open(context.Background(), "host="+t.TempDir()+" port=1 user=x connect_timeout=2", Options{})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Open with no server = %v, want ErrUnavailable", err)
	}
}

// TestWriteCanceledBeforeSent: a caller that gave up before its write was
// sent gets its context's error, and nothing is written.
func TestWriteCanceledBeforeSent(t *testing.T) {
	db := openTest(t, pgtest.Schema(t), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := &store.Record{Tunnel: "x", Owner: "a"}
	if err := db.Insert(ctx, r); !errors.Is(err, context.Canceled) {
		t.Fatalf("Insert with a canceled context = %v, want context.Canceled", err)
	}
	if _, err := db.Get(context.Background(), "a", r.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of the withdrawn record = %v, want ErrNotFound", err)
	}
}
