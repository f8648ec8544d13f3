package server_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

// TestClusterTeamAcrossNodes: one team tunnel with its clients on three nodes. Alice
// (node A, first attached) answers, Bob (node B) gets a copy of every delivery, Carol
// (node C, routed) gets what her route matches and nothing else, whichever node a
// sender reaches; every node lists the same clients in the same roles and records
// each attempt; each client is told of the clients on every node. When Alice's client
// goes away, Bob answers senders of every node.
func TestClusterTeamAcrossNodes(t *testing.T) {
	dsn := pgtest.Schema(t)
	nodes := []*clusterNode{startNode(t, dsn, nil), startNode(t, dsn, nil), startNode(t, dsn, nil)}
	alice, bob, carol := newApp(t, "alice", 0), newApp(t, "bob", 0), newApp(t, "carol", 0)
	ma := attach(t, nodes[0].Server, alice, nil)
	mb := attach(t, nodes[1].Server, bob, nil)
	mc := attach(t, nodes[2].Server, carol, func(tn *client.Tunnel) { tn.Routes = []string{"header:X-Dev=carol"} })
	for _, m := range []*member{ma, mb, mc} { // each told of the clients on every node
		m.waitClients(t, "alice:primary", "bob:mirror", "carol:routed")
	}
	for _, n := range nodes {
		checkRoles(t, waitAttached(t, apiClient(t, n.Server, relaytest.Token), 3),
			"alice:primary", "bob:mirror", "carol:routed")
	}
	for i, n := range nodes {
		status, from, id := send(t, n.Server, "/hook", nil, `{"n":`+itoa(i)+`}`)
		if status != http.StatusOK || from != "alice" {
			t.Fatalf("delivery through node %d: %d from %q, want 200 from alice", i, status, from)
		}
		bob.waitGot(t, id)
		checkTries(t, waitTries(t, apiClient(t, nodes[(i+1)%3].Server, relaytest.Token), id, 2),
			"alice:primary:200", "bob:mirror:200")
	}
	for i, n := range nodes {
		status, from, _ := send(t, n.Server, "/hook", http.Header{"X-Dev": {"carol"}}, `{"routed":true}`)
		if status != http.StatusOK || from != "carol" {
			t.Fatalf("routed delivery through node %d: %d from %q, want 200 from carol", i, status, from)
		}
	}
	if n := carol.hits.Load(); n != 3 {
		t.Errorf("carol got %d deliveries, want the 3 her route matches", n)
	}
	if n := alice.hits.Load(); n != 3 {
		t.Errorf("alice got %d deliveries, want the 3 unrouted ones", n)
	}
	ma.Stop()
	mc.waitClients(t, "bob:primary", "carol:routed")
	for i, n := range nodes {
		waitAnswer(t, n.Server, "bob", i)
	}
}

// TestClusterBalanceAcrossNodes: a balance tunnel (asked for by a client on another
// node) with clients on two nodes spreads deliveries arriving at a third node evenly.
func TestClusterBalanceAcrossNodes(t *testing.T) {
	dsn := pgtest.Schema(t)
	nodes := []*clusterNode{startNode(t, dsn, nil), startNode(t, dsn, nil), startNode(t, dsn, nil)}
	ann, ben := newApp(t, "ann", 0), newApp(t, "ben", 0)
	attach(t, nodes[0].Server, ann, func(tn *client.Tunnel) { tn.Share = proto.ShareBalance })
	attach(t, nodes[1].Server, ben, nil)
	tun := waitAttached(t, apiClient(t, nodes[2].Server, relaytest.Token), 2)
	if tun.Share != proto.ShareBalance {
		t.Fatalf("node C sees share %q, want balance", tun.Share)
	}
	got := map[string]int{}
	for i := range 40 {
		status, from, _ := send(t, nodes[2].Server, "/hook", nil, `{"n":`+itoa(i)+`}`)
		if status != http.StatusOK {
			t.Fatalf("delivery %d: %d", i, status)
		}
		got[from]++
	}
	if got["ann"] != 20 || got["ben"] != 20 {
		t.Errorf("spread %v, want 20 each", got)
	}
}

