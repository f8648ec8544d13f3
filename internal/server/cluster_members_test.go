package server

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// lookupCluster is a Cluster whose Lookup answers leases or fails, counting calls; the
// rest is unused by members.
type lookupCluster struct {
	Cluster
	leases []Lease
	fail   atomic.Bool
	calls  atomic.Int32
}

func (c *lookupCluster) Lookup(context.Context, string) ([]Lease, error) {
	c.calls.Add(1)
	if c.fail.Load() {
		return nil, errors.New("connection refused")
	}
	return c.leases, nil
}

func (c *lookupCluster) Node() string { return "self" }

func (c *lookupCluster) Splice(context.Context, Lease, string) (net.Conn, error) {
	return nil, errors.New("unused")
}

// TestMembersLookupFails: a tunnel never looked up reports a failing store; once looked
// up, a failure keeps the last leases serving and is tried again only after
// lookupRetry, however many deliveries ask meanwhile; leases are kept leaseFresh.
func TestMembersLookupFails(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	c := &lookupCluster{leases: []Lease{{Tunnel: "t", Node: "other", Generation: 7}}}
	var m members
	c.fail.Store(true)
	if _, _, err := m.current(context.Background(), c, "t", clock); err == nil {
		t.Fatal("first lookup failed, yet no error")
	}
	c.fail.Store(false)
	now = now.Add(lookupRetry)
	leases, round, err := m.current(context.Background(), c, "t", clock)
	if err != nil || len(leases) != 1 || round != 1 {
		t.Fatalf("after the store came back: %v %d %v", leases, round, err)
	}
	c.fail.Store(true)
	now = now.Add(leaseFresh)
	before := c.calls.Load()
	for range 10 {
		leases, round, err = m.current(context.Background(), c, "t", clock)
		if err != nil || len(leases) != 1 || leases[0].Generation != 7 || round != 1 {
			t.Fatalf("store out of reach: %v %d %v, want the last leases", leases, round, err)
		}
	}
	if n := c.calls.Load() - before; n != 1 {
		t.Fatalf("%d lookups for 10 deliveries within lookupRetry, want 1", n)
	}
	now = now.Add(lookupRetry)
	m.current(context.Background(), c, "t", clock)
	if n := c.calls.Load() - before; n != 2 {
		t.Fatalf("%d lookups after lookupRetry, want 2", n)
	}
}
