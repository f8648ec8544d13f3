package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// listFixture inserts a small varied set of records and returns them by
// name.
func listFixture(t *testing.T, s store.Store) map[string]*store.Record {
	t.Helper()
	recs := map[string]*store.Record{
		"get200": newRecord("alpha", "owner-a", 1*time.Minute, func(r *store.Record) {
			r.Method, r.Path, r.Status, r.Outcome = "GET", "/Orders/42", 200, store.OutcomeOK
		}),
		"post404": newRecord("alpha", "owner-a", 2*time.Minute, func(r *store.Record) {
			r.Status, r.Outcome, r.Body = 404, store.OutcomeOK, newBody([]byte(`{"Type":"Invoice.Paid"}`))
			r.Verification = &store.Verification{Provider: "stripe", OK: true}
		}),
		"post500": newRecord("beta", "owner-a", 3*time.Minute, func(r *store.Record) {
			r.Status, r.Outcome, r.Path = 502, store.OutcomeOK, "/100%_done"
			r.Verification = &store.Verification{Provider: "github", Reason: "stale"}
		}),
		"offline": newRecord("beta", "owner-a", 4*time.Minute, func(r *store.Record) {
			r.Outcome, r.ErrorCode = store.OutcomeOffline, "tunnel_offline"
		}),
		"replay": newRecord("alpha", "owner-a", 5*time.Minute, func(r *store.Record) {
			r.ReplayOf, r.Status, r.Outcome = store.NewID(base), 201, store.OutcomeOK
		}),
		"other": newRecord("gamma", "owner-b", 6*time.Minute, func(r *store.Record) {
			r.Status, r.Outcome = 200, store.OutcomeOK
		}),
	}
	for _, name := range []string{"get200", "post404", "post500", "offline", "replay", "other"} {
		mustInsert(t, s, recs[name])
	}
	return recs
}

func testListFilters(t *testing.T, s store.Store) {
	recs := listFixture(t, s)
	tests := []struct {
		name   string
		filter store.Filter
		want   []string // newest first
	}{
		{"owner", store.Filter{Owner: "owner-a"}, []string{"replay", "offline", "post500", "post404", "get200"}},
		{"other owner", store.Filter{Owner: "owner-b"}, []string{"other"}},
		{"unknown owner", store.Filter{Owner: "nobody"}, nil},
		{"all owners", store.Filter{AllOwners: true}, []string{"other", "replay", "offline", "post500", "post404", "get200"}},
		{"tunnel", store.Filter{Owner: "owner-a", Tunnel: "beta"}, []string{"offline", "post500"}},
		{"foreign tunnel", store.Filter{Owner: "owner-a", Tunnel: "gamma"}, nil},
		{"method", store.Filter{Owner: "owner-a", Method: "GET"}, []string{"get200"}},
		{"2xx", store.Filter{Owner: "owner-a", StatusClass: 2}, []string{"replay", "get200"}},
		{"4xx", store.Filter{Owner: "owner-a", StatusClass: 4}, []string{"post404"}},
		{"5xx", store.Filter{Owner: "owner-a", StatusClass: 5}, []string{"post500"}},
		{"outcome", store.Filter{Owner: "owner-a", Outcome: store.OutcomeOffline}, []string{"offline"}},
		{"text in path, any case", store.Filter{Owner: "owner-a", Text: "orders"}, []string{"get200"}},
		{"text in body, any case", store.Filter{Owner: "owner-a", Text: "invoice.paid"}, []string{"post404"}},
		{"text with LIKE characters", store.Filter{Owner: "owner-a", Text: "100%_"}, []string{"post500"}},
		{"percent is literal", store.Filter{Owner: "owner-a", Text: "%"}, []string{"post500"}},
		{"no text match", store.Filter{Owner: "owner-a", Text: "nothing"}, nil},
		{"verified ok", store.Filter{Owner: "owner-a", Verified: store.VerifiedOK}, []string{"post404"}},
		{"verified failed", store.Filter{Owner: "owner-a", Verified: store.VerifiedFailed}, []string{"post500"}},
		{"replays", store.Filter{Owner: "owner-a", ReplayOnly: true}, []string{"replay"}},
		{"since", store.Filter{Owner: "owner-a", Since: base.Add(4 * time.Minute)}, []string{"replay", "offline"}},
		{"until", store.Filter{Owner: "owner-a", Until: base.Add(2 * time.Minute)}, []string{"get200"}},
		{"window", store.Filter{Owner: "owner-a", Since: base.Add(2 * time.Minute), Until: base.Add(4 * time.Minute)},
			[]string{"post500", "post404"}},
		{"oldest first", store.Filter{Owner: "owner-a", Tunnel: "alpha", Oldest: true}, []string{"get200", "post404", "replay"}},
		{"combined", store.Filter{Owner: "owner-a", Tunnel: "alpha", StatusClass: 2, ReplayOnly: true}, []string{"replay"}},
	}
	t.Run("sizes without bytes", func(t *testing.T) {
		p := mustList(t, s, store.Filter{Owner: "owner-a", Tunnel: "alpha", Method: "POST", StatusClass: 4})
		want := recs["post404"].Body
		if len(p.Records) != 1 || p.Records[0].Body.Size != want.Size || p.Records[0].Body.SHA256 != want.SHA256 {
			t.Errorf("List = %+v, want body size %d and digest %s", p.Records, want.Size, want.SHA256)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustList(t, s, tt.filter)
			want := make([]string, len(tt.want))
			for i, name := range tt.want {
				want[i] = recs[name].ID
			}
			if got := ids(p.Records); !slices.Equal(got, want) {
				t.Errorf("List = %v, want %v (%v)", got, want, tt.want)
			}
			if p.Next != "" {
				t.Errorf("Next = %q on a short listing", p.Next)
			}
			checkNoBodies(t, p.Records)
		})
	}
}

