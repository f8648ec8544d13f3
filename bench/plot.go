package main

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

//go:embed plot.gp
var plotScript string

// errNoGnuplot reports that plots were asked for without gnuplot installed.
var errNoGnuplot = errors.New("bench: gnuplot not installed (apt-get install -y gnuplot-nox)")

// plotTSV lays the rows out for plot.gp: one line per connection count with req/s,
// then p99, of direct, relay and relay-norecord.
func plotTSV(rows []row) string {
	var conns []int
	for _, r := range rows {
		if !slices.Contains(conns, r.Conns) {
			conns = append(conns, r.Conns)
		}
	}
	slices.Sort(conns)
	targets := []string{targetDirect, targetRelay, targetNoRecord}
	var b strings.Builder
	for _, c := range conns {
		rps, p99 := make([]string, len(targets)), make([]string, len(targets))
		for i, t := range targets {
			rps[i], p99[i] = "NaN", "NaN"
			for _, r := range rows {
				if r.Target == t && r.Conns == c {
					rps[i], p99[i] = fmt.Sprintf("%.0f", r.RPS), fmt.Sprintf("%.3f", r.P99)
				}
			}
		}
		fmt.Fprintf(&b, "%d\t%s\t%s\n", c, strings.Join(rps, "\t"), strings.Join(p99, "\t"))
	}
	return b.String()
}

// plot draws bench-throughput.png and bench-latency.png into dir with gnuplot.
func plot(rows []row, dir, tmp string) error {
	gp, err := exec.LookPath("gnuplot")
	if err != nil {
		return errNoGnuplot
	}
	data := filepath.Join(tmp, "plot.tsv")
	script := filepath.Join(tmp, "plot.gp")
	if err := os.WriteFile(data, []byte(plotTSV(rows)), 0o600); err != nil {
		return fmt.Errorf("write plot data: %w", err)
	}
	if err := os.WriteFile(script, []byte(plotScript), 0o600); err != nil {
		return fmt.Errorf("write plot script: %w", err)
	}
	vars := fmt.Sprintf("datafile='%s'; outdir='%s'", data, dir)
	if out, err := exec.Command(gp, "-e", vars, script).CombinedOutput(); err != nil {
		return fmt.Errorf("run gnuplot: %w: %s", err, out)
	}
	return nil
}
