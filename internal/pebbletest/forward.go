package pebbletest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dialTimeout bounds connecting to a Route target.
const dialTimeout = 5 * time.Second

// forwarder accepts connections on 127.0.0.1:0 and pipes each to the current target.
type forwarder struct {
	ln        net.Listener
	forwarded atomic.Int64 // connections piped to a target

	mu     sync.Mutex
	target string
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// startForwarder listens until the test ends, then closes every open connection.
func startForwarder(tb testing.TB) *forwarder {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("pebbletest: listen: %v", err)
	}
	f := &forwarder{ln: ln, conns: make(map[net.Conn]struct{})}
	f.wg.Add(1)
	go f.acceptLoop()
	tb.Cleanup(f.close)
	return f
}

func (f *forwarder) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func (f *forwarder) setTarget(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.target = addr
}

func (f *forwarder) acceptLoop() {
	defer f.wg.Done()
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		if !f.track(conn) {
			return
		}
		go f.pipe(conn)
	}
}

// track registers conn for closing at cleanup; false when cleanup already ran.
func (f *forwarder) track(conn net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conns == nil {
		conn.Close()
		return false
	}
	f.conns[conn] = struct{}{}
	f.wg.Add(1)
	return true
}

func (f *forwarder) untrack(conn net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.conns, conn)
	conn.Close()
}

// pipe copies bytes both ways between conn and a fresh connection to the target.
func (f *forwarder) pipe(conn net.Conn) {
	defer f.wg.Done()
	defer f.untrack(conn)
	f.mu.Lock()
	target := f.target
	f.mu.Unlock()
	if target == "" {
		return
	}
	up, err := net.DialTimeout("tcp", target, dialTimeout)
	if err != nil {
		return
	}
	f.forwarded.Add(1)
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(up, conn)
		up.Close()
		close(done)
	}()
	_, _ = io.Copy(conn, up)
	conn.Close()
	<-done
}

// close stops accepting, closes open connections and waits for every goroutine.
func (f *forwarder) close() {
	f.ln.Close()
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.conns = nil
	f.mu.Unlock()
	f.wg.Wait()
}
