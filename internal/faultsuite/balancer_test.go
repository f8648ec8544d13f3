package faultsuite

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// balancer is a TCP round-robin load balancer in front of several relays, as an
// operator puts one in front of a cluster: each connection goes to the next backend
// that accepts a dial (a dead one is skipped), bytes are copied both ways, and when
// either side ends both are closed.
type balancer struct {
	ln       net.Listener
	backends []string
	next     atomic.Uint64

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// startBalancer listens on a loopback port in front of backends until the test ends.
func startBalancer(t *testing.T, backends []string) *balancer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("balancer: listen: %v", err)
	}
	b := &balancer{ln: ln, backends: backends, conns: map[net.Conn]struct{}{}}
	b.wg.Add(1)
	go b.accept()
	t.Cleanup(b.close)
	return b
}

func (b *balancer) addr() string { return b.ln.Addr().String() }

func (b *balancer) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.wg.Add(1)
		go b.serve(c)
	}
}

// serve pairs c with the first backend, from the next in turn, that accepts a dial.
func (b *balancer) serve(c net.Conn) {
	defer b.wg.Done()
	start := b.next.Add(1)
	for i := range uint64(len(b.backends)) {
		d, err := net.DialTimeout("tcp", b.backends[(start+i)%uint64(len(b.backends))], time.Second)
		if err == nil {
			b.pipe(c, d)
			return
		}
	}
	_ = c.Close()
}

func (b *balancer) pipe(c, d net.Conn) {
	if !b.track(c, d) {
		return
	}
	defer b.untrack(c, d)
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go cp(d, c)
	go cp(c, d)
	<-done
	_, _ = c.Close(), d.Close()
	<-done
}

// track registers an open pair; false (both closed) once the balancer is closing.
func (b *balancer) track(c, d net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conns == nil {
		_, _ = c.Close(), d.Close()
		return false
	}
	b.conns[c], b.conns[d] = struct{}{}, struct{}{}
	return true
}

func (b *balancer) untrack(c, d net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.conns, c)
	delete(b.conns, d)
}

// close stops accepting, closes every open connection and waits for the copies.
func (b *balancer) close() {
	_ = b.ln.Close()
	b.mu.Lock()
	for c := range b.conns {
		_ = c.Close()
	}
	b.conns = nil
	b.mu.Unlock()
	b.wg.Wait()
}
