package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/internal/peer"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/webhook/handshake"
	"github.com/hookrelay/hookrelay/proto"
)

// Cluster is what a server needs to serve tunnels whose client session another relay
// node holds (several nodes on one shared store). Config.Cluster nil: one node, as
// always. internal/cluster.Link implements it over PostgreSQL and the peer link.
type Cluster interface {
	// Node is this node's id.
	Node() string
	// Acquire makes l's session, on this node, the one serving l.Tunnel for
	// l.ClientID and returns its generation.
	Acquire(ctx context.Context, l Lease) (int64, error)
	// Release deletes l's lease if it is still current (same generation).
	Release(ctx context.Context, l Lease) error
	// Lookup returns the tunnel's live leases, on nodes alive, primary first.
	Lookup(ctx context.Context, tunnel string) ([]Lease, error)
	// Splice opens a byte splice to l's session on l's node (see internal/peer): its
	// errors wrap peer's sentinels.
	Splice(ctx context.Context, l Lease, deliveryID string) (net.Conn, error)
}

// Lease says that one client session serves a tunnel from one node.
type Lease struct {
	Tunnel, ClientID string
	Node, Addr       string // the node holding the session, and its peer address
	Session          string // the session's id on its node
	Label            string
	Primary          bool
	Generation       int64 // fencing token: unique and increasing cluster-wide
	// The client's --verify specs, verify mode and --handshake kinds, which every node
	// applies to the tunnel's deliveries as the holder would.
	Verify     []string
	VerifyMode string
	Handshake  []string
}

// leaseFresh is how long a looked-up lease is used without asking the store again. A
// stale one costs nothing but a refresh: its node answers not_here before any byte
// reaches a client (design §6.3).
const leaseFresh = 2 * time.Second

// errRemoteBusy wraps a splice the holder node refused as busy: 503 tunnel_busy.
var errRemoteBusy = errors.New("server: tunnel's node busy")

// errRemoteOffline wraps a splice that could not open: the holder node is unreachable,
// suspect, closed, or holds the session no more. The tunnel is offline for this node.
var errRemoteOffline = errors.New("server: tunnel's node unreachable")

// acquireLease takes the cluster lease of b's tunnel for b's session, asked for by req.
func (s *Server) acquireLease(ctx context.Context, b *binding, req proto.TunnelRequest) error {
	if s.cfg.Cluster == nil {
		return nil
	}
	l := Lease{Tunnel: b.tunnel.name, ClientID: b.client.id, Session: b.sess.id, Label: b.client.label,
		Primary: b.client.primary, Verify: req.Verify, VerifyMode: req.VerifyMode, Handshake: req.Handshake}
	gen, err := s.cfg.Cluster.Acquire(ctx, l)
	if err != nil {
		return fmt.Errorf("acquire lease of %s: %w", l.Tunnel, err)
	}
	l.Generation = gen
	b.lease = &l
	return nil
}

// releaseLeases lets go of the leases of a session that ended.
func (s *Server) releaseLeases(ss *session) {
	for _, b := range ss.bindings {
		if b.lease == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.cfg.Cluster.Release(ctx, *b.lease); err != nil {
			s.log.Warn("release tunnel lease", "tunnel", b.tunnel.name, "err", err)
		}
		cancel()
	}
}

// OpenSplice opens a stream on the local session that holds tunnel at generation gen:
// the peer.OpenFunc of this node's peer.Holder.
func (s *Server) OpenSplice(tunnel string, gen int64, session string) (net.Conn, error) {
	if t := s.reg.get(tunnel); t != nil {
		for _, b := range t.live.Load().all() {
			if b.lease == nil || b.lease.Generation != gen || b.sess.id != session {
				continue
			}
			st, err := b.sess.mux.OpenStream()
			if err != nil {
				return nil, fmt.Errorf("open splice of %s: %w: %w", tunnel, peer.ErrNotHere, err)
			}
			return st, nil
		}
	}
	return nil, fmt.Errorf("open splice of %s at %d: %w", tunnel, gen, peer.ErrNotHere)
}

// remoteClients returns the tunnel's client on another node as a one-client set, and
// cfg with that client's verifier and handshake answers, or nil when no other node holds
// a live session of it.
func (s *Server) remoteClients(ctx context.Context, t *tunnel, cfg tunnelConfig) (*attached, tunnelConfig, error) {
	rb := t.remoteBinding(s)
	l, err := rb.remote.current(ctx)
	if err != nil || l == nil {
		return nil, cfg, err
	}
	cfg.verify, cfg.handshake = rb.remote.checks(s, *l)
	return newAttached([]*binding{rb}, cfg.share), cfg, nil
}

