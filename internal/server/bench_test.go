package server_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
)

// The benchmarks here measure one webhook-sized delivery (a 1 KiB JSON POST answered
// with a small JSON object) through a real server, client and backend on loopback, all
// in this process, against the same backend reached directly. Compare them with
// benchstat; the bench command (go run ./bench) measures the same path with the real
// binaries as separate processes.

// benchBody is a 1 KiB JSON event.
var benchBody = func() []byte {
	head := `{"id":"evt_bench","type":"invoice.paid","data":{"object":{"description":"`
	tail := `"}}}`
	return []byte(head + strings.Repeat("x", 1024-len(head)-len(tail)) + tail)
}()

// benchBackend answers like a webhook receiver: reads the body, acknowledges it.
func benchBackend(tb testing.TB) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		body := `{"received":true,"bytes":` + strconv.FormatInt(n, 10) + "}\n"
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = io.WriteString(w, body)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// benchRelay starts a server (recording into SQLite when record is set) and a client
// forwarding tunnel "bench" to backend, and returns the tunnel's URL. Nothing logs per
// request: the client's request lines go to io.Discard.
func benchRelay(tb testing.TB, backend string, record bool) string {
	// One sender sends far more than the default rate limits let through: lift them.
	mutate := func(c *server.Config) { c.Logger, c.SourceRate, c.TunnelRate = quiet, 1e9, 1e9 }
	if record {
		mutate = relaytest.Chain(mutate, relaytest.WithStore(tb, nil))
	}
	srv := relaytest.StartServer(tb, "", mutate)
	benchMember(tb, srv, "", backend) // no client id: the single-client path of old clients
	return srv.URL + "/t/bench/hook"
}

// sender is one keep-alive connection's worth of HTTP client.
func sender(tb testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// deliver POSTs the body and reads the whole answer.
func deliver(tb testing.TB, c *http.Client, u string) {
	resp, err := c.Post(u, "application/json", bytes.NewReader(benchBody))
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("status %d", resp.StatusCode)
	}
}

// loadBench runs one serial sub-benchmark (c=1) and one with 16 concurrent senders
// (c=16) against u.
func loadBench(b *testing.B, u string) {
	b.Run("c=1", func(b *testing.B) {
		c := sender(b)
		deliver(b, c, u) // connect outside the timing
		b.SetBytes(int64(len(benchBody)))
		b.ReportAllocs()
		for b.Loop() {
			deliver(b, c, u)
		}
	})
	b.Run("c=16", func(b *testing.B) {
		b.SetParallelism(max(16/runtime.GOMAXPROCS(0), 1))
		b.SetBytes(int64(len(benchBody)))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			c := sender(b)
			for pb.Next() {
				deliver(b, c, u)
			}
		})
	})
}

// BenchmarkDirect is the baseline: the backend without the relay.
func BenchmarkDirect(b *testing.B) {
	loadBench(b, benchBackend(b)+"/t/bench/hook")
}

// BenchmarkRelayRequest sends the delivery through server and client, with the
// recording of every request into SQLite on and off.
func BenchmarkRelayRequest(b *testing.B) {
	backend := benchBackend(b)
	for _, record := range []bool{true, false} {
		name := "record=off"
		if record {
			name = "record=on"
		}
		b.Run(name, func(b *testing.B) {
			loadBench(b, benchRelay(b, backend, record))
		})
	}
}
