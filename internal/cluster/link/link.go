// Package link joins a relay-server to a cluster of nodes: server.Cluster over the
// PostgreSQL store's leases and the peer link's splices (design scale-out §3, §6.3).
package link

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/hookrelay/hookrelay/internal/peer"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// Cluster is a server.Cluster over a PostgreSQL store (leases, membership) and the peer
// link (splices). The caller runs the node (cluster.Run), the peer.Holder that serves splices
// to this node's sessions (server.Server.OpenSplice), and closes Peers.
type Cluster struct {
	DB    *postgres.DB
	Peers *peer.Peers
}

var _ server.Cluster = Cluster{}

// Node is this node's id.
func (k Cluster) Node() string { return k.DB.NodeID() }

// Acquire takes the lease of l's tunnel and client id for l's session on this node.
func (k Cluster) Acquire(ctx context.Context, l server.Lease) (int64, error) {
	got, err := k.DB.Acquire(ctx, storeLease(l))
	if errors.Is(err, postgres.ErrTooManyClients) {
		err = fmt.Errorf("%w: %w", server.ErrTooManyClients, err)
	}
	return got.Generation, err
}

// storeLease is l as the store takes it from this node.
func storeLease(l server.Lease) postgres.Lease {
	return postgres.Lease{Tunnel: l.Tunnel, Token: l.Token, ClientID: l.ClientID, Session: l.Session, Label: l.Label,
		Primary: l.Primary, Verify: l.Verify, VerifyMode: l.VerifyMode, Handshake: l.Handshake,
		Routes: l.Routes, Share: l.Share, Cap: l.Cap}
}

// Release deletes l's lease if still current.
func (k Cluster) Release(ctx context.Context, l server.Lease) error {
	_, err := k.DB.Release(ctx, postgres.Lease{Tunnel: l.Tunnel, Token: l.Token, ClientID: l.ClientID, Generation: l.Generation})
	return err
}

// Lookup returns the tunnel's live leases, primary first.
func (k Cluster) Lookup(ctx context.Context, tunnel string) ([]server.Lease, error) {
	found, err := k.DB.Lookup(ctx, tunnel)
	if err != nil {
		return nil, err
	}
	out := make([]server.Lease, len(found))
	for i, l := range found {
		out[i] = server.Lease{Tunnel: l.Tunnel, Token: l.Token, ClientID: l.ClientID, Node: l.NodeID, Addr: l.Addr,
			Session: l.Session, Label: l.Label, Primary: l.Primary, Generation: l.Generation,
			Verify: l.Verify, VerifyMode: l.VerifyMode, Handshake: l.Handshake, Routes: l.Routes, Share: l.Share}
	}
	return out, nil
}

// Checks returns the checks of the tunnel's latest client (see server.Cluster).
func (k Cluster) Checks(ctx context.Context, tunnel string) (server.Lease, error) {
	l, err := k.DB.TunnelChecks(ctx, tunnel)
	return server.Lease{Tunnel: tunnel, Generation: l.Generation, Verify: l.Verify, VerifyMode: l.VerifyMode,
		Handshake: l.Handshake}, err
}

// Splice opens a splice to l's session on l's node.
func (k Cluster) Splice(ctx context.Context, l server.Lease, deliveryID string) (net.Conn, error) {
	return k.Peers.Splice(ctx, peer.Node{ID: l.Node, Addr: l.Addr},
		peer.Splice{Tunnel: l.Tunnel, Generation: l.Generation, DeliveryID: deliveryID, Client: l.Session})
}
