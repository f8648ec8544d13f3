package server

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// reconcileEvery is how often a node of several compares the leases the store has for
// it with the sessions it serves: the bound on how long a session superseded on another
// node goes on here, and a lease left behind stays (design scale-out §6.1, §8). One
// comparison is two indexed reads.
const reconcileEvery = 5 * time.Second

// LeaseKey names one lease: a client's attachment to a tunnel. A client is its token's
// (public id) and its client id's, as on one node (binding.sameClient).
type LeaseKey struct {
	Tunnel, Token, ClientID string
}

// key is l's LeaseKey.
func (l Lease) key() LeaseKey {
	return LeaseKey{Tunnel: l.Tunnel, Token: l.Token, ClientID: l.ClientID}
}

// ReconcilePlan is how the store's leases and this node's sessions disagreed.
type ReconcilePlan struct {
	// Released: leases stored for sessions this node no longer serves (a Release that
	// failed, a session that ended while the store was out of reach), which Reconcile
	// deleted.
	Released []LeaseKey
	// Superseded: sessions whose client's lease is another session's now (the client
	// attached again, on another node): ended here as replaced.
	Superseded []LeaseKey
	// Lost: sessions whose lease is gone (the node was reaped while its store was out of
	// reach, and its leases with it): leased again (Reacquire).
	Lost []LeaseKey
}

// leaseBook is the leases of this node's sessions: each binding with one, from its
// Acquire until its session ends, its lease in binding.lease.
type leaseBook struct {
	// gate is held shared around each Acquire and exclusively while a reconcile compares,
	// so that the store holds no lease of this node that the reconcile did not see: it
	// would delete it as no session's.
	gate sync.RWMutex
	run  sync.Mutex // one reconcile at a time
	mu   sync.Mutex // guards of, and the renewal of a binding's lease
	of   map[*binding]struct{}
}

func (k *leaseBook) add(b *binding, l *Lease) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.of == nil {
		k.of = make(map[*binding]struct{})
	}
	k.of[b] = struct{}{}
	b.lease.Store(l)
}

// drop forgets b and returns its lease; nil when it holds none.
func (k *leaseBook) drop(b *binding) *Lease {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.of[b]; !ok {
		return nil
	}
	delete(k.of, b)
	return b.lease.Load()
}

// renew makes l b's lease in the place of generation gen, and reports whether b still
// held that one (its session did not end meanwhile).
func (k *leaseBook) renew(b *binding, gen int64, l *Lease) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.of[b]; !ok || b.lease.Load().Generation != gen {
		return false
	}
	b.lease.Store(l)
	return true
}

// serving is the binding of each lease key: of the highest generation when two
// sessions of a client are here (the newer one about to replace the older).
func (k *leaseBook) serving() map[LeaseKey]*binding {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(map[LeaseKey]*binding, len(k.of))
	for b := range k.of {
		l := b.lease.Load()
		key := l.key()
		if o := out[key]; o == nil || o.lease.Load().Generation < l.Generation {
			out[key] = b
		}
	}
	return out
}

// startReconcile reconciles the leases every reconcileEvery, with a cluster.
func (s *Server) startReconcile() {
	if s.cfg.Cluster == nil {
		return
	}
	s.every(reconcileEvery, func() {
		if err := s.ReconcileLeases(s.ctx); err != nil && s.ctx.Err() == nil {
			s.log.Warn("reconcile tunnel leases", "err", err)
		}
	})
}

// ReconcileLeases makes the store's leases and this node's sessions agree: the store
// deletes the leases of sessions ended here, the sessions whose lease vanished (this
// node was reaped) are leased again, and those whose client attached again on another
// node are ended as replaced. The server runs it every reconcileEvery; a node that finds
// it was reaped runs it at once (internal/cluster Config.Rejoined). Without a cluster
// it does nothing.
func (s *Server) ReconcileLeases(ctx context.Context) error {
	if s.cfg.Cluster == nil {
		return nil
	}
	s.leases.run.Lock()
	defer s.leases.run.Unlock()
	serving, plan, err := s.compareLeases(ctx)
	if err != nil {
		return fmt.Errorf("reconcile leases: %w", err)
	}
	if len(plan.Released) > 0 {
		s.log.Info("released the stale leases of sessions ended here", "count", len(plan.Released),
			"leases", plan.Released)
	}
	for _, k := range plan.Lost {
		s.leaseAgain(ctx, serving[k])
	}
	for _, k := range plan.Superseded {
		s.superseded(serving[k])
	}
	return nil
}

// compareLeases has the cluster compare its leases of this node with the sessions
// holding one here, which it returns by key.
func (s *Server) compareLeases(ctx context.Context) (map[LeaseKey]*binding, ReconcilePlan, error) {
	s.leases.gate.Lock()
	defer s.leases.gate.Unlock()
	serving := s.leases.serving()
	gens := make(map[LeaseKey]int64, len(serving))
	for k, b := range serving {
		gens[k] = b.lease.Load().Generation
	}
	plan, err := s.cfg.Cluster.Reconcile(ctx, gens)
	return serving, plan, err
}

// leaseAgain leases b's session again after its lease vanished; when another session
// of its client holds the lease by now, b's session is superseded.
func (s *Server) leaseAgain(ctx context.Context, b *binding) {
	old := b.lease.Load()
	gen, ok, err := s.cfg.Cluster.Reacquire(ctx, *old)
	switch {
	case err != nil:
		s.log.Warn("lease a session again", "tunnel", old.Tunnel, "client", old.ClientID, "err", err)
		return
	case !ok:
		s.superseded(b)
		return
	}
	l := *old
	l.Generation = gen
	if !s.leases.renew(b, old.Generation, &l) { // its session ended meanwhile
		s.releaseLease(l)
		return
	}
	s.log.Info("leased a session again: its lease vanished (this node was reaped as dead)",
		"tunnel", l.Tunnel, "client", l.ClientID, "owner", b.sess.owner, "generation", gen)
	s.tellChanged(l.Tunnel)
}

// superseded ends b's session as replaced, as a newer session of its client on this
// node would (activate). One not attached (yet) is left to the next reconcile.
func (s *Server) superseded(b *binding) {
	if !slices.Contains(b.tunnel.live.Load().all(), b) {
		return
	}
	l := b.lease.Load()
	s.log.Info("session superseded: its client attached again on another node; ending it",
		"tunnel", l.Tunnel, "client", l.ClientID, "owner", b.sess.owner, "generation", l.Generation)
	b.sess.replace()
}
