package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loader drives one load run against a URL.
type loader interface {
	name() string
	run(ctx context.Context, url string, conns int, d time.Duration) (loadResult, error)
}

// goRunner is the built-in closed-loop load generator, used when wrk is missing and for
// runs of a fixed request count.
type goRunner struct{ body []byte }

func (g *goRunner) name() string { return "go" }

func (g *goRunner) run(ctx context.Context, url string, conns int, d time.Duration) (loadResult, error) {
	return goLoad(ctx, url, g.body, conns, d, 0)
}

// goLoad POSTs body to url from conns workers, each on its own keep-alive connection
// and sending its next request when the previous answer is read, for d or until total
// requests were sent (when total > 0). It reports the same figures as wrk.
func goLoad(ctx context.Context, url string, body []byte, conns int, d time.Duration, total int64) (loadResult, error) {
	cpu0, _ := procCPU(os.Getpid())
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var sent, errs atomic.Int64
	lat := make([][]time.Duration, conns)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat[i] = worker(ctx, url, body, total, &sent, &errs)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, _ := procCPU(os.Getpid())
	res := summarize(slices.Concat(lat...), elapsed)
	res.Errors, res.CPU = errs.Load(), (cpu1 - cpu0).Seconds()
	return res, nil
}

// worker sends requests on one connection until ctx ends or the shared count reaches
// total, and returns the latency of each answered one.
func worker(ctx context.Context, url string, body []byte, total int64, sent, errs *atomic.Int64) []time.Duration {
	tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var lat []time.Duration
	for ctx.Err() == nil && (total <= 0 || sent.Add(1) <= total) {
		t0 := time.Now()
		if !post(ctx, c, url, body) {
			if ctx.Err() != nil {
				break // cut short by the end of the run, not a failure
			}
			errs.Add(1)
			continue
		}
		lat = append(lat, time.Since(t0))
	}
	return lat
}

// post sends one request and reads the whole answer; false on failure or a status
// outside 2xx/3xx.
func post(ctx context.Context, c *http.Client, url string, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hookrelay-bench")
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return false
	}
	return resp.StatusCode < 400
}

// summarize turns answered requests' latencies into a loadResult.
func summarize(lat []time.Duration, elapsed time.Duration) loadResult {
	slices.Sort(lat)
	r := loadResult{Requests: int64(len(lat)), Seconds: elapsed.Seconds()}
	if elapsed > 0 {
		r.RPS = float64(len(lat)) / elapsed.Seconds()
	}
	r.P50, r.P75, r.P90, r.P99 = pct(lat, 50), pct(lat, 75), pct(lat, 90), pct(lat, 99)
	return r
}

// pct is the p-th percentile of sorted latencies, in milliseconds (0 when empty).
func pct(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min((len(sorted)*p+99)/100, len(sorted)) - 1
	return float64(sorted[max(i, 0)]) / float64(time.Millisecond)
}
