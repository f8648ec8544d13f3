package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/cluster"
)

// Reconcile compares this node's stored leases with the sessions it serves
// (serving: lease key to the generation its session acquired), releases the
// stored leases no session serves any more, and returns the plan: Release
// as done, Superseded and Lost for the caller to act on (end those sessions
// as replaced; acquire again). See cluster.Reconcile.
func (db *DB) Reconcile(ctx context.Context, serving map[cluster.Key]int64) (cluster.Plan, error) {
	held, err := db.Held(ctx)
	if err != nil {
		return cluster.Plan{}, err
	}
	stored := make(map[cluster.Key]int64, len(held))
	for _, l := range held {
		stored[l.key()] = l.Generation
	}
	current, err := db.generations(ctx, serving)
	if err != nil {
		return cluster.Plan{}, err
	}
	p := cluster.Reconcile(stored, current, serving)
	for k, gen := range p.Release {
		if _, err := db.Release(ctx, Lease{Tunnel: k.Tunnel, Token: k.Token, ClientID: k.ClientID, Generation: gen}); err != nil {
			return p, err
		}
	}
	return p, nil
}

// generations returns the stored generation of each key of serving that has
// a lease, on whichever node.
func (db *DB) generations(ctx context.Context, serving map[cluster.Key]int64) (map[cluster.Key]int64, error) {
	names := make([]string, 0, len(serving))
	for k := range serving {
		names = append(names, k.Tunnel)
	}
	out := make(map[cluster.Key]int64)
	err := db.call(ctx, "lease generations", func(ctx context.Context) error {
		rows, err := db.pool.Query(ctx, `SELECT name, token_id, client_id, generation FROM tunnel_leases WHERE name = ANY($1)`, names)
		if err != nil {
			return err
		}
		var k cluster.Key
		var gen int64
		_, err = pgx.ForEachRow(rows, []any{&k.Tunnel, &k.Token, &k.ClientID, &gen}, func() error {
			if _, ok := serving[k]; ok {
				out[k] = gen
			}
			return nil
		})
		return err
	})
	return out, err
}

// key is the lease's key for reconciling.
func (l Lease) key() cluster.Key {
	return cluster.Key{Tunnel: l.Tunnel, Token: l.Token, ClientID: l.ClientID}
}

// sReacquire inserts the lease of (name, token, client id) unless one exists.
const sReacquire = leaseInsert + `
	ON CONFLICT (name, token_id, client_id) DO NOTHING RETURNING generation, attached_at`

// Reacquire leases l's session again, with a new generation, after its lease
// vanished (Plan.Lost: this node was reaped while its store was out of reach),
// unless another session of l's client holds the lease by now: ok is false
// then, and l's session is superseded. Unlike Acquire it leaves the tunnel's
// checks (TunnelChecks) alone: the client did not attach again.
func (db *DB) Reacquire(ctx context.Context, l Lease) (_ Lease, ok bool, _ error) {
	args := db.insertArgs(&l)
	err := db.call(ctx, "reacquire lease on "+l.Tunnel, func(ctx context.Context) error {
		err := db.pool.QueryRow(ctx, sReacquire, args...).Scan(&l.Generation, &l.AttachedAt)
		if ok = err == nil; errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return l, ok, notJoined(err)
}
