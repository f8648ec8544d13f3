package postgres_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// pendingOn inserts a pending record of tunnel t through db (so written by its node).
func pendingOn(t *testing.T, db *postgres.DB) *store.Record {
	t.Helper()
	r := &store.Record{Tunnel: "t", Owner: "team", Method: "POST", Path: "/", ReceivedAt: time.Now().Add(-time.Minute)}
	if err := db.Insert(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// outcomes maps each record's id to its outcome as db reads it.
func outcomes(t *testing.T, db *postgres.DB, rs map[string]*store.Record) map[string]store.Outcome {
	t.Helper()
	out := make(map[string]store.Outcome, len(rs))
	for name, r := range rs {
		got, err := db.Get(context.Background(), "team", r.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = got.Outcome
	}
	return out
}

// TestInterruptKeepsLiveNodes: a relay starting on a shared database settles the
// records left pending by nodes known to be gone (its own previous life on the same
// cluster address, a node whose heartbeat expired) and never a live node's deliveries
// in flight.
func TestInterruptKeepsLiveNodes(t *testing.T) {
	dbs, dsn := clusterOn(t, pgtest.Schema(t), 2, postgres.Options{})
	ctx := context.Background()
	previous := mustOpen(t, dsn, postgres.Options{NodeID: "host-previous"})
	expired := mustOpen(t, dsn, postgres.Options{NodeID: "host-expired", NodeTTL: time.Millisecond})
	for db, addr := range map[*postgres.DB]string{previous: "10.0.0.9:7443", expired: "10.0.0.8:7443"} {
		if err := db.Join(ctx, addr); err != nil {
			t.Fatal(err)
		}
	}
	rs := map[string]*store.Record{"live": pendingOn(t, dbs[0]), "other live": pendingOn(t, dbs[1]),
		"previous life": pendingOn(t, previous), "expired": pendingOn(t, expired)}
	time.Sleep(10 * time.Millisecond) // past the expired node's 1 ms
	restarted := mustOpen(t, dsn, postgres.Options{NodeID: "host-restarted"})
	if err := restarted.Join(ctx, "10.0.0.9:7443"); err != nil {
		t.Fatal(err)
	}
	n, err := restarted.Interrupt(ctx, time.Now())
	if err != nil || n != 2 {
		t.Fatalf("Interrupt = %d, %v; want 2", n, err)
	}
	want := map[string]store.Outcome{"live": store.OutcomePending, "other live": store.OutcomePending,
		"previous life": store.OutcomeInterrupted, "expired": store.OutcomeInterrupted}
	if got := outcomes(t, restarted, rs); !maps.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
}

// TestReapSettlesDeadNodesRecords: reaping a dead node settles the records it left
// pending as interrupted; a live node's stay pending, and an answer saved after the
// settling wins over it.
func TestReapSettlesDeadNodesRecords(t *testing.T) {
	dbs := clusterOf(t, 2, postgres.Options{NodeTTL: time.Second, ReapAfter: time.Second})
	ctx := context.Background()
	stop := heartbeat(t, dbs[1], 200*time.Millisecond)
	defer stop()
	rs := map[string]*store.Record{"dead": pendingOn(t, dbs[0]), "live": pendingOn(t, dbs[1])}
	done := pendingOn(t, dbs[0])
	done.Outcome, done.Status = store.OutcomeOK, 200
	if err := dbs[0].Complete(ctx, done); err != nil {
		t.Fatal(err)
	}
	rs["done"] = done
	// Its last heartbeat publishes where its pending records begin: at "dead", below
	// the completed one.
	if alive, err := dbs[0].Heartbeat(ctx); !alive || err != nil {
		t.Fatalf("heartbeat: %v, %v", alive, err)
	}
	var nodes, records int
	waitFor(t, "Reap to delete the dead node", func() bool {
		n, k, err := dbs[1].Reap(ctx)
		nodes, records = nodes+n, records+k
		return err == nil && nodes == 1
	})
	if records != 1 {
		t.Fatalf("Reap settled %d records, want 1", records)
	}
	want := map[string]store.Outcome{"dead": store.OutcomeInterrupted, "live": store.OutcomePending, "done": store.OutcomeOK}
	if got := outcomes(t, dbs[1], rs); !maps.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	late := rs["dead"]
	late.Outcome, late.Status = store.OutcomeOK, 200
	if err := dbs[0].Complete(ctx, late); err != nil {
		t.Fatal(err)
	}
	if got := outcomes(t, dbs[1], rs)["dead"]; got != store.OutcomeOK {
		t.Fatalf("completed after the settling: %s, want ok", got)
	}
}
