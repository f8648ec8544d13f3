package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/internal/peer"
	"github.com/hookrelay/hookrelay/internal/route"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/webhook/handshake"
)

// members is what this node knows of one tunnel's clients across the cluster
// (Config.Cluster): the leases last looked up, and a binding for each client attached
// to another node, whose streams are splices to that node. The zero value is ready.
type members struct {
	lookup sync.Mutex // one lookup of the tunnel at a time
	mu     sync.Mutex // guards the fields below
	leases []Lease
	round  int       // lookups that succeeded; 0: none yet
	tries  int       // lookups done, failed ones too
	err    error     // the last lookup's error
	at     time.Time // when leases are from (a failure moves it, see refresh)
	remote map[int64]*binding
	// set is every node's clients in the cluster's order, built from the leases of
	// round setRound and this node's set from.
	set      *attached
	from     *attached
	setRound int
	// last is the checks of the tunnel's latest client (Cluster.Checks), looked up in
	// round lastRound, for when no client is attached anywhere.
	last      Lease
	lastRound int
	// The verifier and handshake answers made from the lease of generation checked.
	checked int64
	verify  *verifier
	hs      *handshake.Responder
}

// clusterClients returns the clients serving t across the cluster, with cfg's share
// policy, verifier and handshake answers as the cluster has them; local is this node's
// set (t.live). Leases are looked up at most every leaseFresh. A lookup that fails
// leaves this node's own clients serving; with none, it is the error.
func (s *Server) clusterClients(ctx context.Context, t *tunnel, local *attached, cfg tunnelConfig) (*attached, tunnelConfig, error) {
	m := &t.members
	leases, round, err := m.current(ctx, s.cfg.Cluster, t.name, s.cfg.Now)
	if err != nil {
		if local != nil {
			return local, cfg, nil
		}
		return nil, cfg, err
	}
	a, first := m.build(s, t, local, leases, round, cfg)
	if a != nil && a != local {
		cfg.share = a.share
	}
	switch {
	case local != nil:
	case first != nil:
		cfg.verify, cfg.handshake = m.checks(s, *first)
	default: // no client anywhere: the latest one's checks, as its node would apply them
		if last := m.lastChecks(ctx, s, t.name, round); last.Generation != 0 {
			cfg.verify, cfg.handshake = m.checks(s, last)
		}
	}
	return a, cfg, nil
}

