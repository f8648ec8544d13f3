package server_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

// rawSession is a client session made of the protocol alone: a websocket, a yamux client
// and the Hello/Welcome handshake, with nothing serving its streams.
type rawSession struct {
	mux *yamux.Session
}

func dialRaw(serverURL, token, name string) (*rawSession, error) {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	h.Set(proto.HeaderVersion, strconv.Itoa(proto.Version))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, "ws"+strings.TrimPrefix(serverURL, "http")+proto.ConnectPath, h)
	if err != nil {
		return nil, err
	}
	mux, err := proto.Client(proto.NetConn(ws), nil)
	if err != nil {
		return nil, err
	}
	ctl, err := mux.OpenStream()
	if err != nil {
		return nil, err
	}
	_ = ctl.SetDeadline(time.Now().Add(time.Minute))
	hello := &proto.Hello{Version: proto.Version, Tunnels: []proto.TunnelRequest{{Name: name}}}
	if err := proto.WriteFrame(ctl, proto.FrameHello, hello); err != nil {
		return nil, err
	}
	var w proto.Welcome
	if err := proto.ReadExpect(ctl, proto.FrameWelcome, &w); err != nil {
		return nil, err
	}
	_ = ctl.SetDeadline(time.Time{})
	return &rawSession{mux: mux}, nil
}

func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Skipf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestShutdownManySessions: a server with many idle sessions, each with a tunnel whose
// name is in the store, closes them all without spinning: it reports the wall time and
// the CPU time the close took (client ends included, they run in this process), and
// fails only if the CPU time shows a spin (a spinning session burns a core until its
// mux is closed). Set HOOKRELAY_SESSIONS to try another count.
func TestShutdownManySessions(t *testing.T) {
	if testing.Short() {
		t.Skip("connects 1,000 sessions")
	}
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("HOOKRELAY_SESSIONS")); err == nil && v > 0 {
		n = v
	}
	token := func(i int) string { return fmt.Sprintf("shutdown-test-token-%04d-5f0c9a", i) }
	srv := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, nil), func(c *server.Config) {
		// Every session comes from 127.0.0.1, each with a token of its own, as a real
		// fleet of clients has.
		c.SourceSessionBurst = n
		for i := range n {
			_ = c.Tokens.Add(token(i))
		}
	}))
	setup0 := processCPU(t)
	sessions := make([]*rawSession, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range sessions {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			s, err := dialRaw(srv.URL, token(i), fmt.Sprintf("idle-%d", i))
			if err != nil {
				t.Errorf("session %d: %v", i, err)
				return
			}
			sessions[i] = s
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Cleanup(func() {
		for _, s := range sessions {
			_ = s.mux.Close()
		}
	})
	cpu0, start := processCPU(t), time.Now()
	setup := cpu0 - setup0
	srv.Stop()
	wall, cpu := time.Since(start), processCPU(t)-cpu0
	t.Logf("%d sessions shut down in %v wall, %v CPU; connecting them took %v CPU", n,
		wall.Round(time.Millisecond), cpu.Round(time.Millisecond), setup.Round(time.Millisecond))
	for i, s := range sessions {
		select {
		case <-s.mux.CloseChan():
		case <-time.After(time.Minute):
			t.Fatalf("client session %d still open a minute after the server closed", i)
		}
	}
	// Ending a session costs less than starting one (dial, handshake, a claim in the
	// store); a spin costs several times more, and grows with the load that stretches it.
	// Comparing with the setup's cost in the same run keeps the check independent of the
	// machine's speed, its load and the race detector.
	if cpu > setup*3/2 {
		t.Errorf("shutting down %d sessions took %v of CPU, connecting them %v: something spins", n, cpu, setup)
	}
}
