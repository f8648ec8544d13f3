package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixedRuns are two rounds at two connection counts with round numbers.
func fixedRuns() []run {
	mk := func(round int, target string, conns int, rps, p50, p99 float64) run {
		r := run{Round: round, Target: target, Conns: conns, CPUPerReq: 1e6 / rps, Syscalls: 3,
			loadResult: loadResult{Requests: int64(rps * 5), Seconds: 5, RPS: rps, P50: p50, P99: p99},
			RSS:        map[string]int64{procBackend: 10 << 20}}
		if target != targetDirect {
			r.RSS[procServer], r.RSS[procClient] = 30<<20, 20<<20
		}
		return r
	}
	return []run{
		mk(1, targetDirect, 1, 10000, 0.05, 0.2), mk(1, targetRelay, 1, 4000, 0.20, 1.0), mk(1, targetNoRecord, 1, 5000, 0.15, 0.8),
		mk(1, targetDirect, 16, 50000, 0.3, 1.0), mk(1, targetRelay, 16, 16000, 1.0, 3.5), mk(1, targetNoRecord, 16, 18000, 0.9, 3.0),
		mk(2, targetDirect, 1, 12000, 0.04, 0.3), mk(2, targetRelay, 1, 4200, 0.30, 1.2), mk(2, targetNoRecord, 1, 5000, 0.15, 0.8),
		mk(2, targetDirect, 16, 60000, 0.3, 1.0), mk(2, targetRelay, 16, 15000, 1.2, 4.5), mk(2, targetNoRecord, 16, 20000, 0.9, 3.0),
	}
}

func fixedReport() *report {
	rep := &report{Machine: machine{CPUs: 2, Model: "Test CPU", GoVersion: "go1.0", Kernel: "6.0", Loader: "wrk"},
		LoadAvgStart: 0.5, LoadAvgEnd: 1.5, Runs: fixedRuns()}
	rep.Rows = summarizeRuns(rep.Runs)
	rep.Idle = &idleResult{Tunnels: 10000, ConnectSeconds: 1.5, HoldSeconds: 10, RSSPerTunnel: 80 << 10,
		HeapPerTunnel: 100 << 10, StackPerTunnel: 25 << 10, GoroutinesPerTunnel: 5, Online: 10000, Probes: 100, ProbeOK: 100,
		Base: serverStats{Goroutines: 14, RSS: 18 << 20}, Loaded: serverStats{Goroutines: 50014, RSS: 800 << 20}}
	rep.Big = &bigResult{Bytes: 100 << 20, Runs: []bigRun{
		{Target: targetDirect, Seconds: 0.1, MiBps: 1000, Status: 200},
		{Target: targetRelay, Seconds: 0.5, MiBps: 200, Status: 200, ServerBase: 20 << 20, ServerPeak: 40 << 20, ServerGrowth: 20 << 20}}}
	rep.Replay = &replayResult{N: 10000, LiveConns: 16, LiveRPS: 6000, LiveSerialRPS: 2000, ReplayRPS: 2500, ReplaySeconds: 4, OK: 10000}
	rep.Checks = checks(rep)
	return rep
}

func TestReportGolden(t *testing.T) {
	var b bytes.Buffer
	rep := fixedReport()
	printReport(&b, rep)
	b.WriteString("\n")
	b.WriteString(plotTSV(rep.Rows))
	golden(t, "report.golden", b.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bench -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./bench -update rewrites it):\n%s", path, got)
	}
}

func TestSummaryRatiosPerRound(t *testing.T) {
	rows := summarizeRuns(fixedRuns())
	cases := []struct {
		target string
		conns  int
		rps    float64
		ratio  float64
	}{
		{targetDirect, 1, 11000, 1},
		{targetRelay, 1, 4100, (0.4 + 0.35) / 2},
		{targetRelay, 16, 15500, (0.32 + 0.25) / 2},
		{targetNoRecord, 16, 19000, (0.36 + 20000.0/60000) / 2},
	}
	for _, tc := range cases {
		var got *row
		for i := range rows {
			if rows[i].Target == tc.target && rows[i].Conns == tc.conns {
				got = &rows[i]
			}
		}
		if got == nil {
			t.Fatalf("no row for %s c=%d", tc.target, tc.conns)
		}
		if got.RPS != tc.rps || abs(got.Ratio-tc.ratio) > 1e-9 {
			t.Errorf("%s c=%d: rps %v ratio %v; want %v, %v", tc.target, tc.conns, got.RPS, got.Ratio, tc.rps, tc.ratio)
		}
	}
	if rows[0].Target != targetDirect || rows[0].Conns != 1 || rows[len(rows)-1].Conns != 16 {
		t.Errorf("rows not ordered by connections then target: %+v", rows)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestChecks(t *testing.T) {
	rep := fixedReport()
	want := map[string]string{
		"relay throughput >= 0.30x direct at c=16":        statusNotMet, // median 0.285
		"relay throughput >= 0.30x direct at c=128":       statusNotMeasured,
		"p50 added latency at c=1 <= 0.20 ms":             statusNotMet, // +0.15 and +0.26: median 0.205
		"p99 at c=16 <= 2x direct p99 + 2 ms":             statusMet,    // 0.5 under, 0.5 over: median on the limit
		"recording costs <= 15% of throughput at c=16":    statusNotMet, // 11% and 25%
		"idle tunnel <= 64 KiB server RSS":                statusNotMet,
		"idle tunnel <= 10 server goroutines":             statusMet,
		"10,000 idle tunnels hold":                        statusMet,
		"100 MiB body: server RSS growth <= 32 MiB":       statusMet,
		"bulk replay of 10,000 >= 50% of live throughput": statusNotMet,
		"recording costs <= 15% of throughput at c=128":   statusNotMeasured,
	}
	for _, c := range rep.Checks {
		w, ok := want[c.Goal]
		if !ok {
			t.Errorf("unexpected check %q", c.Goal)
			continue
		}
		if c.Status != w {
			t.Errorf("%s: %s (%s), want %s", c.Goal, c.Status, c.Measured, w)
		}
	}
	if len(rep.Checks) != len(want) {
		t.Errorf("%d checks, want %d", len(rep.Checks), len(want))
	}
}

func TestMedian(t *testing.T) {
	cases := []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{3, 1}, 2}, {[]float64{5, 1, 3}, 3}}
	for _, tc := range cases {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
