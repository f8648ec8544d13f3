package peer

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/proto"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// listen returns a listener on 127.0.0.1:0, closed at the end of the test.
func listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// rig is a holder node "node-b" serving on a real listener and Peers of "node-a".
type rig struct {
	holder *Holder
	peers  *Peers
	b      Node
	ln     net.Listener

	mu    sync.Mutex
	conns []net.Conn // every conn node-a dialed
	dials int
}

type rigOpts struct {
	open       OpenFunc
	maxSplices int
}

func newRig(t testing.TB, o rigOpts) *rig {
	t.Helper()
	r := &rig{ln: listen(t)}
	h, err := NewHolder(HolderConfig{Node: "node-b", Secret: testSecret, Open: o.open, MaxSplices: o.maxSplices})
	if err != nil {
		t.Fatal(err)
	}
	r.holder, r.b = h, Node{ID: "node-b", Addr: r.ln.Addr().String()}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = h.Serve(r.ln)
	}()
	p, err := NewPeers(DialerConfig{Node: "node-a", Secret: testSecret, Dial: r.dial})
	if err != nil {
		t.Fatal(err)
	}
	r.peers = p
	t.Cleanup(func() {
		_ = p.Close()
		_ = h.Close()
		<-served
	})
	return r
}

// dial dials TCP and remembers the conn, so tests can cut the link.
func (r *rig) dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := dialTCP(ctx, addr)
	if err == nil {
		r.mu.Lock()
		r.conns = append(r.conns, c)
		r.dials++
		r.mu.Unlock()
	}
	return c, err
}

func (r *rig) dialCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dials
}

// cut closes every conn node-a dialed, as a dead network would.
func (r *rig) cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		_ = c.Close()
	}
}

func (r *rig) splice(t testing.TB, tunnel string) net.Conn {
	t.Helper()
	c, err := r.peers.Splice(context.Background(), r.b, testSplice(tunnel))
	if err != nil {
		t.Fatalf("splice: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testSplice(tunnel string) Splice {
	return Splice{Tunnel: tunnel, Generation: 41, DeliveryID: "d-1", Client: "s-1"}
}

// clientSession is a relay-client's session as the holder sees it: a yamux session
// over real TCP whose far end serves HTTP with handler on every stream the holder opens.
func clientSession(t testing.TB, handler http.Handler) OpenFunc {
	t.Helper()
	open, _ := clientSessionKillable(t, handler)
	return open
}

// clientSessionKillable is clientSession with a function that cuts the session's conn.
func clientSessionKillable(t testing.TB, handler http.Handler) (OpenFunc, func()) {
	t.Helper()
	ln := listen(t)
	srv := &http.Server{Handler: handler}
	served := make(chan struct{})
	go func() {
		defer close(served)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		sess, err := proto.Client(c, nil)
		if err != nil {
			return
		}
		_ = srv.Serve(sess)
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sess, err := proto.Server(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = sess.Close()
		_ = srv.Close()
		_ = ln.Close()
		<-served
	})
	return openOn(sess), func() { _ = c.Close() }
}

// openOn opens a stream of sess for every splice.
func openOn(sess *yamux.Session) OpenFunc {
	return func(string, int64, string) (net.Conn, error) { return sess.OpenStream() }
}

// rawEnd is a TCP server for splices that carry no HTTP: each conn the holder opens is
// handed to serve.
func rawEnd(t testing.TB, serve func(net.Conn)) OpenFunc {
	t.Helper()
	ln := listen(t)
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return func(string, int64, string) (net.Conn, error) { return net.Dial("tcp", ln.Addr().String()) }
}

// settle waits up to 20 s for the goroutine count to fall to at most want.
func settle(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, want at most %d:\n%s", n, want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// within fails the test unless f returns within d.
func within(t *testing.T, d time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("%s: no result within %s", what, d)
	}
	return errors.New("unreachable")
}
