package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// BenchmarkAcquire: one re-attach of a client (its lease replaced), sequentially, on
// the test cluster (fsync off) and on a durable one of its own (fsync on).
func BenchmarkAcquire(b *testing.B) {
	b.Run("fsync=off", func(b *testing.B) { benchAcquire(b, benchCluster(b)) })
	b.Run("fsync=on", func(b *testing.B) {
		c := pgtest.NewCluster(b, pgtest.Config{Durable: true})
		dbs, _ := clusterOn(b, pgtest.SchemaOn(b, c.DSN()), 1, postgres.Options{})
		benchAcquire(b, dbs[0])
	})
}

func benchAcquire(b *testing.B, db *postgres.DB) {
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
