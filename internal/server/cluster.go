package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hookrelay/hookrelay/internal/peer"
	"github.com/hookrelay/hookrelay/proto"
)

// Cluster is what a server needs to serve tunnels whose client session another relay
// node holds (several nodes on one shared store). Config.Cluster nil: one node, as
// always. internal/cluster.Link implements it over PostgreSQL and the peer link.
type Cluster interface {
	// Node is this node's id.
	Node() string
	// Acquire makes l's session, on this node, the one serving l.Tunnel for
	// l.ClientID of l.Token and returns its generation. With l.Cap > 0 it refuses, with
	// an error wrapping ErrTooManyClients, when the tunnel has l.Cap leases of other
	// clients on live nodes already: the cap counts every node's clients.
	Acquire(ctx context.Context, l Lease) (int64, error)
	// Release deletes l's lease if it is still current (same generation).
	Release(ctx context.Context, l Lease) error
	// Lookup returns the tunnel's live leases, on nodes alive, primary first.
	Lookup(ctx context.Context, tunnel string) ([]Lease, error)
	// Checks returns the verify specs, verify mode and handshake kinds of the client
	// that attached to tunnel last, attached now or not, with its lease's generation
	// (0: no client ever attached): what every node checks the tunnel's deliveries with
	// while no client is attached anywhere.
	Checks(ctx context.Context, tunnel string) (Lease, error)
	// Reconcile compares the leases the store has for this node with the sessions it
	// serves (serving: lease key to its session's generation), deletes the stored ones no
	// session serves any more, and says which sessions lost their lease or were
	// superseded (see ReconcilePlan).
	Reconcile(ctx context.Context, serving map[LeaseKey]int64) (ReconcilePlan, error)
	// Reacquire leases l's session again, with a new generation, after its lease
	// vanished, unless another session of its client holds the lease by now (ok false).
	Reacquire(ctx context.Context, l Lease) (gen int64, ok bool, err error)
	// Splice opens a byte splice to l's session on l's node (see internal/peer): its
	// errors wrap peer's sentinels.
	Splice(ctx context.Context, l Lease, deliveryID string) (net.Conn, error)
}

// Lease says that one client session serves a tunnel from one node.
type Lease struct {
	Tunnel     string
	Token      string // the public id of the client's token: a client is its token's and id's
	ClientID   string
	Node, Addr string // the node holding the session, and its peer address
	Session    string // the session's id on its node
	Label      string
	Primary    bool
	Generation int64 // fencing token: unique and increasing cluster-wide
	// The client's --verify specs, verify mode and --handshake kinds, which every node
	// applies to the tunnel's deliveries as the holder would.
	Verify     []string
	VerifyMode string
	Handshake  []string
	// The client's --route expressions and --share policy, with which every node plans
	// the tunnel's deliveries among all its clients, wherever they are attached.
	Routes []string
	Share  string
	// Cap is Acquire's only: the most clients the tunnel may have across the cluster.
	Cap int
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
	l := Lease{Tunnel: b.tunnel.name, Token: b.client.token, ClientID: b.client.id, Session: b.sess.id, Label: b.client.label,
		Primary: b.client.primary, Verify: req.Verify, VerifyMode: req.VerifyMode, Handshake: req.Handshake,
		Routes: req.Routes, Share: req.Share, Cap: s.cfg.ClientsPerTunnel}
	s.leases.gate.RLock() // see leaseBook
	defer s.leases.gate.RUnlock()
	gen, err := s.cfg.Cluster.Acquire(ctx, l)
	if err != nil {
		return fmt.Errorf("acquire lease of %s: %w", l.Tunnel, err)
	}
	l.Generation = gen
	s.leases.add(b, &l)
	return nil
}

// releaseLeases lets go of the leases of a session that ended.
func (s *Server) releaseLeases(ss *session) {
	for _, b := range ss.bindings {
		if l := s.leases.drop(b); l != nil {
			s.releaseLease(*l)
		}
	}
}

// releaseLease deletes l from the store if still current, bounded.
func (s *Server) releaseLease(l Lease) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.cfg.Cluster.Release(ctx, l); err != nil {
		s.log.Warn("release tunnel lease", "tunnel", l.Tunnel, "err", err)
	}
}

// OpenSplice opens a stream on the local session that holds tunnel at generation gen:
// the peer.OpenFunc of this node's peer.Holder.
func (s *Server) OpenSplice(tunnel string, gen int64, session string) (net.Conn, error) {
	if t := s.reg.get(tunnel); t != nil {
		for _, b := range t.live.Load().all() {
			if l := b.lease.Load(); l == nil || l.Generation != gen || b.sess.id != session {
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
