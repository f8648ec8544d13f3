package peer

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// blackhole forwards TCP to addr until frozen, then swallows every byte both ways and
// closes nothing: a host that vanished from the network.
type blackhole struct {
	ln     net.Listener
	frozen atomic.Bool
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

func newBlackhole(t *testing.T, addr string) *blackhole {
	bh := &blackhole{ln: listen(t)}
	go bh.serve(addr)
	t.Cleanup(func() {
		_ = bh.ln.Close()
		bh.mu.Lock()
		for _, c := range bh.conns {
			_ = c.Close()
		}
		bh.mu.Unlock()
		bh.wg.Wait()
	})
	return bh
}

func (bh *blackhole) serve(addr string) {
	for {
		in, err := bh.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", addr)
		if err != nil {
			_ = in.Close()
			continue
		}
		bh.mu.Lock()
		bh.conns = append(bh.conns, in, out)
		bh.mu.Unlock()
		bh.wg.Add(2)
		go bh.copy(out, in)
		go bh.copy(in, out)
	}
}

func (bh *blackhole) copy(dst, src net.Conn) {
	defer bh.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if !bh.frozen.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
	}
}

// TestSilentPeer: a peer that stops answering without closing anything is noticed by
// the link's keep-alive (proto.KeepAliveTimeout, 8 s) and the splice fails.
func TestSilentPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the keep-alive timeout")
	}
	r := newRig(t, rigOpts{open: rawEnd(t, func(c net.Conn) { _, _ = io.Copy(c, c) })})
	bh := newBlackhole(t, r.b.Addr)
	via := Node{ID: r.b.ID, Addr: bh.ln.Addr().String()}
	c, err := r.peers.Splice(t.Context(), via, testSplice("shop"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	echo(t, c, "alive")
	bh.frozen.Store(true)
	start := time.Now()
	err = within(t, proto.KeepAliveTimeout+30*time.Second, "read from a silent peer", func() error {
		_, err := io.ReadAll(c)
		return err
	})
	if !errors.Is(err, ErrLinkLost) {
		t.Fatalf("read from a silent peer: %v, want link lost", err)
	}
	t.Logf("silent peer noticed after %s", time.Since(start).Round(100*time.Millisecond))
}

// TestClientSessionLost: when the client session under a splice dies, the holder ends
// the splice and frees its slot; the ingress side's read ends instead of hanging.
func TestClientSessionLost(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = io.WriteString(w, "partial")
		http.NewResponseController(w).Flush()
		<-r.Context().Done()
	})
	open, kill := clientSessionKillable(t, handler)
	r := newRig(t, rigOpts{open: open, maxSplices: 1})
	c := r.splice(t, "shop")
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: shop\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 1)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	kill()
	err := within(t, 15*time.Second, "read after the client session died", func() error {
		_, err := io.ReadAll(c)
		return err
	})
	t.Logf("read ended with %v", err)
	deadline := time.Now().Add(10 * time.Second)
	for { // the slot frees once the holder tore the splice down
		_, err := r.peers.Splice(t.Context(), r.b, testSplice("shop"))
		if !errors.Is(err, ErrBusy) {
			if !errors.Is(err, ErrNotHere) {
				t.Fatalf("splice to a dead session: %v, want not_here", err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the dead splice still holds its slot")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