// checkNoBodies checks List's promise: sizes and digests, no bytes.
func checkNoBodies(t *testing.T, recs []store.Record) {
	t.Helper()
	for _, r := range recs {
		if r.Body.Data != nil || r.RespBody.Data != nil {
			t.Errorf("List returned body data for %s", r.ID)
		}
	}
}

func testListInvalid(t *testing.T, s store.Store) {
	newest := store.Cursor{Seq: 5}.String()
	tests := []struct {
		name   string
		filter store.Filter
	}{
		{"no owner", store.Filter{}},
		{"status class 1", store.Filter{Owner: "o", StatusClass: 1}},
		{"status class 6", store.Filter{Owner: "o", StatusClass: 6}},
		{"unknown outcome", store.Filter{Owner: "o", Outcome: "done"}},
		{"unknown verified", store.Filter{Owner: "o", Verified: "yes"}},
		{"garbage cursor", store.Filter{Owner: "o", Cursor: "not-a-cursor"}},
		{"cursor from other direction", store.Filter{Owner: "o", Cursor: newest, Oldest: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.List(context.Background(), tt.filter); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("List(%+v) = %v, want ErrInvalid", tt.filter, err)
			}
		})
	}
}

func testListPagination(t *testing.T, s store.Store) {
	var all []string
	for i := range 60 {
		all = append(all, mustInsert(t, s, newRecord("pg", "owner-a", time.Duration(i)*time.Second)).ID)
	}
	tests := []struct {
		name   string
		filter store.Filter
		sizes  []int
		want   []string
	}{
		{"newest first", store.Filter{Owner: "owner-a", Limit: 25}, []int{25, 25, 10}, reversed(all)},
		{"oldest first", store.Filter{Owner: "owner-a", Limit: 25, Oldest: true}, []int{25, 25, 10}, all},
		{"exact multiple", store.Filter{Owner: "owner-a", Limit: 30}, []int{30, 30}, reversed(all)},
		{"default limit", store.Filter{Owner: "owner-a"}, []int{store.DefaultLimit, 10}, reversed(all)},
		{"limit above max", store.Filter{Owner: "owner-a", Limit: store.MaxLimit + 1}, []int{60}, reversed(all)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var sizes []int
			f := tt.filter
			for {
				p := mustList(t, s, f)
				got, sizes = append(got, ids(p.Records)...), append(sizes, len(p.Records))
				if p.Next == "" {
					break
				}
				f.Cursor = p.Next
			}
			if !slices.Equal(sizes, tt.sizes) || !slices.Equal(got, tt.want) {
				t.Errorf("pages of %v, ids %v; want pages of %v, ids %v", sizes, got, tt.sizes, tt.want)
			}
		})
	}
}

// testCursorStability checks that records arriving between pages neither
// repeat nor hide records in either direction.
func testCursorStability(t *testing.T, s store.Store) {
	var old []string
	for i := range 10 {
		old = append(old, mustInsert(t, s, newRecord("cs", "owner-a", time.Duration(i)*time.Second)).ID)
	}
	for _, oldest := range []bool{false, true} {
		f := store.Filter{Owner: "owner-a", Tunnel: "cs", Limit: 4, Oldest: oldest}
		first := mustList(t, s, f)
		var added []string
		for i := range 3 {
			r := newRecord("cs", "owner-a", time.Hour+time.Duration(i)*time.Second)
			added = append(added, mustInsert(t, s, r).ID)
		}
		f.Cursor = first.Next
		got := append(ids(first.Records), ids(listAll(t, s, f))...)
		want := reversed(old)
		if oldest {
			want = append(slices.Clone(old), added...)
		}
		if !slices.Equal(got, want) {
			t.Errorf("oldest=%v: listing across inserts = %v, want %v", oldest, got, want)
		}
		old = append(old, added...)
	}
}
