package server_test

import (
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/proto"
)

// blackhole is a TCP proxy that can silently stop moving bytes while keeping connections
// open: a dead network path with no FIN or RST, which only heartbeats can detect.
type blackhole struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	dead   bool
}

func newBlackhole(tb testing.TB, target string) *blackhole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	b := &blackhole{ln: ln, target: target}
	tb.Cleanup(func() { ln.Close() })
	go b.serve()
	return b
}

func (b *blackhole) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", b.target)
		if err != nil {
			c.Close()
			continue
		}
		go b.pipe(c, up)
		go b.pipe(up, c)
	}
}

func (b *blackhole) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			dst.Close()
			return
		}
		if b.isDead() {
			continue // swallow: the path is dead, the sockets are not
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			src.Close()
			return
		}
	}
}

func (b *blackhole) isDead() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dead
}

func (b *blackhole) kill() {
	b.mu.Lock()
	b.dead = true
	b.mu.Unlock()
}

func (b *blackhole) url() string { return "http://" + b.ln.Addr().String() }

// TestHeartbeatDetectsDeadPath: when the network path dies silently, the server takes
// the tunnel offline within KeepAliveInterval+KeepAliveTimeout (plus slack), and the
// client notices and starts reconnecting.
func TestHeartbeatDetectsDeadPath(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for keep-alive timeouts")
	}
	srv := relaytest.StartServer(t, "", nil)
	be := backend(t)
	path := newBlackhole(t, srv.Addr)
	cl := relaytest.StartClient(t, path.url(), relaytest.Token, client.Tunnel{Name: "hb", Target: relaytest.Target(t, be.URL)})
	path.kill()
	start := time.Now()
	limit := proto.KeepAliveInterval + proto.KeepAliveTimeout + 4*time.Second
	for {
		resp, err := http.Get(srv.URL + "/t/hb/")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				break
			}
		}
		if time.Since(start) > limit {
			t.Fatalf("tunnel still online %v after the path died", time.Since(start))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("server noticed the dead path after %v", time.Since(start).Round(100*time.Millisecond))
	for cl.State() != client.StateReconnecting {
		if time.Since(start) > limit {
			t.Fatalf("client state %s %v after the path died", cl.State(), time.Since(start))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
