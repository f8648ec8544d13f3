package main

import (
	"fmt"
)

// Check statuses.
const (
	statusMet         = "met"
	statusNotMet      = "NOT MET"
	statusNotMeasured = "not measured"
)

// check is one target of the issue, with what this run measured.
type check struct {
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Status   string `json:"status"`
}

func verdict(ok bool) string {
	if ok {
		return statusMet
	}
	return statusNotMet
}

// checks evaluates every target the report has figures for.
func checks(rep *report) []check {
	var out []check
	out = append(out, throughputChecks(rep.Runs)...)
	out = append(out, latencyChecks(rep.Runs)...)
	out = append(out, recordingChecks(rep.Runs)...)
	out = append(out, idleChecks(rep.Idle)...)
	out = append(out, bigCheck(rep.Big), replayCheck(rep.Replay))
	return out
}

func throughputChecks(runs []run) []check {
	var out []check
	for _, c := range []int{16, 128} {
		goal := fmt.Sprintf("relay throughput >= 0.30x direct at c=%d", c)
		ratio, ok := pairedMedian(runs, targetRelay, targetDirect, c, func(r, d run) float64 { return r.RPS / d.RPS })
		if !ok {
			out = append(out, check{goal, "", statusNotMeasured})
			continue
		}
		out = append(out, check{goal, fmt.Sprintf("%.2fx", ratio), verdict(ratio >= 0.30)})
	}
	return out
}

func latencyChecks(runs []run) []check {
	goal50 := "p50 added latency at c=1 <= 0.20 ms"
	c50 := check{goal50, "", statusNotMeasured}
	if add, ok := pairedMedian(runs, targetRelay, targetDirect, 1, func(r, d run) float64 { return r.P50 - d.P50 }); ok {
		c50 = check{goal50, fmt.Sprintf("+%.3f ms", add), verdict(add <= 0.20)}
	}
	goal99 := "p99 at c=16 <= 2x direct p99 + 2 ms"
	c99 := check{goal99, "", statusNotMeasured}
	if over, ok := pairedMedian(runs, targetRelay, targetDirect, 16, func(r, d run) float64 { return r.P99 - (2*d.P99 + 2) }); ok {
		r, _ := pairedMedian(runs, targetRelay, targetDirect, 16, func(r, _ run) float64 { return r.P99 })
		d, _ := pairedMedian(runs, targetRelay, targetDirect, 16, func(_, d run) float64 { return d.P99 })
		c99 = check{goal99, fmt.Sprintf("%.2f ms (direct %.2f ms, limit %.2f ms)", r, d, 2*d+2), verdict(over <= 0)}
	}
	return []check{c50, c99}
}

func recordingChecks(runs []run) []check {
	var out []check
	for _, c := range []int{16, 128} {
		goal := fmt.Sprintf("recording costs <= 15%% of throughput at c=%d", c)
		cost, ok := pairedMedian(runs, targetRelay, targetNoRecord, c, func(r, n run) float64 { return 1 - r.RPS/n.RPS })
		if !ok {
			out = append(out, check{goal, "", statusNotMeasured})
			continue
		}
		out = append(out, check{goal, fmt.Sprintf("%.1f%%", 100*cost), verdict(cost <= 0.15)})
	}
	return out
}

func idleChecks(r *idleResult) []check {
	goals := []string{"idle tunnel <= 64 KiB server RSS", "idle tunnel <= 10 server goroutines", "10,000 idle tunnels hold"}
	if r == nil {
		return []check{{goals[0], "", statusNotMeasured}, {goals[1], "", statusNotMeasured}, {goals[2], "", statusNotMeasured}}
	}
	held := r.Online == r.Tunnels && r.Reconnects == 0 && r.ProbeOK == r.Probes
	return []check{
		{goals[0], fmt.Sprintf("%.1f KiB", r.RSSPerTunnel/1024), verdict(r.RSSPerTunnel <= 64<<10)},
		{goals[1], fmt.Sprintf("%.2f", r.GoroutinesPerTunnel), verdict(r.GoroutinesPerTunnel <= 10)},
		{goals[2], fmt.Sprintf("%d tunnels: %d online, %d reconnects, %d/%d probes ok", r.Tunnels, r.Online, r.Reconnects, r.ProbeOK, r.Probes),
			verdict(held && r.Tunnels >= 10000)},
	}
}

func bigCheck(r *bigResult) check {
	goal := "100 MiB body: server RSS growth <= 32 MiB"
	rec := r.find(targetRelay)
	if rec == nil {
		return check{goal, "", statusNotMeasured}
	}
	ok := rec.Status == 200 && r.Bytes >= 100<<20 && rec.ServerGrowth <= 32<<20
	return check{goal, fmt.Sprintf("%.1f MiB (status %d)", mib(rec.ServerGrowth), rec.Status), verdict(ok)}
}

func replayCheck(r *replayResult) check {
	goal := "bulk replay of 10,000 >= 50% of live throughput"
	if r == nil {
		return check{goal, "", statusNotMeasured}
	}
	ratio := r.ReplayRPS / r.LiveRPS
	ok := ratio >= 0.5 && r.OK == r.N && r.N >= 10000
	return check{goal, fmt.Sprintf("%.0f/s vs live %.0f/s (c=%d): %.0f%%; vs live c=1 %.0f/s: %.0f%%; %d/%d ok",
		r.ReplayRPS, r.LiveRPS, r.LiveConns, 100*ratio, r.LiveSerialRPS, 100*r.ReplayRPS/r.LiveSerialRPS, r.OK, r.N), verdict(ok)}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
