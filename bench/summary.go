package main

import (
	"slices"
)

// Process names, as the targets' process lists name them.
const (
	procServer  = "relay-server"
	procClient  = "relay-client"
	procBackend = "backend"
)

// row summarizes the rounds of one target at one connection count: medians across
// rounds, the ratio to direct taken round by round.
type row struct {
	Target     string  `json:"target"`
	Conns      int     `json:"conns"`
	RPS        float64 `json:"rps"`
	P50        float64 `json:"p50_ms"`
	P99        float64 `json:"p99_ms"`
	Ratio      float64 `json:"ratio_to_direct"`
	CPUPerReq  float64 `json:"cpu_per_req_us"`
	Syscalls   float64 `json:"syscalls_per_req"`
	ServerRSS  int64   `json:"server_rss_bytes,omitempty"`
	ClientRSS  int64   `json:"client_rss_bytes,omitempty"`
	BackendRSS int64   `json:"backend_rss_bytes"`
	Errors     int64   `json:"errors"`
	Background float64 `json:"background_cores"`
}

// summarizeRuns builds one row per target and connection count, in run order.
func summarizeRuns(runs []run) []row {
	var rows []row
	for _, key := range runKeys(runs) {
		rows = append(rows, summarizeKey(runs, key))
	}
	return rows
}

type runKey struct {
	target string
	conns  int
}

// runKeys lists the distinct (target, conns) pairs: by conns, then target order.
func runKeys(runs []run) []runKey {
	var keys []runKey
	for _, r := range runs {
		k := runKey{r.Target, r.Conns}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.SortStableFunc(keys, func(a, b runKey) int { return a.conns - b.conns })
	return keys
}

func summarizeKey(runs []run, k runKey) row {
	var rps, p50, p99, ratio, cpu, calls, bg []float64
	out := row{Target: k.target, Conns: k.conns}
	for _, r := range runs {
		if r.Target != k.target || r.Conns != k.conns {
			continue
		}
		rps, p50, p99 = append(rps, r.RPS), append(p50, r.P50), append(p99, r.P99)
		cpu, calls, bg = append(cpu, r.CPUPerReq), append(calls, r.Syscalls), append(bg, r.Background)
		if d, ok := peer(runs, r, targetDirect); ok && d.RPS > 0 {
			ratio = append(ratio, r.RPS/d.RPS)
		}
		out.Errors += r.Errors
		out.ServerRSS = max(out.ServerRSS, r.RSS[procServer])
		out.ClientRSS = max(out.ClientRSS, r.RSS[procClient])
		out.BackendRSS = max(out.BackendRSS, r.RSS[procBackend])
	}
	out.RPS, out.P50, out.P99 = median(rps), median(p50), median(p99)
	out.Ratio, out.CPUPerReq, out.Background = median(ratio), median(cpu), median(bg)
	out.Syscalls = median(calls)
	return out
}

// peer is the run of target other in the same round at the same connection count.
func peer(runs []run, r run, other string) (run, bool) {
	for _, p := range runs {
		if p.Round == r.Round && p.Conns == r.Conns && p.Target == other {
			return p, true
		}
	}
	return run{}, false
}

// median of xs; 0 when empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// pairedMedian is the median over rounds of f(run of a, run of b) at conns.
func pairedMedian(runs []run, a, b string, conns int, f func(x, y run) float64) (float64, bool) {
	var vs []float64
	for _, r := range runs {
		if r.Target != a || r.Conns != conns {
			continue
		}
		if p, ok := peer(runs, r, b); ok {
			vs = append(vs, f(r, p))
		}
	}
	return median(vs), len(vs) > 0
}
