package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// attemptsOf are three attempts of one record as a relay would add them,
// numbered by the store, with bytes a client or an app controls (labels,
// error texts) that are not UTF-8 or hold a NUL.
func attemptsOf() []store.Attempt {
	return []store.Attempt{
		{ClientID: "c-1", Label: "ana's laptop \xc3(", Role: "primary", Status: 502, Duration: 1500 * time.Microsecond,
			Error: "local_unreachable: dial tcp 127.0.0.1:1: connect: connection refused \xff\x00 end", At: base.Add(1)},
		{ClientID: "c-2", Label: "", Role: "mirror", Status: 200, Duration: time.Second, At: base.Add(2)},
		{ClientID: "", Label: "ci", Role: "queue", Status: 0, Error: "local_timeout", At: base.Add(time.Hour)},
	}
}

func mustAddAttempt(t *testing.T, s store.Store, id string, a store.Attempt) {
	t.Helper()
	if err := s.AddAttempt(context.Background(), id, a); err != nil {
		t.Fatalf("AddAttempt(%s, %+v): %v", id, a, err)
	}
}

// testAttempts: Get returns a record's attempts in the order they started,
// numbered 1, 2, ... by the store unless the caller chose a number, byte for
// byte; List leaves them out; another owner never sees them.
func testAttempts(t *testing.T, s store.Store) {
	r := mustInsert(t, s, newRecord("at", "owner-a", 0))
	other := mustInsert(t, s, newRecord("at", "owner-a", time.Second))
	want := attemptsOf()
	for i, a := range want {
		mustAddAttempt(t, s, r.ID, a)
		want[i].N = i + 1
		if i == 0 { // the other record numbers its own attempts
			mustAddAttempt(t, s, other.ID, a)
		}
	}
	chosen := store.Attempt{N: 7, Role: "replay", At: base.Add(2 * time.Hour)}
	mustAddAttempt(t, s, r.ID, chosen)
	next := store.Attempt{Role: "replay", At: base.Add(3 * time.Hour)}
	mustAddAttempt(t, s, r.ID, next)
	next.N = 8
	want = append(want, chosen, next)
	if got := mustGet(t, s, "owner-a", r.ID).Tries; !reflect.DeepEqual(got, want) {
		t.Errorf("Tries =\n%+v\nwant\n%+v", got, want)
	}
	first := attemptsOf()[0]
	first.N = 1
	if got := mustGet(t, s, "owner-a", other.ID).Tries; !reflect.DeepEqual(got, []store.Attempt{first}) {
		t.Errorf("other record's Tries = %+v, want only its own first attempt", got)
	}
	for _, rec := range mustList(t, s, store.Filter{Owner: "owner-a", Tunnel: "at"}).Records {
		if rec.Tries != nil {
			t.Errorf("List filled Tries of %s: %+v", rec.ID, rec.Tries)
		}
	}
	if _, err := s.Get(context.Background(), "owner-b", r.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get by another owner: %v, want ErrNotFound", err)
	}
	none := mustInsert(t, s, newRecord("at", "owner-a", 2*time.Second))
	if got := mustGet(t, s, "owner-a", none.ID).Tries; len(got) != 0 {
		t.Errorf("Tries of a record without attempts = %+v", got)
	}
}

// testAttemptErrors: an unknown record is ErrNotFound, a number taken is
// ErrConflict, a negative one ErrInvalid; none adds anything.
func testAttemptErrors(t *testing.T, s store.Store) {
	r := mustInsert(t, s, newRecord("ae", "owner-a", 0))
	mustAddAttempt(t, s, r.ID, store.Attempt{Role: "primary"})
	tests := []struct {
		name, id string
		a        store.Attempt
		want     error
	}{
		{"unknown record", store.NewID(base), store.Attempt{Role: "primary"}, store.ErrNotFound},
		{"number taken", r.ID, store.Attempt{N: 1, Role: "mirror"}, store.ErrConflict},
		{"negative number", r.ID, store.Attempt{N: -1, Role: "mirror"}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.AddAttempt(context.Background(), tt.id, tt.a); !errors.Is(err, tt.want) {
				t.Errorf("AddAttempt = %v, want %v", err, tt.want)
			}
		})
	}
	if got := mustGet(t, s, "owner-a", r.ID).Tries; len(got) != 1 || got[0].Role != "primary" {
		t.Errorf("Tries after refused adds = %+v, want the one primary attempt", got)
	}
}

// testPurgeAttempts: a purged record's attempts go with it, and one that
// stays keeps its own.
func testPurgeAttempts(t *testing.T, s store.Store) {
	ctx := context.Background()
	old := mustInsert(t, s, newRecord("pa", "owner-a", 0))
	kept := mustInsert(t, s, newRecord("pa", "owner-a", time.Hour))
	for _, id := range []string{old.ID, kept.ID} {
		for _, a := range attemptsOf() {
			mustAddAttempt(t, s, id, a)
		}
	}
	if n, err := s.Purge(ctx, base.Add(time.Minute), 0, time.Time{}); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	if err := s.AddAttempt(ctx, old.ID, store.Attempt{Role: "replay"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddAttempt to a purged record = %v, want ErrNotFound", err)
	}
	if got := mustGet(t, s, "owner-a", kept.ID).Tries; len(got) != len(attemptsOf()) {
		t.Errorf("the kept record has %d attempts, want %d", len(got), len(attemptsOf()))
	}
}

// testAttemptsTogether: attempts added in one call are numbered in their order, after
// those before; a call with one attempt refused adds none of them; an empty one adds
// nothing.
func testAttemptsTogether(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := mustInsert(t, s, newRecord("tg", "owner-a", 0))
	mustAddAttempt(t, s, r.ID, store.Attempt{Role: "primary", At: base})
	if err := s.AddAttempt(ctx, r.ID); err != nil {
		t.Errorf("AddAttempt of none = %v", err)
	}
	want := attemptsOf()
	if err := s.AddAttempt(ctx, r.ID, want...); err != nil {
		t.Fatalf("AddAttempt of %d: %v", len(want), err)
	}
	want = append([]store.Attempt{{N: 1, Role: "primary", At: base}}, want...)
	for i := range want {
		want[i].N = i + 1
	}
	refused := []struct {
		name string
		as   []store.Attempt
		err  error
	}{
		{"a number taken", []store.Attempt{{Role: "mirror"}, {N: 2, Role: "mirror"}}, store.ErrConflict},
		{"a negative number", []store.Attempt{{Role: "mirror"}, {N: -1, Role: "mirror"}}, store.ErrInvalid},
	}
	for _, tt := range refused {
		if err := s.AddAttempt(ctx, r.ID, tt.as...); !errors.Is(err, tt.err) {
			t.Errorf("%s: AddAttempt = %v, want %v", tt.name, err, tt.err)
		}
	}
	if err := s.AddAttempt(ctx, store.NewID(base), attemptsOf()...); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddAttempt of several to an unknown record = %v, want ErrNotFound", err)
	}
	if got := mustGet(t, s, "owner-a", r.ID).Tries; !reflect.DeepEqual(got, want) {
		t.Errorf("Tries =\n%+v\nwant\n%+v", got, want)
	}
}
