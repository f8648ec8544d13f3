package main

import "testing"

func TestBannerHelpers(t *testing.T) {
	for _, tt := range []struct{ self, want string }{
		{"/tmp/go-build123/b001/exe/relay-server", "go run ./relay-client"},
		{"/usr/local/bin/relay-server", "relay-client"},
		{"bin/relay-server", "relay-client"},
	} {
		if got := clientCommand(tt.self); got != tt.want {
			t.Errorf("clientCommand(%q) = %q, want %q", tt.self, got, tt.want)
		}
	}
	for _, tt := range []struct{ public, domain, want string }{
		{"http://127.0.0.1:8080", "localhost", "http://NAME.localhost:8080/"},
		{"https://relay.example.com", "relay.example.com", "https://NAME.relay.example.com/"},
	} {
		if got := hostFormURL(tt.public, tt.domain); got != tt.want {
			t.Errorf("hostFormURL(%q) = %q, want %q", tt.public, got, tt.want)
		}
	}
}
