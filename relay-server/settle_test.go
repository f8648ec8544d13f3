package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/relaytest"
)

// TestClusterStartLeavesDeliveriesInFlight: a relay starting on a database other relays
// share settles only what dead processes left pending, never another node's delivery
// in flight: that record stays pending (not listed by replay --missed) until its node
// completes it.
func TestClusterStartLeavesDeliveriesInFlight(t *testing.T) {
	dsn, schema, args := clusterArgs(t)
	a := startRelay(t, args...)
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		<-release
		_, _ = w.Write(reversed(b))
	}))
	t.Cleanup(app.Close)
	t.Cleanup(open) // before the app closes: it waits for its handlers
	relaytest.StartClient(t, a.PublicURL, pgToken, client.Tunnel{Name: "pg", Target: relaytest.Target(t, app.URL)})
	answered := make(chan string, 1)
	go func() {
		resp, body := post(t, a.PublicURL)
		answered <- resp.Status + " " + body
	}()
	conn := pgConn(t, pgtest.WithSearchPath(dsn, schema))
	outcome := func() string {
		var o string
		_ = conn.QueryRow(context.Background(), `SELECT outcome FROM record_state WHERE tunnel = 'pg'`).Scan(&o)
		return o
	}
	waitUntil(t, "the delivery recorded and in flight", func() bool { return outcome() == "pending" })

	startRelay(t, args...) // settles what was left pending before it started
	if o := outcome(); o != "pending" {
		t.Fatalf("a delivery in flight on another node is %q after a relay started, want pending", o)
	}
	open()
	if got, want := <-answered, "200 OK "+string(reversed(pgBody)); got != want {
		t.Fatalf("sender got %q, want %q", got, want)
	}
	waitUntil(t, "the delivery completed", func() bool { return outcome() == "ok" })
}
