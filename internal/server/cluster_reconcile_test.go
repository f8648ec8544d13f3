package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// TestClusterReconcileLost: a node reaped while its store was out of reach loses its
// leases (deleted here as the reaper's cascade does); its reconcile leases its live
// session again with a new generation, and another node delivers to that client
// through a splice again, which the holder accepts at the new generation.
func TestClusterReconcileLost(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, b := startNode(t, dsn, nil), startNode(t, dsn, nil)
	relaytest.StartClient(t, a.URL, relaytest.Token, client.Tunnel{Name: "far", Target: relaytest.Target(t, echoApp(t))})
	deliverVia(t, b, "/before")
	before := held(t, a.db)
	if len(before) != 1 {
		t.Fatalf("node A holds %+v, want one lease", before)
	}
	sql := pgConn(t, dsn)
	if _, err := sql.Exec(context.Background(), `DELETE FROM tunnel_leases WHERE node_id = $1`, a.db.NodeID()); err != nil {
		t.Fatal(err)
	}
	if err := a.ReconcileLeases(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := held(t, a.db)
	if len(after) != 1 || after[0].Generation <= before[0].Generation || after[0].Session != before[0].Session {
		t.Fatalf("node A holds %+v after reconciling, want the session's lease at a generation above %d",
			after, before[0].Generation)
	}
	deliverVia(t, b, "/after")
}

// TestClusterReconcileSuperseded: a client that attached again on another node while
// this node still serves its older session (a partition, a half-open connection)
// supersedes that session; this node's reconcile ends it as replaced, and deliveries
// through this node reach the client's new session.
func TestClusterReconcileSuperseded(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, b := startNode(t, dsn, nil), startNode(t, dsn, nil)
	laptop := func(c *client.Config) { c.ClientID = "laptop" }
	old := relaytest.RunClientWith(t, a.URL, relaytest.Token, laptop,
		client.Tunnel{Name: "far", Target: relaytest.Target(t, namedApp(t, "old"))})
	old.WaitOnline(t)
	moved := relaytest.RunClientWith(t, b.URL, relaytest.Token, laptop,
		client.Tunnel{Name: "far", Target: relaytest.Target(t, namedApp(t, "new"))})
	moved.WaitOnline(t)
	if err := a.ReconcileLeases(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-old.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the superseded session on node A was not ended")
	}
	if err := old.Err(); !errors.Is(err, client.ErrPermanent) || !strings.Contains(err.Error(), "replaced") {
		t.Fatalf("the superseded client ended with %v, want replaced", err)
	}
	waitApp(t, a.URL+"/t/far/after", "new")
	select {
	case <-moved.Done():
		t.Fatalf("the new session ended: %v", moved.Err())
	default:
	}
}

// TestClusterReconcileReleases: a lease stored for a session that ended without
// releasing it (the store out of reach then) is deleted by the next reconcile; the
// live session's lease stays as it was.
func TestClusterReconcileReleases(t *testing.T) {
	dsn := pgtest.Schema(t)
	a := startNode(t, dsn, nil)
	relaytest.StartClient(t, a.URL, relaytest.Token, client.Tunnel{Name: "far", Target: relaytest.Target(t, echoApp(t))})
	live := held(t, a.db)
	ghost := postgres.Lease{Tunnel: "far", ClientID: "ghost", Session: "ended-long-ago"}
	if _, err := a.db.Acquire(context.Background(), ghost); err != nil {
		t.Fatal(err)
	}
	if got := held(t, a.db); len(got) != 2 {
		t.Fatalf("node A holds %+v, want the live lease and the ghost's", got)
	}
	if err := a.ReconcileLeases(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := held(t, a.db); len(live) != 1 || len(got) != 1 || got[0].Generation != live[0].Generation {
		t.Fatalf("node A holds %+v after reconciling, want only %+v", got, live)
	}
}

// held is the leases db's node holds in the store.
func held(t *testing.T, db *postgres.DB) []postgres.Lease {
	t.Helper()
	ls, err := db.Held(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func pgConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// deliverVia posts to tunnel far through node n and wants the echo app's answer.
func deliverVia(t *testing.T, n *clusterNode, path string) {
	t.Helper()
	resp := post(t, n.URL+"/t/far"+path, "{}")
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Echo") != "POST "+path {
		t.Fatalf("POST %s through another node: status %d, X-Echo %q", path, resp.StatusCode, resp.Header.Get("X-Echo"))
	}
}

// namedApp answers every request 200 with its name in X-App.
func namedApp(t *testing.T, name string) string {
	return httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-App", name)
	}))
}

// waitApp posts to url until the app named app answers: other nodes look leases up
// again within a few seconds.
func waitApp(t *testing.T, url, app string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp := post(t, url, "{}")
		if last = resp.Header.Get("X-App"); resp.StatusCode == http.StatusOK && last == app {
			return
		}
		last += " " + resp.Status
	}
	t.Fatalf("POST %s: last answered by %q, want app %s", url, last, app)
}
