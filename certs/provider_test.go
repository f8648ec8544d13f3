package certs

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRedirectToHTTPS(t *testing.T) {
	cases := []struct {
		name, method, target, host string
		wantCode                   int
		wantLocation               string
	}{
		{"get with query", http.MethodGet, "/t/alice/hook?x=1&y=2", "relay.example.com", 308, "https://relay.example.com/t/alice/hook?x=1&y=2"},
		{"port dropped", http.MethodGet, "/a", "relay.example.com:80", 308, "https://relay.example.com/a"},
		{"post keeps method via 308", http.MethodPost, "/t/alice", "relay.example.com", 308, "https://relay.example.com/t/alice"},
		{"root", http.MethodHead, "/", "Relay.Example.com.", 308, "https://relay.example.com/"},
		{"escaped path", http.MethodGet, "/a%2Fb/c%20d", "relay.example.com", 308, "https://relay.example.com/a%2Fb/c%20d"},
		{"ipv6 host", http.MethodGet, "/x", "[::1]:80", 308, "https://[::1]/x"},
		{"empty host", http.MethodGet, "/x", "", 400, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, nil)
			r.Host = tc.host
			w := httptest.NewRecorder()
			orRedirect(nil).ServeHTTP(w, r)
			if w.Code != tc.wantCode {
				t.Fatalf("status = %d, want %d", w.Code, tc.wantCode)
			}
			if got := w.Header().Get("Location"); got != tc.wantLocation {
				t.Fatalf("Location = %q, want %q", got, tc.wantLocation)
			}
		})
	}
}

func TestHTTPHandlerFallback(t *testing.T) {
	fallback := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	s, err := NewSelfSigned(SelfSignedConfig{Domain: "relay.test"})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.HTTPHandler(fallback).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/x", nil))
	if w.Code != http.StatusTeapot {
		t.Fatalf("status = %d, want fallback's %d", w.Code, http.StatusTeapot)
	}
}
