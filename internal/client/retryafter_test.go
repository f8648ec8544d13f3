package client

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// TestRefusalRetryAfter: a refused connect that says Retry-After makes the next try
// wait at least that long (capped at proto.MaxBackoff); one that is permanent, or says
// nothing usable, keeps the plain backoff.
func TestRefusalRetryAfter(t *testing.T) {
	tests := []struct {
		name, code, retryAfter string
		status                 int
		min, max               time.Duration // of the next wait after a 1 s backoff
		permanent              bool
	}{
		{"rate limited", "rate_limited", "7", 429, 7 * time.Second, 7 * time.Second, false},
		{"shorter than the backoff", "rate_limited", "0", 429, time.Second, 1500 * time.Millisecond, false},
		{"capped", "too_many_sessions", "3600", 429, proto.MaxBackoff, proto.MaxBackoff, false},
		{"an HTTP date is ignored", "overloaded", "Wed, 21 Oct 2015 07:28:00 GMT", 503, time.Second, 1500 * time.Millisecond, false},
		{"no code in the body", "", "5", 502, 5 * time.Second, 5 * time.Second, false},
		{"permanent", "bad_token", "5", 401, time.Second, 1500 * time.Millisecond, true},
	}
	for _, tt := range tests {
		body := "{}"
		if tt.code != "" {
			body = `{"error":{"code":"` + tt.code + `","message":"no"}}`
		}
		resp := &http.Response{StatusCode: tt.status, Status: http.StatusText(tt.status),
			Header: http.Header{"Retry-After": {tt.retryAfter}}, Body: io.NopCloser(strings.NewReader(body))}
		err := dialError(resp, errors.New("bad handshake"))
		if got := errors.Is(err, ErrPermanent); got != tt.permanent {
			t.Errorf("%s: permanent = %v, want %v (%v)", tt.name, got, tt.permanent, err)
		}
		if w := nextWait(time.Second, err); w < tt.min || w > tt.max {
			t.Errorf("%s: next wait %v, want %v to %v", tt.name, w, tt.min, tt.max)
		}
	}
}
