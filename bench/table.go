package main

import (
	"fmt"
	"io"
	"strings"
)

// printReport writes the report's tables as Markdown: the load table, each extra mode
// that ran, and the target checks.
func printReport(w io.Writer, rep *report) {
	m := rep.Machine
	fmt.Fprintf(w, "machine: %d CPUs, %s, %s, kernel %s; load generator %s; load average %.2f at start, %.2f at end\n\n",
		m.CPUs, m.Model, m.GoVersion, m.Kernel, m.Loader, rep.LoadAvgStart, rep.LoadAvgEnd)
	if len(rep.Rows) > 0 {
		printRows(w, rep.Rows)
	}
	if rep.Idle != nil {
		printIdle(w, rep.Idle)
	}
	if rep.Big != nil {
		printBig(w, rep.Big)
	}
	if rep.Replay != nil {
		printReplay(w, rep.Replay)
	}
	printChecks(w, rep.Checks)
}

func printRows(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| target | conns | req/s | p50 ms | p99 ms | x direct | CPU µs/req | syscalls/req | server RSS MiB | client RSS MiB | errors | other load (cores) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %.0f | %.3f | %.3f | %.2f | %.1f | %.1f | %s | %s | %d | %.2f |\n",
			r.Target, r.Conns, r.RPS, r.P50, r.P99, r.Ratio, r.CPUPerReq, r.Syscalls,
			mibCell(r.ServerRSS), mibCell(r.ClientRSS), r.Errors, r.Background)
	}
	fmt.Fprintln(w)
}

// mibCell shows bytes as MiB, or "-" for a process the target does not have.
func mibCell(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", mib(b))
}

func printIdle(w io.Writer, r *idleResult) {
	fmt.Fprintf(w, "idle: %d tunnels (one session each) connected in %.1fs, held %.0fs\n", r.Tunnels, r.ConnectSeconds, r.HoldSeconds)
	fmt.Fprintf(w, "  server RSS %.1f -> %.1f MiB: %.1f KiB per tunnel (Go heap in use %.1f KiB, goroutine stacks %.1f KiB)\n",
		mib(r.Base.RSS), mib(r.Loaded.RSS), r.RSSPerTunnel/1024, r.HeapPerTunnel/1024, r.StackPerTunnel/1024)
	fmt.Fprintf(w, "  server goroutines %d -> %d: %.2f per tunnel; %d OS threads; idle CPU %.2f cores\n",
		r.Base.Goroutines, r.Loaded.Goroutines, r.GoroutinesPerTunnel, r.ServerThreads, r.IdleCPU)
	fmt.Fprintf(w, "  client process %.1f KiB per tunnel; %d online, %d reconnects, %d/%d probes ok\n",
		r.ClientRSSPerTunnel/1024, r.Online, r.Reconnects, r.ProbeOK, r.Probes)
	fmt.Fprintf(w, "  all clients killed at once: server back to base goroutines in %.1fs, using %.1fs of CPU\n\n",
		r.TeardownSeconds, r.TeardownCPU)
}

func printBig(w io.Writer, r *bigResult) {
	fmt.Fprintf(w, "big: one %.0f MiB POST per target\n\n", mib(r.Bytes))
	fmt.Fprintln(w, "| target | seconds | MiB/s | status | server RSS before MiB | peak MiB | growth MiB | client growth MiB |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, b := range r.Runs {
		fmt.Fprintf(w, "| %s | %.2f | %.0f | %d | %.1f | %.1f | %.1f | %.1f |\n", b.Target, b.Seconds, b.MiBps, b.Status,
			mib(b.ServerBase), mib(b.ServerPeak), mib(b.ServerGrowth), mib(b.ClientGrowth))
	}
	fmt.Fprintln(w)
}

func printReplay(w io.Writer, r *replayResult) {
	fmt.Fprintf(w, "replay: %d deliveries recorded live at c=%d: %.0f req/s (c=1: %.0f req/s, %d errors)\n",
		r.N, r.LiveConns, r.LiveRPS, r.LiveSerialRPS, r.LiveErrors)
	fmt.Fprintf(w, "  bulk replay: %.1fs, %.0f/s, %d ok\n\n", r.ReplaySeconds, r.ReplayRPS, r.OK)
}

func printChecks(w io.Writer, cs []check) {
	fmt.Fprintln(w, "| target | measured | status |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, c := range cs {
		measured := c.Measured
		if measured == "" {
			measured = "-"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", c.Goal, strings.ReplaceAll(measured, "|", "/"), c.Status)
	}
}
