package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
)

// TestGracefulShutdown cancels run (what SIGTERM does) while a request is in flight: the
// request completes with the app's answer, run returns nil, and the listener is closed.
func TestGracefulShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "finished")
	}))
	defer app.Close()
	ctx, cancel := context.WithCancel(context.Background())
	readyc, done := make(chan ready, 1), make(chan error, 1)
	args := []string{"--dev", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--token", relaytest.Token}
	go func() { done <- run(ctx, args, noEnv, io.Discard, func(rd ready) { readyc <- rd }) }()
	rd := <-readyc
	cl := relaytest.StartClient(t, rd.PublicURL, relaytest.Token, client.Tunnel{Name: "drain", Target: relaytest.Target(t, app.URL)})

	answer := make(chan string, 1)
	go func() {
		resp, err := http.Get(rd.PublicURL + "/t/drain/slow")
		if err != nil {
			answer <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answer <- string(b)
	}()
	<-entered
	cancel() // SIGTERM
	for deadline := time.Now().Add(5 * time.Second); ; {
		hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		if _, err := hc.Get(rd.PublicURL + "/healthz"); err != nil {
			break // the listener is closed while the request drains
		}
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections while draining")
		}
	}
	close(release)
	if got := <-answer; got != "finished" {
		t.Fatalf("in-flight request got %q, want the app's answer", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v after a clean drain", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after draining")
	}
	cl.Stop()
}
