package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

var redirectTests = []struct {
	host, port, uri string
	want            string // "" when refused
}{
	{"relay.example.com", "443", "/t/a/b?c=d", "https://relay.example.com/t/a/b?c=d"},
	{"relay.example.com:80", "", "/", "https://relay.example.com/"},
	{"hooks.relay.example.com:8080", "8443", "/x", "https://hooks.relay.example.com:8443/x"},
	{"RELAY.example.com", "443", "/", "https://RELAY.example.com/"},
	{"127.0.0.1:80", "443", "/", "https://127.0.0.1/"},
	{"[::1]:80", "443", "/p", "https://[::1]/p"},
	{"[::1]", "8443", "/p", "https://[::1]:8443/p"},
	{"relay.example.com", "443", "*", "https://relay.example.com/"},
	{"", "443", "/", ""},
	{"evil.com/path", "443", "/", ""},
	{"user@evil.com", "443", "/", ""},
	{"a b", "443", "/", ""},
	{"relay.example.com\r\nX: y", "443", "/", ""},
	{"%65vil.com", "443", "/", ""},
	{"relay.example.com", "44/3", "/", ""},
	{"X::", "0", "/", ""},
}

func TestRedirectTarget(t *testing.T) {
	for _, tt := range redirectTests {
		got, ok := redirectTarget(tt.host, tt.port, tt.uri)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("redirectTarget(%q, %q, %q) = %q, %v; want %q", tt.host, tt.port, tt.uri, got, ok, tt.want)
		}
	}
}

func TestRedirectHandler(t *testing.T) {
	h := httpsRedirect("8443")
	req := httptest.NewRequest(http.MethodPost, "http://relay.test/t/a?b=1", strings.NewReader("{}"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusPermanentRedirect || rec.Header().Get("Location") != "https://relay.test:8443/t/a?b=1" {
		t.Errorf("got %d %q", rec.Code, rec.Header().Get("Location"))
	}
	req.Host = ""
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest || rec.Header().Get("X-Hookrelay-Error") != "bad_request" {
		t.Errorf("empty host: got %d %v, want the relay's 400 bad_request", rec.Code, rec.Header())
	}
}

// FuzzRedirectTarget checks every accepted target is an https URL whose host is the
// request's host, so a Host header can never redirect elsewhere.
func FuzzRedirectTarget(f *testing.F) {
	for _, tt := range redirectTests {
		f.Add(tt.host, tt.port, tt.uri)
	}
	f.Fuzz(func(t *testing.T, host, port, uri string) {
		if _, err := url.ParseRequestURI(uri); err != nil {
			return // the handler passes r.URL.RequestURI(), always valid
		}
		target, ok := redirectTarget(host, port, uri)
		if !ok {
			return
		}
		u, err := url.Parse(target)
		if err != nil || u.Scheme != "https" || u.User != nil || u.Hostname() == "" {
			t.Fatalf("redirectTarget(%q, %q, %q) = %q: not a plain https URL (%v)", host, port, uri, target, err)
		}
		if !strings.Contains(strings.ToLower(host), strings.ToLower(u.Hostname())) {
			t.Fatalf("redirectTarget(%q, ...) = %q: host changed", host, target)
		}
	})
}
