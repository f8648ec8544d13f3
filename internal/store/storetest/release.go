package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// testReleaseTunnel: a released name is free for another owner; the old
// owner keeps its records, the new one never sees them, and nothing the old
// owner queued is left queued.
func testReleaseTunnel(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustClaim(t, s, store.Tunnel{Name: "shop", Owner: "owner-a", Offline: store.OfflineQueue, LastSeen: base})
	done := mustInsert(t, s, newRecord("shop", "owner-a", 0, withOutcome(store.OutcomeOK)))
	queued := mustInsert(t, s, newRecord("shop", "owner-a", time.Second, withOutcome(store.OutcomeQueued)))

	if err := s.ReleaseTunnel(ctx, "shop", "owner-b", time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("release by another owner = %v, want ErrNotFound", err)
	}
	if err := s.ReleaseTunnel(ctx, "shop", "owner-a", base); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("release of a name seen at seenBefore = %v, want ErrConflict", err)
	}
	mustGetTunnel(t, s, "shop") // neither attempt released it
	if err := s.ReleaseTunnel(ctx, "shop", "owner-a", base.Add(time.Nanosecond)); err != nil {
		t.Fatalf("release of an idle name: %v", err)
	}
	if _, err := s.GetTunnel(ctx, "shop"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetTunnel after release = %v, want ErrNotFound", err)
	}
	if err := s.ReleaseTunnel(ctx, "shop", "owner-a", time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second release = %v, want ErrNotFound", err)
	}
	if got := mustGet(t, s, "owner-a", queued.ID).Outcome; got != store.OutcomeExpired {
		t.Errorf("queued record after release: outcome %q, want expired", got)
	}
	if q, err := s.Queued(ctx, "shop", 0); err != nil || len(q) != 0 {
		t.Errorf("Queued after release = %d records, %v; want none", len(q), err)
	}

	mustClaim(t, s, store.Tunnel{Name: "shop", Owner: "owner-b"})
	if got := mustGetTunnel(t, s, "shop").Owner; got != "owner-b" {
		t.Fatalf("owner after a new claim = %q, want owner-b", got)
	}
	mine := mustInsert(t, s, newRecord("shop", "owner-b", 2*time.Second))
	for _, tt := range []struct {
		owner string
		want  []string
	}{{"owner-a", []string{queued.ID, done.ID}}, {"owner-b", []string{mine.ID}}} {
		p := mustList(t, s, store.Filter{Owner: tt.owner, Tunnel: "shop"})
		var ids []string
		for _, r := range p.Records {
			ids = append(ids, r.ID)
		}
		if !slices.Equal(ids, tt.want) {
			t.Errorf("List(%s, shop) = %v, want %v", tt.owner, ids, tt.want)
		}
	}
	if _, err := s.Get(ctx, "owner-b", done.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("new owner reading the old owner's record: %v, want ErrNotFound", err)
	}
	mustGet(t, s, "owner-a", done.ID)
}

func testReleaseTunnelErrors(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, tt := range []struct{ name, tunnel, owner string }{
		{"no name", "", "o"}, {"no owner", "n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.ReleaseTunnel(ctx, tt.tunnel, tt.owner, time.Time{}); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
	if err := s.ReleaseTunnel(ctx, "nope", "o", time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("release of an unclaimed name = %v, want ErrNotFound", err)
	}
}

// testRecordedSince: stored request body bytes summed by tunnel and owner,
// wherever the backend keeps a body (small, mid-sized, large, truncated,
// saved after the insert).
func testRecordedSince(t *testing.T, s store.Store) {
	ctx := context.Background()
	body := func(n int) func(*store.Record) {
		return func(r *store.Record) { r.Body = newBody(bytes.Repeat([]byte{'x'}, n)) }
	}
	mustInsert(t, s, newRecord("a", "owner-a", -time.Hour, body(1000))) // before since: left out
	mustInsert(t, s, newRecord("a", "owner-a", 0, body(10)))
	mustInsert(t, s, newRecord("a", "owner-a", time.Second, body(100<<10)))
	mustInsert(t, s, newRecord("a", "owner-a", 2*time.Second, body(1<<20)))
	mustInsert(t, s, newRecord("a", "owner-a", 3*time.Second, func(r *store.Record) {
		r.Body = store.Body{Data: []byte("abc"), Size: 5000, Truncated: true}
	}))
	mustInsert(t, s, newRecord("a", "owner-b", 0, body(7)))
	mustInsert(t, s, newRecord("b", "owner-a", 0)) // no body
	late := mustInsert(t, s, newRecord("c", "owner-c", 0))
	late.Body = newBody(bytes.Repeat([]byte{'y'}, 300<<10))
	if err := s.SaveRequestBody(ctx, late); err != nil {
		t.Fatalf("SaveRequestBody: %v", err)
	}
	got, err := s.RecordedSince(ctx, base)
	if err != nil {
		t.Fatalf("RecordedSince: %v", err)
	}
	slices.SortFunc(got, func(x, y store.Usage) int {
		return strings.Compare(x.Tunnel+"\x00"+x.Owner, y.Tunnel+"\x00"+y.Owner)
	})
	want := []store.Usage{
		{Tunnel: "a", Owner: "owner-a", Bytes: 10 + 100<<10 + 1<<20 + 3},
		{Tunnel: "a", Owner: "owner-b", Bytes: 7},
		{Tunnel: "b", Owner: "owner-a", Bytes: 0},
		{Tunnel: "c", Owner: "owner-c", Bytes: 300 << 10},
	}
	if !slices.Equal(got, want) {
		t.Errorf("RecordedSince = %+v, want %+v", got, want)
	}
	if got, err := s.RecordedSince(ctx, base.Add(time.Hour)); err != nil || len(got) != 0 {
		t.Errorf("RecordedSince after every record = %+v, %v; want none", got, err)
	}
}
