package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// testSaveRequestBody: a body saved after Insert (it streamed through) reads back
// byte-exact with its size and digest, whatever its size, and can be saved again.
func testSaveRequestBody(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, size := range []int{0, 10, 2048, 2049, 100 << 10, 600<<10 + 7, 5} {
		r := mustInsert(t, s, newRecord("hook", "alice", 0))
		data := bytes.Repeat([]byte{byte(size)}, size)
		r.Body = newBody(data)
		if err := s.SaveRequestBody(ctx, r); err != nil {
			t.Fatalf("SaveRequestBody(%d bytes): %v", size, err)
		}
		got := mustGet(t, s, "alice", r.ID)
		if !bytes.Equal(got.Body.Data, data) || got.Body.Size != int64(size) || got.Body.SHA256 != r.Body.SHA256 {
			t.Fatalf("%d bytes: read back %d bytes, size %d, sha %s", size, len(got.Body.Data), got.Body.Size, got.Body.SHA256)
		}
		if got.Host != r.Host || got.RemoteAddr != r.RemoteAddr || got.Outcome != store.OutcomePending {
			t.Fatalf("%d bytes: the rest of the record changed: %+v", size, got)
		}
		small := newBody([]byte("small"))
		r.Body = small
		if err := s.SaveRequestBody(ctx, r); err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, s, "alice", r.ID); string(got.Body.Data) != "small" || got.Body.Size != 5 {
			t.Fatalf("saved again after %d bytes: %q", size, got.Body.Data)
		}
	}
	missing := newRecord("hook", "alice", 0)
	missing.ID = store.NewID(base)
	if err := s.SaveRequestBody(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SaveRequestBody on no record: %v, want ErrNotFound", err)
	}
}

// bodySizes cross every size where a backend may change where it keeps a
// request body (the SQLite one: in the row up to 2 KiB, one row up to
// 256 KiB, parts beyond).
var bodySizes = []int{0, 1, 2048, 2049, 256 << 10, 256<<10 + 1, 1<<20 + 7}

// testBodiesEveryReader checks that every read that returns request bodies
// (Get, Queued) returns the bytes Insert and SaveRequestBody stored, at every
// size, including a truncated body.
func testBodiesEveryReader(t *testing.T, s store.Store) {
	ctx := context.Background()
	want := map[string][]byte{}
	for i, size := range bodySizes {
		data := bytes.Repeat([]byte{byte(i + 1)}, size)
		r := mustInsert(t, s, newRecord("bq", "alice", time.Duration(i)*time.Second,
			withOutcome(store.OutcomeQueued), func(r *store.Record) { r.Body = newBody(data) }))
		want[r.ID] = data
	}
	cut := bytes.Repeat([]byte("t"), 300<<10)
	trunc := mustInsert(t, s, newRecord("bq", "alice", time.Minute, withOutcome(store.OutcomeQueued),
		func(r *store.Record) { r.Body = store.Body{Data: cut, Size: 1 << 20, SHA256: "ab", Truncated: true} }))
	want[trunc.ID] = cut
	saved := mustInsert(t, s, newRecord("bq", "alice", 2*time.Minute, withOutcome(store.OutcomeQueued)))
	saved.Body = newBody(bytes.Repeat([]byte("s"), 600<<10))
	if err := s.SaveRequestBody(ctx, saved); err != nil {
		t.Fatal(err)
	}
	want[saved.ID] = saved.Body.Data
	checkReaders(t, s, want, len(bodySizes)+2)
}

// checkReaders compares the bodies Get and Queued return with want.
func checkReaders(t *testing.T, s store.Store, want map[string][]byte, n int) {
	t.Helper()
	var queued []store.Record
	for len(queued) < n {
		got, err := s.Queued(context.Background(), "bq", 0)
		if err != nil || len(got) == 0 {
			t.Fatalf("Queued: %d records, %v; want %d", len(got), err, n-len(queued))
		}
		queued = append(queued, got...)
		for _, r := range got { // take them out of the queue, as a delivery would
			r.Outcome = store.OutcomeOK
			if err := s.Complete(context.Background(), &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, r := range queued {
		if !bytes.Equal(r.Body.Data, want[r.ID]) {
			t.Errorf("Queued body of %s: %d bytes, want %d", r.ID, len(r.Body.Data), len(want[r.ID]))
		}
		if got := mustGet(t, s, "alice", r.ID); !bytes.Equal(got.Body.Data, want[r.ID]) {
			t.Errorf("Get body of %s: %d bytes, want %d", r.ID, len(got.Body.Data), len(want[r.ID]))
		}
	}
	if len(queued) != n {
		t.Errorf("Queued returned %d records, want %d", len(queued), n)
	}
}
