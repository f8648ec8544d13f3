package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// TestAcquireCap: with Lease.Cap, a tunnel's leases across every node stay within the
// cap: another client over it is refused with ErrTooManyClients (a conflict), a client
// at the cap attaching again replaces itself, concurrent Acquires from three nodes never
// pass it together, and the leases of a node whose heartbeat expired count no more.
func TestAcquireCap(t *testing.T) {
	dbs := clusterOf(t, 3, postgres.Options{NodeTTL: 2 * time.Second})
	for _, db := range dbs[1:] {
		defer heartbeat(t, db, 200*time.Millisecond)()
	}
	ctx := context.Background()
	capped := func(db *postgres.DB, tunnel, client string) (postgres.Lease, error) {
		return db.Acquire(ctx, postgres.Lease{Tunnel: tunnel, Token: "tok", ClientID: client, Session: "s", Cap: 2})
	}
	if _, err := capped(dbs[0], "t", "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := capped(dbs[1], "t", "b"); err != nil {
		t.Fatal(err)
	}
	_, err := capped(dbs[2], "t", "c")
	if !errors.Is(err, postgres.ErrTooManyClients) || !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a third client with cap 2 = %v, want ErrTooManyClients", err)
	}
	if _, err := capped(dbs[2], "t", "b"); err != nil {
		t.Fatalf("a client at the cap attaching again on another node: %v", err)
	}
	if _, err := capped(dbs[2], "nowhere", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a capped lease of an unclaimed tunnel = %v, want ErrNotFound", err)
	}
	concurrentCap(t, dbs[1:])
	waitFor(t, "node 0's lease to stop counting once its heartbeat expired", func() bool {
		_, err := capped(dbs[2], "t", "c")
		return err == nil
	})
}

// concurrentCap races 12 Acquires of distinct clients on one tunnel with cap 5 from the
// nodes of dbs, and checks that 5 succeed and 5 leases are left.
func concurrentCap(t *testing.T, dbs []*postgres.DB) {
	ctx := context.Background()
	if err := dbs[0].ClaimTunnel(ctx, store.Tunnel{Name: "u", Owner: "team"}); err != nil {
		t.Fatal(err)
	}
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			_, err := dbs[i%len(dbs)].Acquire(ctx, postgres.Lease{Tunnel: "u", ClientID: fmt.Sprint("c", i), Session: "s", Cap: 5})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, postgres.ErrTooManyClients):
				refused.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ls := mustLookup(t, dbs[0], "u"); ok.Load() != 5 || refused.Load() != 7 || len(ls) != 5 {
		t.Fatalf("%d acquired, %d refused, %d leases; want 5, 7, 5", ok.Load(), refused.Load(), len(ls))
	}
}
