package server

import (
	"context"
	"time"
)

// TunnelWatch is implemented by a Cluster that tells the other nodes when something of
// a tunnel changed on one (internal/cluster/link, over NOTIFY): its clients there (a
// session's start, after its leases are taken; its end, after they are released), or
// its queue (a delivery requeued because its client's node could not be reached). Each
// node then looks the tunnel up at once, instead of within leaseFresh, tells its own
// clients of that tunnel who is attached now on every node, and drains its queue if it
// has clients of it. A change missed (a node not listening) is caught up by the next
// lookup and the queue sweep.
type TunnelWatch interface {
	// TunnelChanged tells the other nodes that tunnel changed on this one.
	TunnelChanged(ctx context.Context, tunnel string) error
	// WatchTunnels calls f with each tunnel another node changed, until ctx ends.
	WatchTunnels(ctx context.Context, f func(tunnel string))
}

// startTunnelWatch follows the other nodes' changes of tunnels, if the cluster tells.
func (s *Server) startTunnelWatch() {
	tw, ok := s.cfg.Cluster.(TunnelWatch)
	if !ok || !s.work.add() {
		return
	}
	go func() {
		defer s.work.done()
		tw.WatchTunnels(s.ctx, s.changedElsewhere)
	}()
}

// changedElsewhere makes the next delivery of tunnel name look its leases up and, when
// clients of it are attached here, tells them who is attached and drains its queue.
func (s *Server) changedElsewhere(name string) {
	t := s.reg.get(name)
	if t == nil {
		return
	}
	t.members.stale()
	if t.live.Load() != nil {
		s.announce(t)
		s.kickDrain(t)
		s.kickReconcile() // a client of ours may have attached there: this session is superseded
	}
}

// kickReconcile runs ReconcileLeases in the background now, unless one is waiting to.
func (s *Server) kickReconcile() {
	if !s.reconcileKicked.CompareAndSwap(false, true) {
		return
	}
	if !s.work.add() {
		s.reconcileKicked.Store(false)
		return
	}
	go func() {
		defer s.work.done()
		s.reconcileKicked.Store(false) // a change told from now on runs another
		if err := s.ReconcileLeases(s.ctx); err != nil && s.ctx.Err() == nil {
			s.log.Warn("reconcile tunnel leases", "err", err)
		}
	}()
}

// stale makes the next current look the leases up.
func (m *members) stale() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at = time.Time{}
}

// tellChanged tells the other nodes, in the background, that the named tunnels changed
// here; nothing without a cluster that tells.
func (s *Server) tellChanged(names ...string) {
	tw, ok := s.cfg.Cluster.(TunnelWatch)
	if !ok || len(names) == 0 || !s.work.add() {
		return
	}
	go func() {
		defer s.work.done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, name := range names {
			if err := tw.TunnelChanged(ctx, name); err != nil {
				s.log.Debug("tell other nodes of a tunnel", "tunnel", name, "err", err)
			}
		}
	}()
}

// tellClientsChanged tells the other nodes that the clients of the session's tunnels
// changed here (attached or gone).
func (ss *session) tellClientsChanged() {
	names := make([]string, 0, len(ss.bindings))
	for _, b := range ss.bindings {
		names = append(names, b.tunnel.name)
	}
	ss.srv.tellChanged(names...)
}
