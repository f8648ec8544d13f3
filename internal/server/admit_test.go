package server

import (
	"net/http"
	"testing"
	"time"
)

func TestSourceOf(t *testing.T) {
	for _, tc := range []struct{ remote, want string }{
		{"192.0.2.7:5000", "192.0.2.7"},
		{"[2001:db8:1:2:aaaa::1]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:bbbb::9]:443", "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.7]:80", "::ffff:192.0.2.7"},
		{"not an address", "not an address"},
	} {
		if got := sourceOf(&http.Request{RemoteAddr: tc.remote}); got != tc.want {
			t.Errorf("sourceOf(%q) = %q, want %q", tc.remote, got, tc.want)
		}
	}
}

// TestLimiter: a bucket holds twice the rate, refills at the rate, and says how long
// until the next token.
func TestLimiter(t *testing.T) {
	var ls limiters
	now := time.Unix(1000, 0)
	for i := range 4 {
		if ok, _ := ls.allow("k", now, 2, 4); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := ls.allow("k", now, 2, 4)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("over the burst: ok %v wait %v, want refused for 500ms", ok, wait)
	}
	if ok, _ := ls.allow("k", now.Add(500*time.Millisecond), 2, 4); !ok {
		t.Fatal("refused after the refill")
	}
	if ok, _ := ls.allow("other", now, 2, 4); !ok {
		t.Fatal("another key refused")
	}
}

// TestBudget: a budget admits up to its limit, and one request over the whole limit
// when nothing else is in flight.
func TestBudget(t *testing.T) {
	b := budget{limit: 10}
	if !b.take(30) || b.take(1) {
		t.Fatal("an oversized request alone should pass, and hold the budget")
	}
	b.give(30)
	if !b.take(6) || !b.take(4) || b.take(1) || !b.take(0) {
		t.Fatal("want 6 and 4 taken, 1 refused, 0 always passing")
	}
}
