package webhook

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// headerValue returns the first value of the named header. Headers built by
// net/http are canonical; recorded or hand-built maps may not be, so a miss
// falls back to a case-insensitive scan.
func headerValue(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
}

// validHeaderName reports whether name is a non-empty HTTP field name
// (an RFC 9110 token).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if !isTokenChar(c) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// validHeaderValue reports whether v survives a trip through HTTP as is:
// no control characters and no leading or trailing whitespace, which
// receivers strip.
func validHeaderValue(v string) bool {
	for _, c := range []byte(v) {
		if c < ' ' || c == 0x7f {
			return false
		}
	}
	return strings.TrimSpace(v) == v
}

// parseUnix reads a Unix timestamp in decimal seconds.
func parseUnix(s string) (int64, bool) {
	ts, err := strconv.ParseInt(s, 10, 64)
	return ts, err == nil
}

// withinTolerance reports whether ts (Unix seconds) lies within tol of now,
// either side. It compares in seconds so that extreme values cannot
// overflow a time.Duration.
func withinTolerance(ts int64, now time.Time, tol time.Duration) bool {
	lo := now.Add(-tol).Unix()
	hi := now.Add(tol).Unix()
	return lo <= ts && ts <= hi
}

// unixString formats now as decimal Unix seconds.
func unixString(now time.Time) string {
	return strconv.FormatInt(now.Unix(), 10)
}
