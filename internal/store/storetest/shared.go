package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// SharedOpener returns two handles on one new, empty database, as two relay
// processes sharing it would hold. It should register its own cleanup.
type SharedOpener func(t *testing.T) (a, b store.Store)

// RunShared runs the checks a backend that several processes share must
// pass besides Run: each handle sees the other's writes at once (no cache
// in between), and seqs stay unique and never reused across handles. Each
// subtest gets a fresh pair.
func RunShared(t *testing.T, open SharedOpener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store, store.Store)
	}{
		{"SeesOtherWrites", testSeesOtherWrites},
		{"TunnelsShared", testTunnelsShared},
		{"QueueShared", testQueueShared},
		{"ReleaseShared", testReleaseShared},
		{"SeqUniqueAcrossHandles", testSeqUniqueAcrossHandles},
		{"SeqNeverReusedAcrossHandles", testSeqNeverReusedAcrossHandles},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := open(t)
			tt.fn(t, a, b)
		})
	}
}

// testSeesOtherWrites: a record inserted through one handle is read,
// completed and given its body through the other, and each sees the
// other's latest write.
func testSeesOtherWrites(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	r := mustInsert(t, a, newRecord("sh", "owner-a", 0, fullRecord, withEvent("ev\xff"),
		withOutcome(store.OutcomePending)))
	want := *r
	checkRecord(t, want, *mustGet(t, b, "owner-a", r.ID))
	if seen, err := b.SeenEvent(ctx, "owner-a", "sh", "ev\xff", 0); err != nil || !seen {
		t.Errorf("SeenEvent on the other handle = %v, %v; want true", seen, err)
	}
	if got := ids(mustList(t, b, store.Filter{Owner: "owner-a"}).Records); !slices.Equal(got, []string{r.ID}) {
		t.Errorf("List on the other handle = %v, want [%s]", got, r.ID)
	}
	done := want
	done.Status, done.Outcome, done.RespBody = 201, store.OutcomeOK, newBody([]byte("created"))
	if err := b.Complete(ctx, &done); err != nil {
		t.Fatalf("Complete on the other handle: %v", err)
	}
	checkRecord(t, done, *mustGet(t, a, "owner-a", r.ID))
	done.Body = newBody(allBytes())
	if err := a.SaveRequestBody(ctx, &done); err != nil {
		t.Fatal(err)
	}
	checkRecord(t, done, *mustGet(t, b, "owner-a", r.ID))
	if err := b.Insert(ctx, newRecord("sh", "owner-a", 0, func(x *store.Record) { x.ID = r.ID })); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Insert of an ID taken through the other handle = %v, want ErrConflict", err)
	}
}

