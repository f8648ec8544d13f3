package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// testPurge runs purges one after another on one data set; each step's
// expectation builds on the previous ones.
func testPurge(t *testing.T, s store.Store) {
	ctx := context.Background()
	name := map[string]string{} // record ID -> "tunnel/minute"
	add := func(tunnel string, minute int, mods ...func(*store.Record)) {
		mods = append(mods, func(r *store.Record) { r.Body = newBody([]byte("payload")) })
		r := mustInsert(t, s, newRecord(tunnel, "owner-a", time.Duration(minute)*time.Minute, mods...))
		name[r.ID] = fmt.Sprintf("%s/%d", tunnel, minute)
	}
	for m := range 10 {
		add("p1", m)
	}
	for m := range 3 {
		add("p2", m)
	}
	add("p3", 0, withOutcome(store.OutcomeQueued))
	add("p3", 10, withOutcome(store.OutcomeQueued))
	steps := []struct {
		name          string
		olderThan     time.Time
		keep          int
		expire        time.Time
		deleted       int
		remaining     []string // oldest first
		queued, spent []string // p3 records still queued / expired
	}{
		{"expire queue only", time.Time{}, 0, base.Add(5 * time.Minute), 0,
			[]string{"p1/0", "p1/1", "p1/2", "p1/3", "p1/4", "p1/5", "p1/6", "p1/7", "p1/8", "p1/9",
				"p2/0", "p2/1", "p2/2", "p3/0", "p3/10"}, []string{"p3/10"}, []string{"p3/0"}},
		{"by age", base.Add(2 * time.Minute), 0, time.Time{}, 5,
			[]string{"p1/2", "p1/3", "p1/4", "p1/5", "p1/6", "p1/7", "p1/8", "p1/9", "p2/2", "p3/10"},
			[]string{"p3/10"}, nil},
		{"per-tunnel cap", time.Time{}, 3, time.Time{}, 5,
			[]string{"p1/7", "p1/8", "p1/9", "p2/2", "p3/10"}, []string{"p3/10"}, nil},
		{"nothing left to do", base.Add(2 * time.Minute), 3, base, 0,
			[]string{"p1/7", "p1/8", "p1/9", "p2/2", "p3/10"}, []string{"p3/10"}, nil},
	}
	for _, st := range steps {
		n, err := s.Purge(ctx, st.olderThan, st.keep, st.expire)
		if err != nil || n != st.deleted {
			t.Fatalf("%s: Purge = %d, %v; want %d deleted", st.name, n, err, st.deleted)
		}
		all := listAll(t, s, store.Filter{Owner: "owner-a", Oldest: true})
		if got := names(all, name); !sameSet(got, st.remaining) {
			t.Errorf("%s: remaining %v, want %v", st.name, got, st.remaining)
		}
		checkOutcome(t, s, st.name, name, store.OutcomeQueued, st.queued)
		checkOutcome(t, s, st.name, name, store.OutcomeExpired, st.spent)
	}
	for id := range name {
		_, err := s.Get(ctx, "owner-a", id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get after purge: %v", err)
		}
	}
}

// testPurgeCapPerOwner: the cap counts each owner's records of a tunnel
// name apart, so that the traffic of a name's new holder never evicts what
// the earlier holder keeps, nor the other way round.
func testPurgeCapPerOwner(t *testing.T, s store.Store) {
	ctx := context.Background()
	kept := map[string][]string{}
	for m := range 5 {
		for _, owner := range []string{"owner-old", "owner-new"} {
			if m == 4 && owner == "owner-old" {
				continue // the old holder released the name
			}
			r := mustInsert(t, s, newRecord("shared", owner, time.Duration(m)*time.Minute))
			kept[owner] = append(kept[owner], r.ID)
		}
	}
	solo := mustInsert(t, s, newRecord("solo", "owner-old", 0))
	n, err := s.Purge(ctx, time.Time{}, 2, time.Time{})
	if err != nil || n != 5 {
		t.Fatalf("Purge(cap 2) = %d, %v; want 5 deleted (2 of owner-old, 3 of owner-new)", n, err)
	}
	want := map[string][]string{
		"owner-old": {kept["owner-old"][2], kept["owner-old"][3], solo.ID},
		"owner-new": {kept["owner-new"][3], kept["owner-new"][4]},
	}
	for owner, wantIDs := range want {
		got := listAll(t, s, store.Filter{Owner: owner, Oldest: true})
		if !slices.Equal(ids(got), wantIDs) {
			t.Errorf("%s keeps %v, want %v", owner, ids(got), wantIDs)
		}
	}
}

func checkOutcome(t *testing.T, s store.Store, step string, name map[string]string, o store.Outcome, want []string) {
	t.Helper()
	recs := listAll(t, s, store.Filter{Owner: "owner-a", Tunnel: "p3", Outcome: o})
	if got := names(recs, name); !sameSet(got, want) {
		t.Errorf("%s: %s records %v, want %v", step, o, got, want)
	}
}

func names(recs []store.Record, name map[string]string) []string {
	var out []string
	for _, r := range recs {
		out = append(out, name[r.ID])
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
