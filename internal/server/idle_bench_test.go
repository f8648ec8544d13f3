package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/proto"
)

// BenchmarkIdleSession connects one more idle client session (one tunnel) per
// iteration to an in-process server and reports the memory each session adds, client
// and server together (both run in this process): Go heap in use and process RSS.
// Run it with a fixed count, e.g. -benchtime=2000x, one variant per process for RSS.
//
// "buffers=pooled" is the server's websocket upgrader as it is: it reads through the
// 4 KiB reader net/http already has and borrows its write buffer from a pool.
// "buffers=32KiB" is the upgrader it replaced, with a 32 KiB read and write buffer held
// by every session. The client side is the same in both, so the difference is what
// the pooled buffers save the server per idle tunnel.
func BenchmarkIdleSession(b *testing.B) {
	held := websocket.Upgrader{HandshakeTimeout: proto.HandshakeTimeout,
		ReadBufferSize: 32 << 10, WriteBufferSize: 32 << 10}
	for _, tc := range []struct {
		name string
		up   *websocket.Upgrader
	}{{"buffers=32KiB", &held}, {"buffers=pooled", &upgrader}} {
		b.Run(tc.name, func(b *testing.B) {
			saved := upgrader
			upgrader = *tc.up
			b.Cleanup(func() { upgrader = saved })
			idleSessions(b, idleServer(b))
		})
	}
}

// idleSessions connects b.N clients and reports the memory growth per session.
func idleSessions(b *testing.B, serverURL string) {
	u, _ := url.Parse(serverURL)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	b.Cleanup(func() { cancel(); wg.Wait() })
	heap0, rss0 := memNow()
	i := 0
	for b.Loop() {
		online := make(chan struct{})
		c, err := client.New(client.Config{Server: u, Token: "t", Out: io.Discard, Logger: discardLog,
			Tunnels:   []client.Tunnel{{Name: "idle-" + strconv.Itoa(i), Target: u}},
			OnConnect: func(*proto.Welcome) { close(online) }})
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() { _ = c.Run(ctx) })
		<-online
		i++
	}
	b.StopTimer()
	heap1, rss1 := memNow()
	b.ReportMetric(float64(heap1-heap0)/float64(b.N), "heap-B/session")
	b.ReportMetric(float64(rss1-rss0)/float64(b.N), "rss-B/session")
}

var discardLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// idleServer starts a Server without a store on a loopback listener.
func idleServer(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tokens := new(Tokens)
	_ = tokens.Add("t")
	// One token from one address opens every session: lift its caps on sessions and
	// names, and the session-open rates.
	lim := Limits{SessionsPerToken: 1 << 20, NamesPerToken: 1 << 20,
		SessionRate: 1e9, SessionBurst: 1 << 30, SourceSessionRate: 1e9, SourceSessionBurst: 1 << 30}
	s, err := New(Config{Domain: "localhost", PublicURL: "http://" + ln.Addr().String(), Tokens: tokens,
		Logger: discardLog, Limits: lim})
	if err != nil {
		tb.Fatal(err)
	}
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	tb.Cleanup(func() { _ = hs.Close(); _ = s.Close() })
	return "http://" + ln.Addr().String()
}

// memNow returns the Go heap in use after a collection, and the process RSS.
func memNow() (heap, rss int64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
			rss = kb << 10
		}
	}
	return int64(ms.HeapInuse), rss
}
