package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// errNoMetric reports a metric missing from a /metrics page.
var errNoMetric = errors.New("bench: metric not exported")

// serverStats are the figures of relay-server's admin /metrics used here.
type serverStats struct {
	Goroutines int   `json:"goroutines"`
	HeapInuse  int64 `json:"heap_inuse_bytes"`
	StackInuse int64 `json:"stack_inuse_bytes"`
	RSS        int64 `json:"rss_bytes"` // process_resident_memory_bytes
}

// scrape reads go_goroutines, go_memstats_heap_inuse_bytes, go_memstats_stack_inuse_bytes
// and process_resident_memory_bytes from the admin listener at base.
func scrape(ctx context.Context, base string) (serverStats, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return serverStats{}, fmt.Errorf("scrape metrics: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return serverStats{}, fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return serverStats{}, fmt.Errorf("scrape metrics: %w", err)
	}
	return parseStats(string(b))
}

func parseStats(page string) (serverStats, error) {
	g, err1 := parseMetric(page, "go_goroutines")
	h, err2 := parseMetric(page, "go_memstats_heap_inuse_bytes")
	r, err3 := parseMetric(page, "process_resident_memory_bytes")
	st, err4 := parseMetric(page, "go_memstats_stack_inuse_bytes")
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return serverStats{}, err
	}
	return serverStats{Goroutines: int(g), HeapInuse: int64(h), StackInuse: int64(st), RSS: int64(r)}, nil
}

// parseMetric returns the value of the unlabelled sample name from a Prometheus text
// exposition page.
func parseMetric(page, name string) (float64, error) {
	for _, line := range strings.Split(page, "\n") {
		rest, ok := strings.CutPrefix(line, name+" ")
		if !ok {
			continue
		}
		f := strings.Fields(rest) // value, then an optional timestamp
		if len(f) == 0 {
			break
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil || !finite(v) {
			return 0, fmt.Errorf("%w: %s has value %q", errNoMetric, name, f[0])
		}
		return v, nil
	}
	return 0, fmt.Errorf("%w: %s", errNoMetric, name)
}
