package link

import (
	"context"
	"maps"
	"slices"

	"github.com/hookrelay/hookrelay/internal/cluster"
	"github.com/hookrelay/hookrelay/internal/server"
)

// Reconcile compares this node's stored leases with the sessions it serves and deletes
// the stale ones (postgres.DB.Reconcile).
func (k Cluster) Reconcile(ctx context.Context, serving map[server.LeaseKey]int64) (server.ReconcilePlan, error) {
	in := make(map[cluster.Key]int64, len(serving))
	for key, gen := range serving {
		in[cluster.Key(key)] = gen
	}
	p, err := k.DB.Reconcile(ctx, in)
	if err != nil {
		return server.ReconcilePlan{}, err
	}
	released := slices.SortedFunc(maps.Keys(p.Release), cluster.CompareKeys)
	return server.ReconcilePlan{Released: leaseKeys(released), Superseded: leaseKeys(p.Superseded),
		Lost: leaseKeys(p.Lost)}, nil
}

// Reacquire leases l's session again unless another session of its client holds the
// lease by now (postgres.DB.Reacquire).
func (k Cluster) Reacquire(ctx context.Context, l server.Lease) (int64, bool, error) {
	got, ok, err := k.DB.Reacquire(ctx, storeLease(l))
	return got.Generation, ok, err
}

func leaseKeys(ks []cluster.Key) []server.LeaseKey {
	out := make([]server.LeaseKey, len(ks))
	for i, k := range ks {
		out[i] = server.LeaseKey(k)
	}
	return out
}
