package certs

import (
	"context"
	"errors"
	"strings"
	"testing"
)

var exactHostsCases = []struct {
	name    string
	allowed []string
	host    string
	want    bool
}{
	{"exact", []string{"relay.example.com"}, "relay.example.com", true},
	{"case insensitive", []string{"Relay.Example.COM"}, "rELAY.example.com", true},
	{"trailing dot in request", []string{"relay.example.com"}, "relay.example.com.", true},
	{"trailing dot in list", []string{"relay.example.com."}, "relay.example.com", true},
	{"port ignored", []string{"relay.example.com"}, "relay.example.com:80", true},
	{"reserved tunnel name", []string{"relay.example.com", "alice.relay.example.com"}, "alice.relay.example.com", true},
	{"unreserved subdomain", []string{"relay.example.com"}, "random.relay.example.com", false},
	{"parent domain", []string{"relay.example.com"}, "example.com", false},
	{"suffix trick", []string{"relay.example.com"}, "evilrelay.example.com", false},
	{"no wildcard expansion", []string{"*.relay.example.com"}, "x.relay.example.com", false},
	{"empty host", []string{"relay.example.com"}, "", false},
	{"empty list", nil, "relay.example.com", false},
	{"empty entry ignored", []string{""}, "", false},
	{"ip literal", []string{"127.0.0.1"}, "127.0.0.1", true},
	{"ipv6 brackets", []string{"::1"}, "[::1]:443", true},
	{"double trailing dot", []string{"relay.example.com"}, "relay.example.com..", false},
}

func TestExactHosts(t *testing.T) {
	for _, tc := range exactHostsCases {
		t.Run(tc.name, func(t *testing.T) {
			err := ExactHosts(tc.allowed...)(context.Background(), tc.host)
			if got := err == nil; got != tc.want {
				t.Fatalf("ExactHosts(%q)(%q) = %v, want allowed=%v", tc.allowed, tc.host, err, tc.want)
			}
			if err != nil && !errors.Is(err, ErrHostNotAllowed) {
				t.Fatalf("error %v does not wrap ErrHostNotAllowed", err)
			}
		})
	}
}

func FuzzExactHosts(f *testing.F) {
	for _, tc := range exactHostsCases {
		f.Add(strings.Join(tc.allowed, ","), tc.host)
	}
	f.Fuzz(func(t *testing.T, list, host string) {
		allowed := strings.Split(list, ",")
		err := ExactHosts(allowed...)(context.Background(), host)
		if err != nil {
			if !errors.Is(err, ErrHostNotAllowed) {
				t.Fatalf("unexpected error type: %v", err)
			}
			return
		}
		// An allowed host must equal a listed name after canonicalisation.
		c := canonicalHost(host)
		for _, a := range allowed {
			if canonicalHost(a) == c && c != "" {
				return
			}
		}
		t.Fatalf("host %q allowed by %q without a matching entry", host, allowed)
	})
}

func TestCanonicalHost(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Example.COM", "example.com"},
		{"example.com.", "example.com"},
		{"example.com:8443", "example.com"},
		{"[::1]:443", "::1"},
		{"[::1]", "::1"},
		{"::1", "::1"},
		{"", ""},
	}
	for _, tc := range cases {
		if got := canonicalHost(tc.in); got != tc.want {
			t.Errorf("canonicalHost(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
