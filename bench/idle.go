package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// teardownLimit bounds how long --idle waits for the server to clean up after the
// idle clients vanish.
const teardownLimit = 60 * time.Second

// idleResult is what --idle measured: the server's cost of N connected, idle tunnels,
// one tunnel per client session (the costliest layout: every tunnel has its own
// websocket and yamux session).
type idleResult struct {
	Tunnels        int         `json:"tunnels"`
	ConnectSeconds float64     `json:"connect_seconds"`
	HoldSeconds    float64     `json:"hold_seconds"`
	Base           serverStats `json:"base"`
	Loaded         serverStats `json:"loaded"`
	// RSSPerTunnel, HeapPerTunnel and StackPerTunnel are the growth divided by Tunnels,
	// in bytes (heap in use counts buffers whose pages were never touched; RSS does not).
	RSSPerTunnel        float64 `json:"rss_per_tunnel_bytes"`
	HeapPerTunnel       float64 `json:"heap_per_tunnel_bytes"`
	StackPerTunnel      float64 `json:"stack_per_tunnel_bytes"`
	GoroutinesPerTunnel float64 `json:"goroutines_per_tunnel"`
	ServerThreads       int     `json:"server_threads"`
	// IdleCPU is the server's CPU use during the hold, in cores (keep-alive pings).
	IdleCPU float64 `json:"server_idle_cpu_cores"`
	// ClientRSSPerTunnel is the client process's whole RSS divided by Tunnels.
	ClientRSSPerTunnel float64 `json:"client_rss_per_tunnel_bytes"`
	Online             int     `json:"online"`
	Reconnects         int     `json:"reconnects"`
	Probes             int     `json:"probes"`
	ProbeOK            int     `json:"probes_ok"`
	// TeardownSeconds is how long the server took, once every client vanished at once,
	// to get back to its base goroutine count; TeardownCPU is the CPU it used meanwhile.
	TeardownSeconds float64 `json:"teardown_seconds"`
	TeardownCPU     float64 `json:"teardown_cpu_seconds"`
}

// runIdle connects n idle tunnels to a fresh recording server from a worker process,
// holds them for hold, measures the server's memory, goroutines and CPU, sends probe
// requests through a sample of them, then kills the worker and times the server's
// cleanup.
func runIdle(ctx context.Context, e *env, n int, hold time.Duration) (*idleResult, error) {
	srv, err := startServer(e.bin, e.tmp, serverOpts{})
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	res := &idleResult{Tunnels: n}
	if res.Base, err = scrape(ctx, srv.admin); err != nil {
		return nil, err
	}
	w, err := startIdleWorker(e, srv, n)
	if err != nil {
		return nil, err
	}
	defer w.kill()
	res.ConnectSeconds = time.Since(w.started).Seconds()
	e.logf("idle: %d tunnels connected in %.1fs; holding %s\n", n, res.ConnectSeconds, hold)
	if err := res.hold(ctx, srv, hold); err != nil {
		return nil, err
	}
	if err := res.clientSide(w.proc); err != nil {
		return nil, err
	}
	res.Probes, res.ProbeOK = probe(ctx, srv.url, n, 100)
	w.kill()
	return res, res.teardown(ctx, srv)
}

type idleWorker struct {
	*proc
	started time.Time
}

func startIdleWorker(e *env, srv *relayServer, n int) (*idleWorker, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("idle: %w", err)
	}
	w := &idleWorker{started: time.Now()}
	args := []string{idleWorkerArg, srv.url, e.backendURL, strconv.Itoa(n)}
	w.proc, err = startProc("idle clients", self, args, func(line string) bool {
		return strings.HasPrefix(line, idleConnected)
	})
	return w, err
}

// hold waits d while measuring the server's CPU, then takes the loaded figures.
func (r *idleResult) hold(ctx context.Context, srv *relayServer, d time.Duration) error {
	cpu0, err := procCPU(srv.pid())
	if err != nil {
		return err
	}
	t0 := time.Now()
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return ctx.Err()
	}
	cpu1, _ := procCPU(srv.pid())
	r.HoldSeconds = time.Since(t0).Seconds()
	r.IdleCPU = (cpu1 - cpu0).Seconds() / r.HoldSeconds
	if r.Loaded, err = scrape(ctx, srv.admin); err != nil {
		return err
	}
	if m, err := procMem(srv.pid()); err == nil {
		r.ServerThreads = m.Threads
	}
	n := float64(r.Tunnels)
	r.RSSPerTunnel = float64(r.Loaded.RSS-r.Base.RSS) / n
	r.HeapPerTunnel = float64(r.Loaded.HeapInuse-r.Base.HeapInuse) / n
	r.StackPerTunnel = float64(r.Loaded.StackInuse-r.Base.StackInuse) / n
	r.GoroutinesPerTunnel = float64(r.Loaded.Goroutines-r.Base.Goroutines) / n
	return nil
}

// clientSide asks the worker how many clients are online and have reconnected, and
// measures its memory.
func (r *idleResult) clientSide(w *proc) error {
	var line string
	seen := w.watch(func(l string) bool {
		line = l
		return strings.HasPrefix(l, idleStats)
	})
	if _, err := io.WriteString(w.stdin, "stats\n"); err != nil {
		return fmt.Errorf("idle: ask worker: %w", err)
	}
	if err := w.await(seen); err != nil {
		return err
	}
	online, connects, err := parseIdleStats(line)
	if err != nil {
		return err
	}
	r.Online, r.Reconnects = online, connects-r.Tunnels
	if m, err := procMem(w.pid()); err == nil {
		r.ClientRSSPerTunnel = float64(m.RSS) / float64(r.Tunnels)
	}
	return nil
}

// parseIdleStats reads the worker's "stats ONLINE CONNECTS" line.
func parseIdleStats(line string) (online, connects int, err error) {
	f := strings.Fields(strings.TrimPrefix(line, idleStats))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("idle: worker said %q", line)
	}
	online, err1 := strconv.Atoi(f[0])
	connects, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || online < 0 || connects < 0 {
		return 0, 0, fmt.Errorf("idle: worker said %q", line)
	}
	return online, connects, nil
}

// probe sends one request through each of k random tunnels of n and counts the 200s.
func probe(ctx context.Context, server string, n, k int) (sent, ok int) {
	body := webhookBody(1024)
	hc := &http.Client{Timeout: 10 * time.Second}
	for range min(k, n) {
		sent++
		if post(ctx, hc, fmt.Sprintf("%s/t/idle-%05d/probe", server, rand.IntN(n)), body) {
			ok++
		}
	}
	return sent, ok
}

// teardown waits, polling every 100 ms, until the server is back near its base
// goroutine count after every client vanished, and measures the CPU it took.
func (r *idleResult) teardown(ctx context.Context, srv *relayServer) error {
	cpu0, _ := procCPU(srv.pid())
	t0 := time.Now()
	for time.Since(t0) < teardownLimit {
		s, err := scrape(ctx, srv.admin)
		if err != nil {
			return err
		}
		if s.Goroutines <= r.Base.Goroutines+r.Tunnels/100+10 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cpu1, _ := procCPU(srv.pid())
	r.TeardownSeconds, r.TeardownCPU = time.Since(t0).Seconds(), (cpu1 - cpu0).Seconds()
	return nil
}
