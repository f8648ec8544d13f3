package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

func withOutcome(o store.Outcome) func(*store.Record) {
	return func(r *store.Record) { r.Outcome = o }
}

func withEvent(id string) func(*store.Record) {
	return func(r *store.Record) { r.EventID = id }
}

func testSeenEvent(t *testing.T, s store.Store) {
	first := mustInsert(t, s, newRecord("ev", "owner-a", 0, withEvent("evt_1")))
	second := mustInsert(t, s, newRecord("ev", "owner-a", time.Second, withEvent("evt_1")))
	mustInsert(t, s, newRecord("ev2", "owner-a", 0, withEvent("evt_2")))
	// An earlier holder of the name "ev" saw evt_0; the name changed hands.
	mustInsert(t, s, newRecord("ev", "owner-old", 0, withEvent("evt_0")))
	later := mustInsert(t, s, newRecord("ev", "owner-b", time.Minute, withEvent("evt_1")))
	tests := []struct {
		name, owner, tunnel, event string
		before                     int64
		want                       bool
	}{
		{"earlier copy", "owner-a", "ev", "evt_1", second.Seq, true},
		{"first copy has none before it", "owner-a", "ev", "evt_1", first.Seq, false},
		{"any seq", "owner-a", "ev", "evt_1", 0, true},
		{"other tunnel's event", "owner-a", "ev", "evt_2", 0, false},
		{"unknown event", "owner-a", "ev", "evt_9", 0, false},
		{"empty event id", "owner-a", "ev", "", 0, false},
		{"another owner's record on the name", "owner-a", "ev", "evt_0", 0, false},
		{"another owner's copies before it", "owner-b", "ev", "evt_1", later.Seq, false},
		{"another owner's copies, any seq", "owner-b", "ev", "evt_0", 0, false},
		{"own copy among other owners'", "owner-b", "ev", "evt_1", 0, true},
		{"earlier holder sees its own", "owner-old", "ev", "evt_0", later.Seq, true},
		{"earlier holder never sees the new one's", "owner-old", "ev", "evt_1", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SeenEvent(context.Background(), tt.owner, tt.tunnel, tt.event, tt.before)
			if err != nil || got != tt.want {
				t.Errorf("SeenEvent(%q, %q, %q, %d) = %v, %v; want %v", tt.owner, tt.tunnel, tt.event, tt.before,
					got, err, tt.want)
			}
		})
	}
	// Records without an event id never count as seen.
	mustInsert(t, s, newRecord("ev3", "owner-a", 0))
	if got, err := s.SeenEvent(context.Background(), "owner-a", "ev3", "", 0); err != nil || got {
		t.Errorf("SeenEvent with empty id = %v, %v", got, err)
	}
}

func testQueued(t *testing.T, s store.Store) {
	ctx := context.Background()
	body := newBody([]byte("deliver me"))
	var want []string
	for i, o := range []store.Outcome{store.OutcomeQueued, store.OutcomeOK, store.OutcomeQueued, store.OutcomeQueued} {
		r := mustInsert(t, s, newRecord("q", "owner-a", time.Duration(i)*time.Second, withOutcome(o),
			func(r *store.Record) { r.Body = body }))
		if o == store.OutcomeQueued {
			want = append(want, r.ID)
		}
	}
	mustInsert(t, s, newRecord("q-other", "owner-a", 0, withOutcome(store.OutcomeQueued)))
	for _, tt := range []struct {
		limit int
		want  []string
	}{{0, want}, {2, want[:2]}, {100, want}} {
		got, err := s.Queued(ctx, "q", tt.limit)
		if err != nil {
			t.Fatalf("Queued: %v", err)
		}
		if !slices.Equal(ids(got), tt.want) {
			t.Errorf("Queued(limit %d) = %v, want %v", tt.limit, ids(got), tt.want)
		}
		for _, r := range got {
			if string(r.Body.Data) != "deliver me" {
				t.Errorf("Queued record %s body %q", r.ID, r.Body.Data)
			}
		}
	}
}

func testMissed(t *testing.T, s store.Store) {
	for i, o := range []store.Outcome{store.OutcomeOffline, store.OutcomeQueued, store.OutcomeExpired,
		store.OutcomeOK, store.OutcomeTimeout, store.OutcomeOffline} {
		mustInsert(t, s, newRecord("m", "owner-a", time.Duration(i)*time.Minute, withOutcome(o)))
	}
	mustInsert(t, s, newRecord("m-other", "owner-a", 0, withOutcome(store.OutcomeOffline)))
	// Another owner's records of the same name (an earlier or later holder).
	for i, o := range []store.Outcome{store.OutcomeOffline, store.OutcomeQueued, store.OutcomeExpired} {
		mustInsert(t, s, newRecord("m", "owner-b", time.Duration(i)*time.Minute, withOutcome(o)))
	}
	tests := []struct {
		owner string
		since time.Time
		want  int
	}{
		{"owner-a", time.Time{}, 4}, {"owner-a", base, 4}, {"owner-a", base.Add(time.Minute), 3},
		{"owner-a", base.Add(5 * time.Minute), 1}, {"owner-a", base.Add(time.Hour), 0},
		{"owner-b", time.Time{}, 3}, {"owner-b", base.Add(time.Minute), 2}, {"owner-c", time.Time{}, 0},
	}
	for _, tt := range tests {
		got, err := s.Missed(context.Background(), tt.owner, "m", tt.since)
		if err != nil || got != tt.want {
			t.Errorf("Missed(%s since %v) = %d, %v; want %d", tt.owner, tt.since, got, err, tt.want)
		}
	}
}

// testInterrupt: records left pending before the cutoff become interrupted,
// nothing else changes, and the missed listing shows every missed outcome
// until a replay exists.
func testInterrupt(t *testing.T, s store.Store) {
	ctx := context.Background()
	old := mustInsert(t, s, newRecord("i", "owner-a", 0))
	done := mustInsert(t, s, newRecord("i", "owner-a", time.Second, withOutcome(store.OutcomeOK)))
	fresh := mustInsert(t, s, newRecord("i", "owner-a", time.Hour))
	n, err := s.Interrupt(ctx, base.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("Interrupt = %d, %v; want 1", n, err)
	}
	for _, tt := range []struct {
		r    *store.Record
		want store.Outcome
	}{{old, store.OutcomeInterrupted}, {done, store.OutcomeOK}, {fresh, store.OutcomePending}} {
		if got := mustGet(t, s, "owner-a", tt.r.ID); got.Outcome != tt.want {
			t.Errorf("record %s outcome %s, want %s", tt.r.ID, got.Outcome, tt.want)
		}
	}
	var want []string
	for i, o := range store.Outcomes {
		r := mustInsert(t, s, newRecord("mi", "owner-a", time.Duration(i)*time.Second, withOutcome(o)))
		if o.Missed() {
			want = append(want, r.ID)
		}
	}
	replayed := mustInsert(t, s, newRecord("mi", "owner-a", time.Hour, withOutcome(store.OutcomeFailed)))
	mustInsert(t, s, newRecord("mi", "owner-a", 2*time.Hour, func(r *store.Record) { r.ReplayOf = replayed.ID }))
	got := listAll(t, s, store.Filter{Owner: "owner-a", Tunnel: "mi", Missed: true, Oldest: true})
	if !slices.Equal(ids(got), want) {
		t.Errorf("missed = %v, want %v (outcomes %v)", ids(got), want, store.MissedOutcomes)
	}
}
