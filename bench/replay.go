package main

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
)

// replayLiveConns is the concurrency of the live traffic that replay is compared with.
const replayLiveConns = 16

// replayParallel is the bulk replay's parallel option (replays in flight at once).
const replayParallel = 8

// replayResult is what --replay measured.
type replayResult struct {
	N         int     `json:"n"`
	LiveConns int     `json:"live_conns"`
	LiveRPS   float64 `json:"live_rps"`
	// LiveSerialRPS is live traffic from one connection: bulk replay sends one delivery
	// at a time, so this is its like-for-like comparison.
	LiveSerialRPS float64 `json:"live_serial_rps"`
	ReplayRPS     float64 `json:"replay_rps"`
	ReplaySeconds float64 `json:"replay_seconds"`
	OK            int     `json:"ok"`
	LiveErrors    int64   `json:"live_errors"`
}

// runReplay records n deliveries through a fresh server (live, timed), then bulk
// replays exactly those through the same tunnel with POST /api/replay, timed.
func runReplay(ctx context.Context, e *env, n int) (*replayResult, error) {
	srv, err := startServer(e.bin, e.tmp, serverOpts{})
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	cl, err := startClient(e.bin, srv, "replay", e.backendURL)
	if err != nil {
		return nil, err
	}
	defer cl.stop()
	target := srv.url + "/t/replay/hook"
	res := &replayResult{N: n, LiveConns: replayLiveConns}
	serial, err := goLoad(ctx, target, e.body, 1, time.Minute, int64(max(n/10, 100)))
	if err != nil {
		return nil, err
	}
	res.LiveSerialRPS = serial.RPS
	since := time.Now()
	live, err := goLoad(ctx, target, e.body, replayLiveConns, 5*time.Minute, int64(n))
	if err != nil {
		return nil, err
	}
	until := time.Now()
	res.LiveRPS, res.LiveErrors = live.RPS, live.Errors+serial.Errors
	e.logf("replay: %d live deliveries at c=%d: %.0f req/s (c=1: %.0f req/s); replaying\n", live.Requests, replayLiveConns, live.RPS, serial.RPS)
	return res, res.bulk(ctx, srv.url, since, until)
}

// bulk replays the window's records and times it.
func (r *replayResult) bulk(ctx context.Context, base string, since, until time.Time) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	c := &api.Client{Base: u, Token: benchToken}
	f := store.Filter{Tunnel: "replay", Since: since, Until: until}
	done := 0
	t0 := time.Now()
	err = c.BulkReplay(ctx, f, api.BulkOptions{Parallel: replayParallel}, func(res api.ReplayResult) {
		done++
		if res.Error == "" && res.Record != nil && res.Record.Outcome == store.OutcomeOK {
			r.OK++
		}
	})
	r.ReplaySeconds = time.Since(t0).Seconds()
	if err != nil {
		return fmt.Errorf("bulk replay: %w", err)
	}
	if done != r.N {
		return fmt.Errorf("bulk replay: %d results for %d recorded deliveries", done, r.N)
	}
	r.ReplayRPS = float64(done) / r.ReplaySeconds
	return nil
}
