package peer

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"
)

// BenchmarkSpliceLatency measures one 1 KiB POST answered with 1 KiB, one at a time,
// over a new stream of a client session on loopback ("direct", what the node holding
// the session does) and over a splice from another node ("splice": peer stream, Splice
// frame and SpliceOK, a new client session stream on the holder, bytes copied both
// ways). It reports the median and 99th percentile per request.
func BenchmarkSpliceLatency(b *testing.B) {
	body := randomBytes(1<<10, 7)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write(body)
	})
	open := clientSession(b, handler)
	b.Run("direct", func(b *testing.B) {
		roundTrips(b, body, func() (net.Conn, error) { return open("shop", 41, "s-1") })
	})
	b.Run("splice", func(b *testing.B) {
		r := newRig(b, rigOpts{open: open})
		roundTrips(b, body, func() (net.Conn, error) {
			return r.peers.Splice(b.Context(), r.b, testSplice("shop"))
		})
	})
	b.Run("splice-open-only", func(b *testing.B) {
		r := newRig(b, rigOpts{open: open})
		took := make([]time.Duration, 0, b.N)
		for b.Loop() {
			start := time.Now()
			c, err := r.peers.Splice(b.Context(), r.b, testSplice("shop"))
			if err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(start))
			_ = c.Close()
		}
		report(b, took)
	})
}

// report reports the median and 99th percentile of took.
func report(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}

func roundTrips(b *testing.B, body []byte, open func() (net.Conn, error)) {
	var req bytes.Buffer
	hreq, _ := http.NewRequest(http.MethodPost, "http://shop.example/hook", bytes.NewReader(body))
	_ = hreq.Write(&req)
	took := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		roundTrip(b, open, req.Bytes(), hreq)
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	report(b, took)
}

func roundTrip(b *testing.B, open func() (net.Conn, error), req []byte, hreq *http.Request) {
	c, err := open()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(req); err != nil {
		b.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), hreq)
	if err != nil {
		b.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, resp.Body); err != nil || n != 1<<10 {
		b.Fatalf("response body of %d bytes: %v", n, err)
	}
}