// lastChecks returns the checks of the tunnel's latest client, looked up once per
// round of leases; a lookup that fails leaves the last known (or none).
func (m *members) lastChecks(ctx context.Context, s *Server, name string, round int) Lease {
	m.mu.Lock()
	last, fresh := m.last, m.lastRound == round
	m.mu.Unlock()
	if fresh {
		return last
	}
	l, err := s.cfg.Cluster.Checks(ctx, name)
	if err != nil {
		s.log.Debug("checks of a tunnel's latest client", "tunnel", name, "err", err)
		return last
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last, m.lastRound = l, round
	return l
}

// clientsNow is t's clients for a delivery planned now: this node's, and with a
// cluster every node's (this node's alone when the lookup fails).
func (s *Server) clientsNow(ctx context.Context, t *tunnel) *attached {
	a := t.live.Load()
	if s.cfg.Cluster == nil {
		return a
	}
	if all, _, err := s.clusterClients(ctx, t, a, t.config()); err == nil {
		return all
	}
	return a
}

// current returns the tunnel's leases and the round of their lookup, looking them up
// again when the last lookup is older than leaseFresh.
func (m *members) current(ctx context.Context, c Cluster, name string, now func() time.Time) ([]Lease, int, error) {
	m.mu.Lock()
	leases, round, at, tries := m.leases, m.round, m.at, m.tries
	m.mu.Unlock()
	if round > 0 && now().Sub(at) < leaseFresh {
		return leases, round, nil
	}
	return m.refresh(ctx, c, name, now, tries)
}

// lookupRetry is how soon a lookup that failed is tried again, the last leases
// serving meanwhile: deliveries do not queue up behind lookups of a store out of reach
// (their records cannot be written then anyway).
const lookupRetry = time.Second

// refresh looks the tunnel's leases up, unless another lookup was done since try seen
// (callers that waited for it take its result), and drops the bindings of leases gone.
func (m *members) refresh(ctx context.Context, c Cluster, name string, now func() time.Time, seen int) ([]Lease, int, error) {
	m.lookup.Lock()
	defer m.lookup.Unlock()
	if leases, round, err, done := m.since(seen); done {
		return leases, round, err
	}
	leases, err := c.Lookup(ctx, name)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tries++
	if err != nil {
		m.err = fmt.Errorf("look up %s: %w", name, store.ErrUnavailable)
		m.at = now().Add(lookupRetry - leaseFresh)
		return m.state()
	}
	m.round++
	m.leases, m.at, m.err = leases, now(), nil
	m.prune(leases)
	return m.state()
}

// since returns the state when a lookup was done after try seen.
func (m *members) since(seen int) ([]Lease, int, error, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tries <= seen {
		return nil, 0, nil, false
	}
	leases, round, err := m.state()
	return leases, round, err, true
}

// state is the last leases looked up, or the error when none ever was.
func (m *members) state() ([]Lease, int, error) {
	if m.round == 0 {
		return nil, 0, m.err
	}
	return m.leases, m.round, nil
}

// prune forgets the bindings of leases no longer looked up, closing their idle splices;
// exchanges in flight on them go on.
func (m *members) prune(leases []Lease) {
	live := make(map[int64]bool, len(leases))
	for _, l := range leases {
		live[l.Generation] = true
	}
	for gen, b := range m.remote {
		if !live[gen] {
			closeIdle(b)
			delete(m.remote, gen)
		}
	}
}

func closeIdle(b *binding) {
	b.transport.CloseIdleConnections()
	b.streams.CloseIdle()
}

// build returns the tunnel's clients for the leases of round: in the leases' order
// (the primary rule, the same on every node), this node's bindings for its own leases
// and bindings through the cluster for the others; local clients whose lease the
// lookup does not show yet come last. first is the first lease of another node; when
// there is none, the set is local.
func (m *members) build(s *Server, t *tunnel, local *attached, leases []Lease, round int, cfg tunnelConfig) (*attached, *Lease) {
	self := s.cfg.Cluster.Node()
	first := firstElsewhere(leases, self)
	if first == nil {
		return local, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.setRound == round && m.from == local && m.set != nil {
		return m.set, first
	}
	list := make([]*binding, 0, len(leases)+len(local.all()))
	placed := make(map[*binding]bool)
	for i := range leases {
		l := leases[i]
		b := localFor(local, l)
		if l.Node != self {
			b = m.remoteFor(s, t, l, cfg)
		}
		if b != nil && !placed[b] {
			list, placed[b] = append(list, b), true
		}
	}
	for _, b := range local.all() {
		if !placed[b] {
			list = append(list, b)
		}
	}
	m.set, m.from, m.setRound = newAttached(list, leaseShare(leases, cfg.share)), local, round
	return m.set, first
}

func firstElsewhere(leases []Lease, self string) *Lease {
	for i := range leases {
		if leases[i].Node != self {
			return &leases[i]
		}
	}
	return nil
}

// localFor is the binding of local that holds lease l, if any.
func localFor(local *attached, l Lease) *binding {
	for _, b := range local.all() {
		if bl := b.lease.Load(); bl != nil && bl.Generation == l.Generation {
			return b
		}
	}
	return nil
}

// leaseShare is the share policy of the tunnel's clients: that of the latest attached
// (highest generation) that asked for one, as on one node the latest --share wins;
// def when none did.
func leaseShare(leases []Lease, def string) string {
	var gen int64
	share := def
	for _, l := range leases {
		if l.Share != "" && l.Generation > gen {
			share, gen = l.Share, l.Generation
		}
	}
	return share
}

// remoteFor returns the binding to l's client on its node, made once per lease.
// A lease whose routes do not parse here (nodes of different versions) is left out,
// so that its client never gets deliveries its routes would not match; it is logged.
func (m *members) remoteFor(s *Server, t *tunnel, l Lease, cfg tunnelConfig) *binding {
	if b := m.remote[l.Generation]; b != nil {
		return b
	}
	rs, err := route.ParseRoutes(l.Routes)
	if err != nil {
		s.log.Error("routes of a client on another node", "tunnel", l.Tunnel, "node", l.Node, "err", err)
		return nil
	}
	c := clientOf{id: l.ClientID, token: l.Token, label: l.Label, routes: rs, exprs: l.Routes, primary: l.Primary}
	b := newBindingVia(s, nil, t, cfg, c, s.spliceTo(t, l))
	b.lease.Store(&l)
	if m.remote == nil {
		m.remote = make(map[int64]*binding)
	}
	m.remote[l.Generation] = b
	return b
}

// checks returns the verifier and handshake answers of l's client, made once per lease
// generation. Specs its own node accepted at grant fail here only if this node's
// software differs; such a lease is checked as one without specs, and logged.
func (m *members) checks(s *Server, l Lease) (*verifier, *handshake.Responder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.checked == l.Generation {
		return m.verify, m.hs
	}
	v, err := newVerifier(l.Verify, l.VerifyMode)
	if err != nil {
		s.log.Error("verify specs of a remote client", "tunnel", l.Tunnel, "node", l.Node, "err", err)
	}
	hs, err := s.handshakeResponder(l.Tunnel, l.Handshake, l.Verify)
	if err != nil {
		s.log.Error("handshake kinds of a remote client", "tunnel", l.Tunnel, "node", l.Node, "err", err)
	}
	m.checked, m.verify, m.hs = l.Generation, v, hs
	return v, hs
}

// spliceTo is the stream opener of the binding to l's client: a splice to its node.
// When that node holds the session no more (not_here, before any byte reached a
// client), it opens one to the session that serves the same client now, if any:
// a client that reconnected, to any node.
func (s *Server) spliceTo(t *tunnel, l Lease) func() (net.Conn, error) {
	return func() (net.Conn, error) {
		ctx := context.Background()
		conn, err := s.cfg.Cluster.Splice(ctx, l, "d-"+l.Tunnel)
		if errors.Is(err, peer.ErrNotHere) {
			conn, err = s.spliceMoved(ctx, t, l)
		}
		if err != nil {
			return nil, offlineErr(l.Tunnel, err)
		}
		return conn, nil
	}
}

func (s *Server) spliceMoved(ctx context.Context, t *tunnel, l Lease) (net.Conn, error) {
	m := &t.members
	m.mu.Lock()
	seen := m.tries
	m.mu.Unlock()
	leases, _, err := m.refresh(ctx, s.cfg.Cluster, t.name, s.cfg.Now, seen)
	if err != nil {
		return nil, err
	}
	for _, n := range leases {
		switch {
		case n.key() != l.key() || n.Generation == l.Generation:
			continue
		case n.Node == s.cfg.Cluster.Node():
			return s.OpenSplice(n.Tunnel, n.Generation, n.Session)
		}
		return s.cfg.Cluster.Splice(ctx, n, "d-"+n.Tunnel)
	}
	return nil, fmt.Errorf("splice to %s: %w", l.Tunnel, peer.ErrNotHere)
}

func offlineErr(tunnel string, err error) error {
	if errors.Is(err, peer.ErrBusy) {
		return fmt.Errorf("splice to %s: %w: %w", tunnel, errRemoteBusy, err)
	}
	return fmt.Errorf("splice to %s: %w: %w", tunnel, errRemoteOffline, err)
}

// closeRemote closes the idle splices of every tunnel's bindings through the cluster.
func (r *registry) closeRemote() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.tunnels {
		m := &t.members
		m.mu.Lock()
		for _, b := range m.remote {
			closeIdle(b)
		}
		m.mu.Unlock()
	}
}

// onlineAnywhere is the clients serving tunnel name, on this node or, with a cluster,
// on any node; nil when none is attached anywhere (or the name is unknown).
func (s *Server) onlineAnywhere(ctx context.Context, name string) *attached {
	t := s.reg.get(name)
	if t == nil && s.cfg.Cluster != nil {
		t, _ = s.lookup(ctx, name) // known to the store: another node's clients may serve it
	}
	if t == nil {
		return nil
	}
	return s.clientsNow(ctx, t)
}
