package api

import (
	"errors"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

var filterCases = []struct {
	query string
	want  store.Filter
	err   bool
}{
	{"", store.Filter{}, false},
	{"tunnel=hook&limit=10", store.Filter{Tunnel: "hook", Limit: 10}, false},
	{"since=1h", store.Filter{Since: now.Add(-time.Hour)}, false},
	{"since=2026-11-22T10:00:00Z&until=2026-11-22T11:00:00Z", store.Filter{
		Since: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)}, false},
	{"status=5xx&method=post", store.Filter{StatusClass: 5, Method: "POST"}, false},
	{"status=4", store.Filter{StatusClass: 4}, false},
	{"outcome=queued&order=oldest&missed=true&replays=true", store.Filter{Outcome: store.OutcomeQueued,
		Oldest: true, Missed: true, ReplayOnly: true}, false},
	{"q=evt_1&verified=failed", store.Filter{Text: "evt_1", Verified: "failed"}, false},
	{"limit=-1", store.Filter{}, true},
	{"limit=x", store.Filter{}, true},
	{"since=yesterday", store.Filter{}, true},
	{"status=9xx", store.Filter{}, true},
	{"outcome=maybe", store.Filter{}, true},
}

func TestParseFilter(t *testing.T) {
	for _, tc := range filterCases {
		t.Run(tc.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			got, err := ParseFilter(q, now)
			if tc.err {
				if !errors.Is(err, ErrBadFilter) {
					t.Fatalf("err = %v, want ErrBadFilter", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			back, err := ParseFilter(FilterQuery(got), now)
			if err != nil || !reflect.DeepEqual(back, got) {
				t.Fatalf("round trip: got %+v, %v; want %+v", back, err, got)
			}
		})
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, tc := range filterCases {
		f.Add(tc.query)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		got, err := ParseFilter(q, now)
		if err != nil {
			return
		}
		back, err := ParseFilter(FilterQuery(got), now)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", FilterQuery(got).Encode(), err)
		}
		if !back.Since.Equal(got.Since) || !back.Until.Equal(got.Until) {
			t.Fatalf("times changed: %v %v -> %v %v", got.Since, got.Until, back.Since, back.Until)
		}
	})
}
