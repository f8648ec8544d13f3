package peer

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestRedial: a link cut under idle splices is noticed, and the next splice dials a new
// one on demand.
func TestRedial(t *testing.T) {
	r := newRig(t, rigOpts{open: rawEnd(t, func(c net.Conn) { _, _ = io.Copy(c, c) })})
	c := r.splice(t, "shop")
	echo(t, c, "before")
	r.cut()
	err := within(t, 15*time.Second, "read on a cut link", func() error {
		_, err := io.ReadAll(c)
		return err
	})
	if !errors.Is(err, ErrLinkLost) {
		t.Fatalf("read on a cut link: %v, want link lost", err)
	}
	c2 := r.splice(t, "shop")
	echo(t, c2, "after")
	if n := r.dialCount(); n != 2 {
		t.Fatalf("%d dials, want 2", n)
	}
}

// TestOneLinkPerPeer: concurrent splices to a peer share one dial and one session.
func TestOneLinkPerPeer(t *testing.T) {
	r := newRig(t, rigOpts{open: rawEnd(t, func(c net.Conn) { _, _ = io.Copy(c, c) })})
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := r.peers.Splice(t.Context(), r.b, testSplice("shop"))
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			echo(t, c, "x")
		}()
	}
	wg.Wait()
	if n := r.dialCount(); n != 1 {
		t.Fatalf("%d dials for 16 concurrent splices, want 1", n)
	}
}

// TestHolderReplacesLink: a second link from the same node replaces the first.
func TestHolderReplacesLink(t *testing.T) {
	open := rawEnd(t, func(c net.Conn) { _, _ = io.Copy(c, c) })
	r := newRig(t, rigOpts{open: open})
	c := r.splice(t, "shop")
	echo(t, c, "one")
	p2, err := NewPeers(DialerConfig{Node: "node-a", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	c2, err := p2.Splice(t.Context(), r.b, testSplice("shop"))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	echo(t, c2, "two")
	err = within(t, 15*time.Second, "read on a replaced link", func() error {
		_, err := io.ReadAll(c)
		return err
	})
	if !errors.Is(err, ErrLinkLost) {
		t.Fatalf("read on a replaced link: %v, want link lost", err)
	}
}

// TestSuspectBackoff: the suspect period starts at SuspectFor, doubles per failed
// dial up to MaxSuspectFor, and ends with a successful dial.
func TestSuspectBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second, 4: 30 * time.Second, 9: 30 * time.Second} {
		if got := backoff(n); got != want {
			t.Errorf("backoff(%d) = %s, want %s", n, got, want)
		}
	}
	ln := listen(t)
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	p, err := NewPeers(DialerConfig{Node: "node-a", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var mu sync.Mutex
	now := time.Now()
	p.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	b := Node{ID: "node-b", Addr: addr}
	splice := func() error { _, err := p.Splice(t.Context(), b, testSplice("shop")); return err }

	if err := splice(); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("first: %v, want unreachable", err)
	}
	advance(SuspectFor - time.Millisecond)
	if err := splice(); !errors.Is(err, ErrSuspect) || !p.Suspect("node-b") {
		t.Fatalf("within 5 s: %v, want suspect", err)
	}
	advance(time.Millisecond)
	if err := splice(); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("after 5 s: %v, want a new dial", err)
	}
	advance(2*SuspectFor - time.Millisecond) // second failure: 10 s
	if err := splice(); !errors.Is(err, ErrSuspect) {
		t.Fatalf("within 10 s of a second failure: %v, want suspect", err)
	}

	h, err := NewHolder(HolderConfig{Node: "node-b", Secret: testSecret, Open: rawEnd(t, func(c net.Conn) { _, _ = io.Copy(c, c) })})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ln2 := listen(t)
	go func() { _ = h.Serve(ln2) }()
	b.Addr = ln2.Addr().String() // the node came back at another address
	advance(time.Millisecond)
	c, err := p.Splice(t.Context(), b, testSplice("shop"))
	if err != nil {
		t.Fatalf("after the backoff: %v", err)
	}
	defer c.Close()
	if p.Suspect("node-b") {
		t.Fatal("suspect after a successful dial")
	}
}

// TestCloseJoinsEverything: after Close of both sides, splices in progress and links
// included, the goroutine count is back where it started.
func TestCloseJoinsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		end := rawEnd(t, func(c net.Conn) { _, _ = io.Copy(c, c) })
		ln := listen(t)
		h, err := NewHolder(HolderConfig{Node: "node-b", Secret: testSecret, Open: end})
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- h.Serve(ln) }()
		p, err := NewPeers(DialerConfig{Node: "node-a", Secret: testSecret})
		if err != nil {
			t.Fatal(err)
		}
		b := Node{ID: "node-b", Addr: ln.Addr().String()}
		for range 4 {
			c, err := p.Splice(t.Context(), b, testSplice("shop"))
			if err != nil {
				t.Fatal(err)
			}
			echo(t, c, "open") // left open: Close must end it
		}
		_, _ = p.Splice(t.Context(), Node{ID: "node-gone", Addr: "127.0.0.1:1"}, testSplice("shop"))
		_ = p.Close()
		_ = h.Close()
		if err := <-served; !errors.Is(err, ErrClosed) {
			t.Errorf("serve: %v, want closed", err)
		}
		if _, err := p.Splice(context.Background(), b, testSplice("shop")); !errors.Is(err, ErrClosed) {
			t.Errorf("splice after close: %v", err)
		}
	}()
	settle(t, before+2) // test runner slack: the rawEnd cleanup runs after the test
}

// TestPeersRefused: a holder with another secret, or another node id than the one
// dialed, refuses the link; the dialer gets ErrRefused and marks the peer suspect.
func TestPeersRefused(t *testing.T) {
	r := newRig(t, rigOpts{open: rawEnd(t, func(c net.Conn) {})})
	tests := []struct {
		name   string
		secret []byte
		node   Node
	}{
		{"wrong secret", []byte("not the cluster secret"), r.b},
		{"wrong acceptor id", testSecret, Node{ID: "node-c", Addr: r.b.Addr}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPeers(DialerConfig{Node: "node-a", Secret: tt.secret})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			_, err = p.Splice(t.Context(), tt.node, testSplice("shop"))
			if !errors.Is(err, ErrRefused) || !p.Suspect(tt.node.ID) {
				t.Fatalf("splice: %v (suspect %v), want refused and suspect", err, p.Suspect(tt.node.ID))
			}
		})
	}
}

// TestForget: forgetting a node ends its link; a later splice dials afresh.
func TestForget(t *testing.T) {
	r := newRig(t, rigOpts{open: rawEnd(t, func(c net.Conn) { _, _ = io.Copy(c, c) })})
	c := r.splice(t, "shop")
	echo(t, c, "x")
	r.peers.Forget(r.b.ID)
	err := within(t, 15*time.Second, "read on a forgotten link", func() error {
		_, err := io.ReadAll(c)
		return err
	})
	if !errors.Is(err, ErrLinkLost) {
		t.Fatalf("read on a forgotten link: %v, want link lost", err)
	}
	echo(t, r.splice(t, "shop"), "y")
	if n := r.dialCount(); n != 2 {
		t.Fatalf("%d dials, want 2", n)
	}
}
