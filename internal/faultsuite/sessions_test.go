package faultsuite

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/proto"
)

var sessions = flag.Int("sessions", 500, "TestSIGTERMManySessions: idle client sessions (over ~1000 needs a run without -race)")

// TestSIGTERMManySessions stops a relay-server holding many idle client sessions with
// SIGTERM: it exits promptly (ending a session must not spin), in a bound far above
// what it needs.
func TestSIGTERMManySessions(t *testing.T) {
	limit := fmt.Sprint(*sessions + 10) // one token, from one address, opens every session of the fleet
	r := newRig(t, rigOpts{serverArgs: []string{"--sessions-per-token", limit, "--names-per-token", limit,
		"--session-burst", limit, "--source-session-burst", limit}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := connectFleet(ctx, "http://"+r.addr, r.app.url, *sessions)
	if err != nil {
		t.Fatal(err)
	}
	took := r.stopServer()
	t.Logf("relay-server with %d sessions exited %s after SIGTERM", n, took.Round(time.Millisecond))
	if limit := scaled(10 * time.Second); took > limit {
		t.Errorf("relay-server with %d sessions took %s (over %s) to exit after SIGTERM", n, took, limit)
	}
}

// connectFleet starts n in-process clients of one tunnel each and waits until every
// one has come online; it reports how many did. They stop when ctx ends.
func connectFleet(ctx context.Context, server, target string, n int) (int, error) {
	su, err := url.Parse(server)
	if err != nil {
		return 0, err
	}
	tu, err := url.Parse(target)
	if err != nil {
		return 0, err
	}
	var online atomic.Int64
	var all sync.WaitGroup
	all.Add(n)
	for i := range n {
		var once sync.Once
		c, err := client.New(client.Config{Server: su, Token: token, Out: io.Discard,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxIdlePerTarget: 1,
			Tunnels:   []client.Tunnel{{Name: fmt.Sprintf("idle-%05d", i), Target: tu}},
			OnConnect: func(*proto.Welcome) { once.Do(func() { online.Add(1); all.Done() }) }})
		if err != nil {
			return 0, fmt.Errorf("fleet client: %w", err)
		}
		go func() { _ = c.Run(ctx) }()
	}
	done := make(chan struct{})
	go func() { all.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(scaled(3 * time.Minute)):
		return int(online.Load()), fmt.Errorf("only %d of %d sessions came online", online.Load(), n)
	}
	return n, nil
}