// remoteBinding returns the tunnel's binding through the cluster, making it once.
func (t *tunnel) remoteBinding(s *Server) *binding {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.viaPeer == nil {
		r := &remote{cluster: s.cfg.Cluster, tunnel: t.name, now: s.cfg.Now}
		t.viaPeer = newBindingVia(s, nil, t, t.settings, clientOf{}, r.open)
		t.viaPeer.remote = r
	}
	return t.viaPeer
}

// remote is the way to a tunnel's client session on another node: the last lease
// looked up, and splices to it.
type remote struct {
	cluster Cluster
	tunnel  string
	now     func() time.Time

	mu      sync.Mutex
	lease   *Lease // nil: none looked up, or none elsewhere
	fetched time.Time
	made    int64 // the generation verify and handshake were made for; 0: none
	verify  *verifier
	hs      *handshake.Responder
}

// checks returns the verifier and handshake answers of l's client, made once per lease
// generation. Specs its own node accepted at grant fail here only if this node's
// software differs; such a lease is checked as one without specs, and logged.
func (r *remote) checks(s *Server, l Lease) (*verifier, *handshake.Responder) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.made == l.Generation {
		return r.verify, r.hs
	}
	v, err := newVerifier(l.Verify, l.VerifyMode)
	if err != nil {
		s.log.Error("verify specs of a remote client", "tunnel", l.Tunnel, "node", l.Node, "err", err)
	}
	hs, err := s.handshakeResponder(l.Tunnel, l.Handshake, l.Verify)
	if err != nil {
		s.log.Error("handshake kinds of a remote client", "tunnel", l.Tunnel, "node", l.Node, "err", err)
	}
	r.made, r.verify, r.hs = l.Generation, v, hs
	return v, hs
}

// current returns the lease to splice to, looking it up when the last one is older
// than leaseFresh; nil when no other node holds the tunnel.
func (r *remote) current(ctx context.Context) (*Lease, error) {
	r.mu.Lock()
	l, at := r.lease, r.fetched
	r.mu.Unlock()
	if l != nil && r.now().Sub(at) < leaseFresh {
		return l, nil
	}
	return r.refresh(ctx)
}

// refresh looks the tunnel up in the store: the first live lease of another node.
func (r *remote) refresh(ctx context.Context) (*Lease, error) {
	leases, err := r.cluster.Lookup(ctx, r.tunnel)
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", r.tunnel, store.ErrUnavailable)
	}
	var found *Lease
	for i := range leases {
		if leases[i].Node != r.cluster.Node() {
			found = &leases[i]
			break
		}
	}
	r.mu.Lock()
	r.lease, r.fetched = found, r.now()
	r.mu.Unlock()
	return found, nil
}

// open splices to the tunnel's session, retrying once on a fresh lookup when its node
// says it holds that session no more: nothing reached the client then.
func (r *remote) open() (net.Conn, error) {
	ctx := context.Background()
	l, err := r.current(ctx)
	if err != nil || l == nil {
		return nil, offlineErr(r.tunnel, err)
	}
	conn, err := r.cluster.Splice(ctx, *l, "d-"+r.tunnel)
	if errors.Is(err, peer.ErrNotHere) {
		if l, err = r.refresh(ctx); err != nil || l == nil {
			return nil, offlineErr(r.tunnel, err)
		}
		conn, err = r.cluster.Splice(ctx, *l, "d-"+r.tunnel)
	}
	if err != nil {
		return nil, offlineErr(r.tunnel, err)
	}
	return conn, nil
}

func offlineErr(tunnel string, err error) error {
	if err == nil {
		err = peer.ErrNotHere
	}
	if errors.Is(err, peer.ErrBusy) {
		return fmt.Errorf("splice to %s: %w: %w", tunnel, errRemoteBusy, err)
	}
	return fmt.Errorf("splice to %s: %w: %w", tunnel, errRemoteOffline, err)
}

// closeRemote closes the idle splices of every tunnel's binding through the cluster.
func (r *registry) closeRemote() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.tunnels {
		t.mu.Lock()
		if b := t.viaPeer; b != nil {
			b.transport.CloseIdleConnections()
			b.streams.CloseIdle()
		}
		t.mu.Unlock()
	}
}