// waitAnswer sends through srv (node i) until app answers, after a change of clients
// that other nodes learn within a lease lookup; every answer meanwhile must be a 200
// from a client (one found gone passes the delivery on to the next).
func waitAnswer(tb testing.TB, srv *relaytest.Server, app string, i int) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var status int
	var from string
	for time.Now().Before(deadline) {
		if status, from, _ = send(tb, srv, "/hook", nil, `{}`); status == http.StatusOK && from == app {
			return
		}
		if status != http.StatusOK {
			tb.Fatalf("node %d: %d during the hand-over, want 200", i, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("node %d: last answer %d from %q, want 200 from %s", i, status, from, app)
}

// TestClusterTeamQueueOnce: deliveries queued while a team's queue tunnel has no client
// anywhere reach, when two clients attach to two nodes at once (each node starts a
// drain, each planning among both clients), the primary exactly once each, in order,
// and no client twice.
func TestClusterTeamQueueOnce(t *testing.T) {
	const n = 20
	dsn := pgtest.Schema(t)
	nodes := []*clusterNode{startNode(t, dsn, nil), startNode(t, dsn, nil), startNode(t, dsn, nil)}
	alice, bob := newApp(t, "alice", 0), newApp(t, "bob", 0)
	queue := func(tn *client.Tunnel) { tn.Offline = proto.OfflineQueue }
	_ = attach(t, nodes[0].Server, alice, queue).Stop() // the tunnel exists, queueing
	var ids []string
	for i := range n {
		resp := post(t, nodes[2].URL+"/t/team/q", itoa(i))
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("delivery %d: %d, want 202", i, resp.StatusCode)
		}
		ids = append(ids, resp.Header.Get(proto.HeaderRequestID))
	}
	ma, mb := startMember(t, nodes[0].Server, alice, "alice", queue), startMember(t, nodes[1].Server, bob, "bob", queue)
	ma.WaitOnline(t)
	mb.WaitOnline(t)
	c := apiClient(t, nodes[2].Server, relaytest.Token)
	primary := waitAttached(t, c, 2).Clients[0].Label
	first, other := alice, bob
	if primary == "bob" {
		first, other = bob, alice
	}
	for _, id := range ids {
		first.waitGot(t, id)
	}
	for _, a := range []*app{alice, bob} {
		a.mu.Lock()
		got := slices.Clone(a.ids)
		a.mu.Unlock()
		seen, twice := map[string]bool{}, 0
		for _, id := range got {
			if seen[id] {
				twice++
			}
			seen[id] = true
		}
		if twice > 0 {
			t.Errorf("%s got %d deliveries twice: %q", a.name, twice, got)
		}
		if a == first && !slices.Equal(got, ids) {
			t.Errorf("primary %s got %q, want %q once each in order", a.name, got, ids)
		}
	}
	t.Logf("primary %s; %s got %d copies", first.name, other.name, other.hits.Load())
}

// checkRoles compares a tunnel's clients (label:role, in order) with want.
func checkRoles(tb testing.TB, tun *api.Tunnel, want ...string) {
	tb.Helper()
	var got []string
	for _, c := range tun.Clients {
		got = append(got, c.Label+":"+c.Role)
	}
	if !slices.Equal(got, want) {
		tb.Errorf("clients %q, want %q", got, want)
	}
}

// waitTries waits until record id, read through c, has n attempts.
func waitTries(tb testing.TB, c *api.Client, id string, n int) []api.Try {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var rec *api.Record
	var err error
	for time.Now().Before(deadline) {
		if rec, err = c.Get(context.Background(), id); err == nil && len(rec.Tries) >= n {
			return rec.Tries
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("record %s: %+v (err %v), want %d attempts", id, rec, err, n)
	return nil
}

// checkTries compares attempts (label:role:status, in any order) with want.
func checkTries(tb testing.TB, got []api.Try, want ...string) {
	tb.Helper()
	var have []string
	for _, a := range got {
		have = append(have, a.Label+":"+a.Role+":"+itoa(a.Status))
	}
	slices.Sort(have)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(have, want) {
		tb.Errorf("attempts %q, want %q", have, want)
	}
}

// BenchmarkClusterMirror: what a sender of node A waits for when its tunnel's client on
// A answers alone, and when a teammate's client on node B also gets a copy of every
// delivery (through a splice, after the answer). Deliveries are paced: each starts once
// the previous one's copy has reached B's app. Run with -benchtime=500x.
func BenchmarkClusterMirror(b *testing.B) {
	for _, mirrored := range []bool{false, true} {
		name := map[bool]string{false: "alone", true: "mirror-on-B"}[mirrored]
		b.Run(name, func(b *testing.B) {
			dsn := pgtest.Schema(b)
			a, nb := startNodeTB(b, dsn), startNodeTB(b, dsn)
			alice, bob := newApp(b, "alice", 0), newApp(b, "bob", 0)
			attach(b, a.Server, alice, nil)
			want := 1
			if mirrored {
				attach(b, nb.Server, bob, nil)
				want = 2
			}
			waitAttached(b, apiClient(b, a.Server, relaytest.Token), want)
			took := make([]time.Duration, 0, b.N)
			for b.Loop() {
				b.StopTimer()
				for mirrored && bob.hits.Load() < alice.hits.Load() {
					time.Sleep(50 * time.Microsecond)
				}
				b.StartTimer()
				start := time.Now()
				if status, from, _ := send(b, a.Server, "/hook", nil, `{"n":1}`); status != http.StatusOK || from != "alice" {
					b.Fatalf("%d from %q", status, from)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*9/10].Microseconds()), "p90-µs")
		})
	}
}

// TestClusterClientCap: --clients-per-tunnel counts the clients of every node: with a
// cap of 2 and clients on two nodes, a third on the third node is refused with
// too_many_clients, and a client at the cap attaching again elsewhere replaces itself.
func TestClusterClientCap(t *testing.T) {
	dsn := pgtest.Schema(t)
	capTwo := func(c *server.Config) { c.ClientsPerTunnel = 2 }
	nodes := []*clusterNode{startNode(t, dsn, capTwo), startNode(t, dsn, capTwo), startNode(t, dsn, capTwo)}
	a, b, c := newApp(t, "a", 0), newApp(t, "b", 0), newApp(t, "c", 0)
	attach(t, nodes[0].Server, a, nil)
	attach(t, nodes[1].Server, b, nil).waitClients(t, "a:primary", "b:mirror")
	third := startMember(t, nodes[2].Server, c, "c", nil)
	waitOutput(t, third, string(proto.CodeTooManyClients))
	_ = third.Stop()
	attach(t, nodes[2].Server, b, nil).waitClients(t, "a:primary", "b:mirror") // b again, on node 2
}
