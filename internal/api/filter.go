package api

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// ErrBadFilter is returned by ParseFilter for a malformed query parameter.
var ErrBadFilter = errors.New("api: bad filter")

// ParseFilter reads list filters from a query string. now resolves relative times like
// since=1h. Owner is left for the caller to set from the token.
func ParseFilter(q url.Values, now time.Time) (store.Filter, error) {
	f := store.Filter{Tunnel: q.Get("tunnel"), Cursor: q.Get("cursor"), Method: strings.ToUpper(q.Get("method")),
		Outcome: store.Outcome(q.Get("outcome")), Text: q.Get("q"), Verified: q.Get("verified"),
		ReplayOnly: q.Get("replays") == "true", Oldest: q.Get("order") == "oldest", Missed: q.Get("missed") == "true"}
	var err error
	if f.Limit, err = intParam(q, "limit"); err != nil {
		return f, err
	}
	if f.Since, err = timeParam(q, "since", now); err != nil {
		return f, err
	}
	if f.Until, err = timeParam(q, "until", now); err != nil {
		return f, err
	}
	if f.StatusClass, err = statusParam(q.Get("status")); err != nil {
		return f, err
	}
	if f.Outcome != "" && !f.Outcome.Valid() {
		return f, fmt.Errorf("%w: outcome %q", ErrBadFilter, f.Outcome)
	}
	return f, nil
}

func intParam(q url.Values, key string) (int, error) {
	v := q.Get(key)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: %s=%q", ErrBadFilter, key, v)
	}
	return n, nil
}

// timeParam accepts RFC 3339 or a duration back from now ("1h", "30m").
func timeParam(q url.Values, key string, now time.Time) (time.Time, error) {
	v := q.Get(key)
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s=%q: want RFC 3339 or a duration like 1h", ErrBadFilter, key, v)
	}
	return t, nil
}

// statusParam accepts a class like "5xx" or "5".
func statusParam(v string) (int, error) {
	v = strings.TrimSuffix(strings.ToLower(v), "xx")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 5 {
		return 0, fmt.Errorf("%w: status=%q: want 1xx..5xx", ErrBadFilter, v)
	}
	return n, nil
}

// FilterQuery is the inverse of ParseFilter for the fields a client sets.
func FilterQuery(f store.Filter) url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("tunnel", f.Tunnel)
	set("cursor", f.Cursor)
	set("method", f.Method)
	set("outcome", string(f.Outcome))
	set("q", f.Text)
	set("verified", f.Verified)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.UTC().Format(time.RFC3339Nano))
	}
	if f.StatusClass > 0 {
		q.Set("status", strconv.Itoa(f.StatusClass)+"xx")
	}
	if f.ReplayOnly {
		q.Set("replays", "true")
	}
	if f.Oldest {
		q.Set("order", "oldest")
	}
	if f.Missed {
		q.Set("missed", "true")
	}
	return q
}
