package server_test

import (
	"context"
	"io"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

// BenchmarkShareMirror is BenchmarkRelayRequest's delivery (recorded, with attempts)
// on a tunnel mirrored to 1 or 3 clients of one token, each with its own app: what the
// sender waits for with two mirrors copying every delivery, against one client alone.
func BenchmarkShareMirror(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run("clients="+strconv.Itoa(n), func(b *testing.B) {
			srv, _ := shareServer(b, func(c *server.Config) { c.Logger = quiet })
			for i := range n {
				benchMember(b, srv, "m"+strconv.Itoa(i), benchBackend(b))
			}
			loadBench(b, srv.URL+"/t/bench/hook")
		})
	}
}

// BenchmarkShareMirrorPaced is the latency one sender sees at c=1 when deliveries are
// not back to back (a webhook sender, not a load test): each delivery waits until the
// previous one's copies are done (the mirrors' apps have answered) before it starts,
// and only the sender's wait is timed. It reports the median (p50-ms) and p90-ms; the
// back-to-back BenchmarkShareMirror measures throughput, where the copies' whole round
// trips through the in-process clients compete with the sender for the same cores.
func BenchmarkShareMirrorPaced(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run("clients="+strconv.Itoa(n), func(b *testing.B) {
			srv, st := shareServer(b, func(c *server.Config) { c.Logger = quiet })
			for i := range n {
				benchMember(b, srv, "m"+strconv.Itoa(i), benchBackend(b))
			}
			delivered := 0
			pacedBench(b, srv.URL+"/t/bench/hook", func() { delivered++; st.awaitTotal(delivered * n) })
		})
	}
}

// pacedBench times single deliveries to u, calling between before each one.
func pacedBench(b *testing.B, u string, between func()) {
	c := sender(b)
	deliver(b, c, u)
	var took []time.Duration
	for b.Loop() {
		b.StopTimer()
		between()
		b.StartTimer()
		start := time.Now()
		deliver(b, c, u)
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*9/10].Microseconds())/1000, "p90-ms")
}

// benchMember attaches a quiet client of tunnel "bench" under client id id ("" sends
// none, as clients older than shared tunnels).
func benchMember(tb testing.TB, srv *relaytest.Server, id, backend string) {
	su, _ := url.Parse(srv.URL)
	online := make(chan struct{}, 1)
	c, err := client.New(client.Config{Server: su, Token: relaytest.Token, Out: io.Discard, Logger: quiet,
		ClientID: id, Label: id,
		Tunnels:   []client.Tunnel{{Name: "bench", Target: relaytest.Target(tb, backend)}},
		OnConnect: func(*proto.Welcome) { online <- struct{}{} }})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
	select {
	case <-online:
	case <-time.After(15 * time.Second):
		tb.Fatal("client did not connect")
	}
}
