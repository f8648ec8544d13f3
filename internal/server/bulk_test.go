package server_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// gate is a backend that holds the replays it gets until `want` of them are in flight
// at once (or a deadline passes), and reports the most it saw.
type gate struct {
	mu      sync.Mutex
	cur     int
	most    int
	want    int
	reached chan struct{}
	paths   []string
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(proto.HeaderReplayOf) == "" {
		return // a live delivery: answer at once
	}
	g.mu.Lock()
	g.cur++
	g.most = max(g.most, g.cur)
	g.paths = append(g.paths, r.URL.Path)
	if g.cur == g.want {
		close(g.reached)
	}
	g.mu.Unlock()
	select {
	case <-g.reached:
	case <-time.After(2 * time.Second):
	}
	g.mu.Lock()
	g.cur--
	g.mu.Unlock()
}

func TestBulkReplayParallelReportsInOrder(t *testing.T) {
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	g := &gate{want: 4, reached: make(chan struct{})}
	be := httpServer(t, g)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Target: relaytest.Target(t, be)})
	const n = 12
	for i := range n {
		post(t, fmt.Sprintf("%s/t/hook/n/%d", srv.URL, i), "{}")
	}
	c := apiClient(t, srv, relaytest.Token)
	var got []api.ReplayResult
	err := c.BulkReplay(context.Background(), store.Filter{Tunnel: "hook"}, api.BulkOptions{Parallel: 4},
		func(r api.ReplayResult) { got = append(got, r) })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d results, want %d", len(got), n)
	}
	for i, r := range got {
		if r.Done != i+1 || r.Total != n || r.Error != "" || r.Record == nil || r.Record.Path != fmt.Sprintf("/n/%d", i) {
			t.Fatalf("result %d out of order or failed: %+v", i, r)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.most != 4 || len(g.paths) != n {
		t.Fatalf("the app saw at most %d replays at once (want 4) and %d in all (want %d)", g.most, len(g.paths), n)
	}
}

func TestBulkReplayParallelOutOfRange(t *testing.T) {
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	for _, p := range []string{"0", "33", "x"} {
		req := mustRequest(t, "POST", srv.URL+"/api/replay?since=1h&parallel="+p, nil)
		req.Header.Set("Authorization", "Bearer "+relaytest.Token)
		resp := mustDo(t, req)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get(proto.HeaderError) != string(proto.CodeBadRequest) {
			t.Errorf("parallel=%s: %d %s", p, resp.StatusCode, resp.Header.Get(proto.HeaderError))
		}
	}
}
