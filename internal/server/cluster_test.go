package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/cluster/link"
	"github.com/hookrelay/hookrelay/internal/peer"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
	"github.com/hookrelay/hookrelay/proto"
)

var clusterSecret = []byte("cluster test secret")

// clusterNode is one relay node of an in-process cluster: its own store handle, public
// listener, and peer listener.
type clusterNode struct {
	*relaytest.Server
	db     *postgres.DB
	peers  *peer.Peers
	holder *peer.Holder
}

// startNode starts a relay node on the shared schema dsn, joined with its peer address.
func startNode(t *testing.T, dsn string, mutate func(*server.Config)) *clusterNode {
	return startNodeWith(t, dsn, mutate)
}

func startNodeTB(tb testing.TB, dsn string) *clusterNode { return startNodeWith(tb, dsn, nil) }

func startNodeWith(t testing.TB, dsn string, mutate func(*server.Config)) *clusterNode {
	t.Helper()
	db := openPG(t, dsn)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Join(context.Background(), ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	peers, err := peer.NewPeers(peer.DialerConfig{Node: db.NodeID(), Secret: clusterSecret})
	if err != nil {
		t.Fatal(err)
	}
	n := &clusterNode{db: db, peers: peers}
	n.Server = relaytest.StartServer(t, "", func(c *server.Config) {
		c.Store, c.Cluster, c.Events = db, link.Cluster{DB: db, Peers: peers}, link.NewEvents(db, relaytest.Logger(t))
		if mutate != nil {
			mutate(c)
		}
	})
	n.holder, err = peer.NewHolder(peer.HolderConfig{Node: db.NodeID(), Secret: clusterSecret, Open: n.OpenSplice})
	if err != nil {
		t.Fatal(err)
	}
	go n.holder.Serve(ln)
	t.Cleanup(func() { n.stop() })
	return n
}

// stop closes the node's peer link and server, like a node going away.
func (n *clusterNode) stop() {
	_ = n.holder.Close()
	_ = n.peers.Close()
	n.Stop()
}

// echoApp answers every request with its own body, its method and path in headers, and
// the body's SHA-256, chunked when the request was.
func echoApp(t *testing.T) string { return echoAppTB(t) }

func echoAppTB(t testing.TB) string {
	return httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sum := sha256.Sum256(body)
		w.Header().Set("X-Echo", r.Method+" "+r.RequestURI+" "+strings.Join(r.TransferEncoding, ","))
		w.Header().Set("X-Sum", hex.EncodeToString(sum[:]))
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
	}))
}

// TestClusterForwardsToHoldingNode: a client attached to node A serves senders of
// nodes B and C byte for byte (small, large and chunked bodies); each delivery is
// recorded once, by its ingress node, readable on every node; a replay asked of node C
// reaches the app; a node that cannot reach the holder applies the offline policy.
func TestClusterForwardsToHoldingNode(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, b, c := startNode(t, dsn, nil), startNode(t, dsn, nil), startNode(t, dsn, nil)
	relaytest.StartClient(t, a.URL, relaytest.Token, client.Tunnel{Name: "far", Target: relaytest.Target(t, echoApp(t))})

	large := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	cases := []struct {
		name, via string
		body      []byte
		chunked   bool
	}{
		{"small via B", b.URL, []byte(`{"small":true}`), false},
		{"empty via C", c.URL, nil, false},
		{"large via B", b.URL, large, false},
		{"chunked via C", c.URL, large[:300000], true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(body) // no length: sent chunked
			}
			req := mustRequest(t, "POST", tc.via+"/t/far/in?q=1", body)
			resp := mustDo(t, req)
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("status %d, err %v, body %.200q", resp.StatusCode, err, got)
			}
			sum := sha256.Sum256(tc.body)
			te := map[bool]string{true: "chunked", false: ""}[tc.chunked]
			if !bytes.Equal(got, tc.body) || resp.Header.Get("X-Sum") != hex.EncodeToString(sum[:]) ||
				resp.Header.Get("X-Echo") != strings.TrimSpace("POST /in?q=1 "+te) {
				t.Fatalf("answer: %d bytes (sent %d), X-Sum %s, X-Echo %q", len(got), len(tc.body),
					resp.Header.Get("X-Sum"), resp.Header.Get("X-Echo"))
			}
		})
	}

	// One record per delivery, complete, on every node.
	ctx := context.Background()
	var recs []string
	for _, n := range []*clusterNode{a, b, c} {
		recs = waitRecords(t, apiClient(t, n.Server, relaytest.Token), len(cases))
	}
	// A replay asked of node C reaches the app through node A.
	rec, err := apiClient(t, c.Server, relaytest.Token).Replay(ctx, recs[0], nil)
	if err != nil || rec.Status != http.StatusCreated {
		t.Fatalf("replay from C: %+v, %v", rec, err)
	}
	waitRecords(t, apiClient(t, b.Server, relaytest.Token), len(cases)+1)

	// Holder gone: node B answers as for any offline tunnel and records that.
	a.stop()
	resp := post(t, b.URL+"/t/far/after", "{}")
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("with node A gone: status %d, want 503", resp.StatusCode)
	}
}

