package cluster_test

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/cluster"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func open(t *testing.T, dsn string, opts postgres.Options) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestRun: a running node is in the nodes table, reaps a dead node, joins again
// (and says so) after being reaped itself, and leaves when stopped.
func TestRun(t *testing.T) {
	dsn := pgtest.Schema(t)
	short := postgres.Options{NodeTTL: time.Second, ReapAfter: 100 * time.Millisecond}
	live := open(t, dsn, short)
	dead := open(t, dsn, short)
	ctx := context.Background()
	if err := dead.Join(ctx, "10.0.0.9:7443"); err != nil {
		t.Fatal(err)
	}
	var rejoined atomic.Int32
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- cluster.Run(rctx, live, cluster.Config{Addr: "10.0.0.1:7443", HeartbeatEvery: 100 * time.Millisecond,
			ReapEvery: 100 * time.Millisecond, Rejoined: func(context.Context) { rejoined.Add(1) }})
	}()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	nodes := func() (ids []string) {
		rows, _ := conn.Query(ctx, `SELECT node_id FROM nodes ORDER BY node_id`)
		ids, _ = pgx.CollectRows(rows, pgx.RowTo[string])
		return ids
	}
	waitFor(t, "the dead node reaped and the live one alone", func() bool {
		ids := nodes()
		return len(ids) == 1 && ids[0] == live.NodeID()
	})
	if _, err := conn.Exec(ctx, `DELETE FROM nodes`); err != nil { // as a reaper would after an outage
		t.Fatal(err)
	}
	waitFor(t, "the node to join again", func() bool { return rejoined.Load() == 1 && len(nodes()) == 1 })
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ids := nodes(); len(ids) != 0 {
		t.Fatalf("nodes after Run returned: %q", ids)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("no %s within a minute", what)
}
