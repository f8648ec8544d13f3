package server_test

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

// openAttempt is what one session open got: the upgrade's status, and for a refusal its
// code and Retry-After.
type openAttempt struct {
	status      int
	code, retry string
}

// openSession opens a session with token from local (an address on loopback) and closes
// it at once, as a client churning sessions would.
func openSession(t *testing.T, srvURL, token string, local net.IP) openAttempt {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	h.Set(proto.HeaderVersion, strconv.Itoa(proto.Version))
	nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: local}}
	d := websocket.Dialer{NetDialContext: nd.DialContext, HandshakeTimeout: time.Minute}
	ws, resp, err := d.Dial("ws"+strings.TrimPrefix(srvURL, "http")+proto.ConnectPath, h)
	if err == nil {
		ws.Close()
		return openAttempt{status: http.StatusSwitchingProtocols}
	}
	if resp == nil {
		t.Errorf("open a session: %v", err)
		return openAttempt{}
	}
	return openAttempt{status: resp.StatusCode, code: resp.Header.Get(proto.HeaderError), retry: resp.Header.Get("Retry-After")}
}

// opened reports whether the session opened; it counts a refusal, failing the test unless it is 429 rate_limited with a
// Retry-After.
func (a openAttempt) opened(t *testing.T) bool {
	switch {
	case a.status == http.StatusSwitchingProtocols:
		return true
	case a.status != http.StatusTooManyRequests || a.code != string(proto.CodeRateLimited) || a.retry == "":
		t.Errorf("refused open: status %d, code %q, Retry-After %q; want 429 rate_limited with Retry-After",
			a.status, a.code, a.retry)
	}
	return false
}

var loopback, loopback2 = net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 2)

// TestSessionOpensRated: one token churning sessions as fast as it can gets no more
// than its burst plus its rate, the rest 429 rate_limited before any upgrade; meanwhile
// a relay-client of another token, from the same address, loses its connection three
// times and reconnects each time on its own schedule. Default rates.
func TestSessionOpensRated(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	link := newSlowLink(t, srv.Addr, 0)
	legit := relaytest.StartClient(t, link.url(), relaytest.OtherToken,
		client.Tunnel{Name: "legit", Target: relaytest.Target(t, srv.URL)})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	opened, tried := 0, 0
	start := time.Now()
	wg.Go(func() {
		for ctx.Err() == nil {
			tried++
			if openSession(t, srv.URL, relaytest.Token, loopback).opened(t) {
				opened++
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	for range 3 {
		link.cut()
		legit.WaitOnline(t)
	}
	cancel()
	wg.Wait()
	most := server.DefaultSessionBurst + int(server.DefaultSessionRate*time.Since(start).Seconds()) + 1
	t.Logf("flood: %d of %d opens went through (bound %d)", opened, tried, most)
	if opened > most || opened == tried {
		t.Errorf("flood: %d of %d opens went through, want at most %d", opened, tried, most)
	}
}

// TestSourceSessionRate: opens from one address count together across tokens, and
// another address has a bucket of its own.
func TestSourceSessionRate(t *testing.T) {
	srv := relaytest.StartServer(t, "", func(c *server.Config) {
		c.SourceSessionRate, c.SourceSessionBurst = 0.01, 3
	})
	for i, tc := range []struct {
		token  string
		from   net.IP
		opened bool
	}{
		{relaytest.Token, loopback, true}, {relaytest.OtherToken, loopback, true}, {relaytest.Token, loopback, true},
		{relaytest.OtherToken, loopback, false}, {relaytest.Token, loopback, false},
		{relaytest.Token, loopback2, true},
	} {
		if got := openSession(t, srv.URL, tc.token, tc.from).opened(t); got != tc.opened {
			t.Errorf("open %d from %v: opened %v, want %v", i+1, tc.from, got, tc.opened)
		}
	}
}