// waitRecords waits until c lists n records of tunnel far, each completed with the
// app's status, and returns their ids, newest first.
func waitRecords(t *testing.T, c *api.Client, n int) []string {
	t.Helper()
	var last string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		page, err := c.List(context.Background(), store.Filter{Tunnel: "far"})
		if err != nil {
			t.Fatal(err)
		}
		ids, done := make([]string, 0, n), 0
		for _, r := range page.Requests {
			ids = append(ids, r.ID)
			if r.Status == http.StatusCreated && r.Outcome != store.OutcomePending {
				done++
			}
		}
		if len(ids) == n && done == n {
			return ids
		}
		last = fmt.Sprintf("%d records, %d complete", len(ids), done)
		if len(ids) > n {
			break
		}
	}
	t.Fatalf("want %d complete records of far: %s", n, last)
	return nil
}

// BenchmarkClusterHop: sequential 1 KiB POSTs answered by the app with 1 KiB, to the
// node holding the client session (local) and to another node (remote), which splices
// them through the peer link. Run with -benchtime=500x; p50-µs is the median.
func BenchmarkClusterHop(b *testing.B) {
	dsn := pgtest.Schema(b)
	nodes := [2]*clusterNode{startNodeTB(b, dsn), startNodeTB(b, dsn)}
	relaytest.StartClient(b, nodes[0].URL, relaytest.Token, client.Tunnel{Name: "far", Target: relaytest.Target(b, echoAppTB(b))})
	body := bytes.Repeat([]byte("x"), 1024)
	for i, name := range []string{"local", "remote"} {
		b.Run(name, func(b *testing.B) {
			url := nodes[i].URL + "/t/far/hop"
			took := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				resp, err := http.Post(url, "application/octet-stream", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated || n != int64(len(body)) {
					b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// TestClusterHolderUnreachable: when the node holding a queue tunnel's session cannot
// be reached, another node applies the tunnel's offline policy: 202, and the delivery
// recorded once as queued.
func TestClusterHolderUnreachable(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, b := startNode(t, dsn, nil), startNode(t, dsn, nil)
	relaytest.StartClient(t, a.URL, relaytest.Token,
		client.Tunnel{Name: "far", Target: relaytest.Target(t, echoApp(t)), Offline: proto.OfflineQueue})
	resp := post(t, b.URL+"/t/far/before", "{}")
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("through node A: status %d, want 201", resp.StatusCode)
	}
	_ = a.holder.Close() // node A's session lives on; its peer link is gone
	resp = post(t, b.URL+"/t/far/after", "{}")
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("node A unreachable: status %d, want 202 (queued)", resp.StatusCode)
	}
	page, err := apiClient(t, a.Server, relaytest.Token).List(context.Background(), store.Filter{Tunnel: "far"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Requests) != 2 || page.Requests[0].Outcome != store.OutcomeQueued || page.Requests[0].Path != "/after" {
		t.Fatalf("records: %+v, want 2, the newest queued", page.Requests)
	}
	// Node A, where the client still is, is told of the delivery queued elsewhere (or
	// finds it on its next sweep of the queues, queueSweepEvery) and delivers it.
	waitRecord(t, apiClient(t, a.Server, relaytest.Token), page.Requests[0].ID,
		func(r *api.Record) bool { return r.Outcome == store.OutcomeOK })
}

// TestClusterSessionMoved: a client that reconnects to another node moves its lease;
// a node that still has the old lease in mind hears not_here from the old holder,
// looks the tunnel up again and delivers to the new one, nothing lost on the way.
func TestClusterSessionMoved(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, b, c := startNode(t, dsn, nil), startNode(t, dsn, nil), startNode(t, dsn, nil)
	app := echoApp(t)
	first := relaytest.StartClient(t, a.URL, relaytest.Token, client.Tunnel{Name: "far", Target: relaytest.Target(t, app)})
	if resp := post(t, b.URL+"/t/far/one", "{}"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("through node A: status %d", resp.StatusCode)
	}
	_ = first.Stop()
	relaytest.StartClient(t, c.URL, relaytest.Token, client.Tunnel{Name: "far", Target: relaytest.Target(t, app)})
	// Node B's lookup is younger than leaseFresh: it splices to A first.
	resp := post(t, b.URL+"/t/far/two", "{}")
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Echo") != "POST /two" {
		t.Fatalf("after the client moved to node C: status %d, X-Echo %q", resp.StatusCode, resp.Header.Get("X-Echo"))
	}
}

// TestClusterLiveEvents: a live view on one node (GET /api/events) shows the
// deliveries another node completes, each once.
func TestClusterLiveEvents(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, c := startNode(t, dsn, nil), startNode(t, dsn, nil)
	relaytest.StartClient(t, a.URL, relaytest.Token, client.Tunnel{Name: "far", Target: relaytest.Target(t, echoApp(t))})
	got := make(chan api.Summary, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	connected := make(chan struct{})
	go func() {
		cl := apiClient(t, c.Server, relaytest.Token)
		close(connected)
		_ = cl.Events(ctx, "", func(s api.Summary) { got <- s })
	}()
	<-connected
	// The stream and the node's LISTEN need a moment: send until one event arrives.
	var first api.Summary
	for i := 0; first.ID == ""; i++ {
		if i == 100 {
			t.Fatal("no event on node C for deliveries completed on node A")
		}
		resp := post(t, a.URL+"/t/far/seen", "{}")
		resp.Body.Close()
		select {
		case first = <-got:
		case <-time.After(200 * time.Millisecond):
		}
	}
	if first.Tunnel != "far" || first.Path != "/seen" {
		t.Fatalf("event %+v, want the delivery to far", first)
	}
	resp := post(t, a.URL+"/t/far/last", "{}")
	id := resp.Header.Get(proto.HeaderRequestID)
	resp.Body.Close()
	for deadline := time.After(30 * time.Second); ; {
		select {
		case s := <-got:
			if s.Path == "/last" {
				if s.ID != id && id != "" {
					t.Fatalf("event %+v, want record %s", s, id)
				}
				expectNoMore(t, got, "/last")
				return
			}
		case <-deadline:
			t.Fatal("the last delivery's event never reached node C")
		}
	}
}

// expectNoMore fails if another event for path arrives within a second.
func expectNoMore(t *testing.T, got chan api.Summary, path string) {
	t.Helper()
	for deadline := time.After(time.Second); ; {
		select {
		case s := <-got:
			if s.Path == path {
				t.Fatalf("a second event for %s: %+v", path, s)
			}
		case <-deadline:
			return
		}
	}
}
