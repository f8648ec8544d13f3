package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hookrelay/hookrelay/internal/cluster"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// TestReacquire: a session whose lease vanished (its node reaped) leases again with a
// higher generation and the same client settings, the tunnel's checks left as they
// were; once another node holds the client's lease, reacquiring takes nothing.
func TestReacquire(t *testing.T) {
	dbs := clusterOf(t, 2, postgres.Options{SealSecret: []byte("reacquire test secret")})
	ctx := context.Background()
	first := mustAcquire(t, dbs[0], postgres.Lease{Tunnel: "t", ClientID: "c", Session: "s1", Label: "laptop",
		Routes: []string{"path=/a"}, Verify: []string{"github:s3cret"}, VerifyMode: "enforce"})
	if ok, err := dbs[0].Release(ctx, first); !ok || err != nil { // as the reaper's cascade would
		t.Fatal(ok, err)
	}
	again, ok, err := dbs[0].Reacquire(ctx, first)
	if err != nil || !ok || again.Generation <= first.Generation {
		t.Fatalf("reacquire: gen %d (was %d), ok %v, err %v", again.Generation, first.Generation, ok, err)
	}
	got := mustLookup(t, dbs[1], "t")
	if len(got) != 1 || got[0].Generation != again.Generation || got[0].NodeID != dbs[0].NodeID() ||
		got[0].Label != "laptop" || !slices.Equal(got[0].Verify, first.Verify) || !slices.Equal(got[0].Routes, first.Routes) {
		t.Fatalf("lease after reacquiring: %+v", got)
	}
	if checks, err := dbs[1].TunnelChecks(ctx, "t"); err != nil || checks.Generation != first.Generation {
		t.Fatalf("tunnel checks after reacquiring: %+v, %v (want those of generation %d)", checks, err, first.Generation)
	}
	moved := mustAcquire(t, dbs[1], postgres.Lease{Tunnel: "t", ClientID: "c", Session: "s2"})
	if _, ok, err := dbs[0].Reacquire(ctx, again); ok || err != nil {
		t.Fatalf("reacquire a lease another node holds: ok %v, err %v", ok, err)
	}
	if got := mustLookup(t, dbs[0], "t"); len(got) != 1 || got[0].Generation != moved.Generation {
		t.Fatalf("lease after a refused reacquire: %+v, want generation %d", got, moved.Generation)
	}
}

// BenchmarkReconcile: one node's comparison of its leases with the sessions it serves,
// all in agreement (what runs every few seconds), with 1, 100 and 1000 sessions.
func BenchmarkReconcile(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprint("leases=", n), func(b *testing.B) {
			db := benchCluster(b)
			ctx := context.Background()
			serving := make(map[cluster.Key]int64, n)
			for i := range n {
				l, err := db.Acquire(ctx, postgres.Lease{Tunnel: "t", ClientID: fmt.Sprint(i), Session: "s"})
				if err != nil {
					b.Fatal(err)
				}
				serving[cluster.Key{Tunnel: l.Tunnel, ClientID: l.ClientID}] = l.Generation
			}
			for b.Loop() {
				if p, err := db.Reconcile(ctx, serving); err != nil || len(p.Lost)+len(p.Superseded)+len(p.Release) > 0 {
					b.Fatal(p, err)
				}
			}
		})
	}
}
