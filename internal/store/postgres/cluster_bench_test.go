package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// BenchmarkAcquire: one re-attach of a client (its lease replaced), sequentially.
func BenchmarkAcquire(b *testing.B) {
	db := benchCluster(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if _, err := db.Acquire(ctx, postgres.Lease{Tunnel: "t", ClientID: "c", Session: fmt.Sprint(i)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookup: the live leases of a tunnel with three clients on two nodes.
func BenchmarkLookup(b *testing.B) {
	db := benchCluster(b)
	ctx := context.Background()
	for _, c := range []string{"a", "b", "c"} {
		if _, err := db.Acquire(ctx, postgres.Lease{Tunnel: "t", ClientID: c, Session: "s"}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if ls, err := db.Lookup(ctx, "t"); err != nil || len(ls) != 3 {
			b.Fatal(ls, err)
		}
	}
}

// benchCluster is one joined node on a fresh schema with tunnel t claimed.
func benchCluster(b *testing.B) *postgres.DB { return clusterOf(b, 1, postgres.Options{})[0] }
