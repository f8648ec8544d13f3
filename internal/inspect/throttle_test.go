package inspect

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

// TestLoginThrottlePerAddress: a client address that fails too many logins is refused
// with 429, and only that one: a user on another address still logs in.
func TestLoginThrottlePerAddress(t *testing.T) {
	srv, _ := loginServer(t, false)
	noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	attacker := &http.Client{Transport: fromAddr(t, "127.0.0.2"), CheckRedirect: noFollow} // browser() shares srv's client
	for range maxFailures + 5 {
		login(t, attacker, srv, "wrong")
	}
	if resp := login(t, attacker, srv, "token-a"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the failing address after %d failures: %d, want 429", maxFailures+5, resp.StatusCode)
	}
	user := &http.Client{Transport: fromAddr(t, "127.0.0.1"), CheckRedirect: noFollow}
	if resp := login(t, user, srv, "token-a"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another address: %d, want the login to succeed", resp.StatusCode)
	}
}

// fromAddr is a transport whose connections leave from the loopback address ip.
func fromAddr(t *testing.T, ip string) *http.Transport {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// TestFailuresBounded: many failing addresses cost bounded memory, an address's count
// ends with its window, and IPv6 addresses of one /64 count together.
func TestFailuresBounded(t *testing.T) {
	now := time.Unix(1e9, 0)
	f := newFailures(func() time.Time { return now })
	for i := range maxTracked + 5000 {
		f.failed(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32))
	}
	if n := len(f.byAddr); n > maxTracked {
		t.Fatalf("%d addresses remembered, cap %d", n, maxTracked)
	}
	a := clientAddr(&http.Request{RemoteAddr: "[2001:db8::1]:4000"})
	b := clientAddr(&http.Request{RemoteAddr: "[2001:db8::ffff:2]:4001"})
	if a != b || clientAddr(&http.Request{RemoteAddr: "[::ffff:192.0.2.1]:1"}) != netip.MustParsePrefix("192.0.2.1/32") {
		t.Fatalf("addresses: %v %v", a, b)
	}
	for range maxFailures {
		f.failed(a)
	}
	if !f.throttled(b) {
		t.Fatal("the /64 is not throttled")
	}
	now = now.Add(failureWindow + time.Second)
	if f.throttled(a) {
		t.Fatal("still throttled after the window")
	}
}
