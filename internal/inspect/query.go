package inspect

import (
	"bytes"
	"net/url"
	"strings"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
)

// filterKeys are the list filters the form carries from page to page and to the live feed.
var filterKeys = []string{"q", "method", "status", "verified", "outcome", "tunnel", "since", "until", "replays"}

// localLayouts are the time forms the filter accepts besides RFC 3339 and durations, read
// in the inspector's time zone: what a datetime-local input sends, and what people type.
var localLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02"}

// parseQuery reads the list filters of a page or feed URL. since and until take a
// duration back from now ("1h"), RFC 3339, or a local date and time. Errors wrap
// api.ErrBadFilter.
func parseQuery(q url.Values, now time.Time, loc *time.Location) (store.Filter, error) {
	q = cloneValues(q)
	for _, key := range []string{"since", "until"} {
		if t, ok := localTime(strings.TrimSpace(q.Get(key)), loc); ok {
			q.Set(key, t.UTC().Format(time.RFC3339Nano))
		}
	}
	return api.ParseFilter(q, now)
}

func localTime(v string, loc *time.Location) (time.Time, bool) {
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// filterValues keeps only the filter keys of q, dropping empty ones, for links.
func filterValues(q url.Values) url.Values {
	out := url.Values{}
	for _, k := range filterKeys {
		if v := q.Get(k); v != "" || (k == "tunnel" && q.Has(k)) {
			out.Set(k, v)
		}
	}
	return out
}

// matchesSummary reports whether a live delivery passes every filter but the text one,
// which may need the body (see matchesText).
func matchesSummary(f store.Filter, s api.Summary) bool {
	return (f.Tunnel == "" || f.Tunnel == s.Tunnel) &&
		(f.Method == "" || f.Method == s.Method) &&
		(f.StatusClass == 0 || s.Status/100 == f.StatusClass) &&
		(f.Outcome == "" || f.Outcome == s.Outcome) &&
		verdictMatches(f.Verified, s.Verification) &&
		(!f.ReplayOnly || s.ReplayOf != "") &&
		(!f.Missed || missedOutcome(s.Outcome)) &&
		(f.Since.IsZero() || !s.ReceivedAt.Before(f.Since)) &&
		(f.Until.IsZero() || s.ReceivedAt.Before(f.Until))
}

func verdictMatches(want string, v *store.Verification) bool {
	switch want {
	case store.VerifiedOK:
		return v != nil && v.OK
	case store.VerifiedFailed:
		return v != nil && !v.OK
	}
	return true
}

func missedOutcome(o store.Outcome) bool { return o.Missed() }

// containsFold reports whether b contains text, ignoring ASCII case, like the store's
// text filter.
func containsFold(b []byte, text string) bool {
	return bytes.Contains(asciiLower(b), asciiLower([]byte(text)))
}

func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}
