package client

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

func TestJitterStaysInBounds(t *testing.T) {
	for d := proto.MinBackoff; d <= proto.MaxBackoff; d *= 2 {
		for range 100 {
			got := jitter(d)
			if got < d || got > d+d/2 || got > proto.MaxBackoff {
				t.Fatalf("jitter(%v) = %v, want in [%v, min(%v, %v)]", d, got, d, d+d/2, proto.MaxBackoff)
			}
		}
	}
	if got := jitter(proto.MaxBackoff); got != proto.MaxBackoff {
		t.Fatalf("jitter at the cap = %v, want %v", got, proto.MaxBackoff)
	}
}

func TestBackoffSequence(t *testing.T) {
	var seq []time.Duration
	for b := proto.MinBackoff; len(seq) < 8; b = min(b*2, proto.MaxBackoff) {
		seq = append(seq, b)
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i := range want {
		if seq[i] != want[i]*time.Second {
			t.Fatalf("backoff %d = %v, want %v", i, seq[i], want[i]*time.Second)
		}
	}
}

func TestClassifyError(t *testing.T) {
	tests := []struct {
		code      proto.Code
		permanent bool
	}{
		{proto.CodeBadToken, true},
		{proto.CodeVersionMismatch, true},
		{proto.CodeNameTaken, true},
		{proto.CodeBadName, true},
		{proto.CodeReplaced, true},
		{proto.CodeStoreUnavailable, false},
		{proto.CodeShuttingDown, false},
		{proto.CodeInternal, false},
	}
	for _, tt := range tests {
		err := classifyError(&proto.Error{Code: tt.code, Message: "m"})
		if errors.Is(err, ErrPermanent) != tt.permanent {
			t.Errorf("%s: permanent = %v, want %v", tt.code, !tt.permanent, tt.permanent)
		}
		var pe *proto.Error
		if !errors.As(err, &pe) || pe.Code != tt.code {
			t.Errorf("%s: the server's error is not kept: %v", tt.code, err)
		}
	}
}

func TestDialErrorReadsServerCode(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set(proto.HeaderError, "bad_token")
	rec.WriteHeader(http.StatusUnauthorized)
	rec.WriteString(`{"error":{"code":"bad_token","message":"missing or unknown token"}}`)
	err := dialError(rec.Result(), errors.New("bad handshake"))
	if !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "unknown token") {
		t.Fatalf("dialError = %v, want a permanent bad_token", err)
	}
	rec = httptest.NewRecorder()
	rec.WriteHeader(http.StatusBadGateway)
	if err := dialError(rec.Result(), errors.New("bad handshake")); errors.Is(err, ErrPermanent) {
		t.Fatalf("a 502 from a proxy must be retried: %v", err)
	}
}
