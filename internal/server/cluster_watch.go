package server

import (
	"context"
	"time"
)

// ClientsWatch is implemented by a Cluster that tells the other nodes when a tunnel's
// clients change on one (internal/cluster/link, over NOTIFY). Each node then looks the
// tunnel up at once, instead of within leaseFresh, and tells its own clients of that
// tunnel who is attached now, on every node.
type ClientsWatch interface {
	// ClientsChanged tells the other nodes that tunnel's clients on this one changed.
	ClientsChanged(ctx context.Context, tunnel string) error
	// WatchClients calls f with each tunnel whose clients another node changed, until
	// ctx ends.
	WatchClients(ctx context.Context, f func(tunnel string))
}

// startClientsWatch follows the other nodes' changes of clients, if the cluster tells.
func (s *Server) startClientsWatch() {
	cw, ok := s.cfg.Cluster.(ClientsWatch)
	if !ok || !s.work.add() {
		return
	}
	go func() {
		defer s.work.done()
		cw.WatchClients(s.ctx, s.clientsChangedElsewhere)
	}()
}

// clientsChangedElsewhere makes the next delivery of tunnel name look its leases up,
// and tells this node's clients of it.
func (s *Server) clientsChangedElsewhere(name string) {
	t := s.reg.get(name)
	if t == nil {
		return
	}
	t.members.stale()
	if t.live.Load() != nil {
		s.announce(t)
	}
}

// stale makes the next current look the leases up.
func (m *members) stale() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at = time.Time{}
}

// tellClientsChanged tells the other nodes, in the background, that the clients of
// the session's tunnels changed here (attached or gone).
func (ss *session) tellClientsChanged() {
	s := ss.srv
	cw, ok := s.cfg.Cluster.(ClientsWatch)
	if !ok || !s.work.add() {
		return
	}
	names := make([]string, 0, len(ss.bindings))
	for _, b := range ss.bindings {
		names = append(names, b.tunnel.name)
	}
	go func() {
		defer s.work.done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, name := range names {
			if err := cw.ClientsChanged(ctx, name); err != nil {
				s.log.Debug("tell other nodes of clients", "tunnel", name, "err", err)
			}
		}
	}()
}