// testTunnelsShared: ownership claimed through one handle binds the other.
func testTunnelsShared(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	mustClaim(t, a, store.Tunnel{Name: "shop", Owner: "owner-a", CreatedAt: base, LastSeen: base})
	if err := b.ClaimTunnel(ctx, store.Tunnel{Name: "shop", Owner: "owner-b"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("ClaimTunnel by another owner on the other handle = %v, want ErrConflict", err)
	}
	if err := b.TouchTunnel(ctx, "shop", base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := store.Tunnel{Name: "shop", Owner: "owner-a", Offline: store.OfflineReject, CreatedAt: base,
		LastSeen: base.Add(time.Hour)}
	checkTunnel(t, want, mustGetTunnel(t, a, "shop"))
	if ts, err := b.ListTunnels(ctx, "owner-a"); err != nil || len(ts) != 1 {
		t.Errorf("ListTunnels on the other handle = %v, %v", ts, err)
	}
}

// testQueueShared: the queue is one queue whichever handle fills, delivers or
// expires it.
func testQueueShared(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	var want []string
	for i := range 4 {
		s := []store.Store{a, b}[i%2]
		want = append(want, mustInsert(t, s, newRecord("qs", "owner-a", time.Duration(i)*time.Minute,
			withOutcome(store.OutcomeQueued))).ID)
	}
	for _, s := range []store.Store{a, b} {
		if got, err := s.Queued(ctx, "qs", 0); err != nil || !slices.Equal(ids(got), want) {
			t.Fatalf("Queued = %v, %v; want %v", ids(got), err, want)
		}
	}
	first := mustGet(t, a, "owner-a", want[0])
	first.Status, first.Outcome = 200, store.OutcomeOK
	if err := b.Complete(ctx, first); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Purge(ctx, time.Time{}, 0, base.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Queued(ctx, "qs", 0); err != nil || !slices.Equal(ids(got), want[2:]) {
		t.Errorf("Queued after delivery and expiry on the other handle = %v, %v; want %v", ids(got), err, want[2:])
	}
	if n, err := a.Missed(ctx, "owner-a", "qs", time.Time{}); err != nil || n != 3 {
		t.Errorf("Missed = %d, %v; want 3 (one expired, two queued)", n, err)
	}
}

// testSeqUniqueAcrossHandles inserts and completes from both handles at once
// and checks that no seq was handed out twice and nothing was lost.
func testSeqUniqueAcrossHandles(t *testing.T, a, b store.Store) {
	const writers, each = 4, 50
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers*each)
	for h, s := range []store.Store{a, b} {
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					errs <- insertComplete(ctx, s, h*writers+w, i)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int64]bool{}
	all := listAll(t, b, store.Filter{Owner: "owner-a", Limit: 97})
	for _, r := range all {
		if seen[r.Seq] {
			t.Fatalf("seq %d handed out twice", r.Seq)
		}
		seen[r.Seq] = true
	}
	if len(all) != 2*writers*each {
		t.Errorf("listed %d records, want %d", len(all), 2*writers*each)
	}
}

// testSeqNeverReusedAcrossHandles purges everything through one handle and
// checks that neither hands out a seq at or below the last one.
func testSeqNeverReusedAcrossHandles(t *testing.T, a, b store.Store) {
	var last int64
	for i := range 3 {
		last = max(last, mustInsert(t, []store.Store{a, b}[i%2], newRecord("sr", "owner-a", 0)).Seq)
	}
	if n, err := b.Purge(context.Background(), base.Add(time.Hour), 0, time.Time{}); err != nil || n != 3 {
		t.Fatalf("Purge = %d, %v; want 3", n, err)
	}
	for i, s := range []store.Store{a, b} {
		if r := mustInsert(t, s, newRecord("sr", "owner-a", time.Hour)); r.Seq <= last {
			t.Errorf("handle %d: seq after purging everything = %d, want above %d", i, r.Seq, last)
		}
	}
}

// testReleaseShared: a name released through one handle is free through the
// other, and what its owner queued through the other is expired.
func testReleaseShared(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	mustClaim(t, a, store.Tunnel{Name: "rel", Owner: "owner-a", Offline: store.OfflineQueue, LastSeen: base})
	queued := mustInsert(t, a, newRecord("rel", "owner-a", 0, withOutcome(store.OutcomeQueued)))
	if err := b.ReleaseTunnel(ctx, "rel", "owner-a", base); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("release of a name seen at the cutoff = %v, want ErrConflict", err)
	}
	if err := b.ReleaseTunnel(ctx, "rel", "owner-a", base.Add(time.Nanosecond)); err != nil {
		t.Fatalf("ReleaseTunnel on the other handle: %v", err)
	}
	if _, err := a.GetTunnel(ctx, "rel"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTunnel after release on the other handle = %v, want ErrNotFound", err)
	}
	if got := mustGet(t, a, "owner-a", queued.ID).Outcome; got != store.OutcomeExpired {
		t.Errorf("queued record after release: %s, want expired", got)
	}
	mustClaim(t, a, store.Tunnel{Name: "rel", Owner: "owner-b"})
	if q, err := b.Queued(ctx, "rel", 0); err != nil || len(q) != 0 {
		t.Errorf("Queued for the new owner = %d records, %v; want none", len(q), err)
	}
}
