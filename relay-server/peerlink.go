package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/hookrelay/hookrelay/internal/cluster/link"
	"github.com/hookrelay/hookrelay/internal/peer"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// minClusterSecret is the shortest cluster secret accepted: the peer handshake's HMAC
// key (internal/peer), which must not be guessable.
const minClusterSecret = 16

// peerLink is this relay's end of the links between the relays of a cluster
// (--cluster-listen): the listener other nodes dial, the Holder serving their splices,
// and the Peers this node dials. nil without --cluster-listen; its methods accept nil.
type peerLink struct {
	ln     net.Listener
	addr   string // what peers dial: --cluster-listen's host, the bound port
	db     *postgres.DB
	peers  *peer.Peers
	secret []byte
	holder *peer.Holder
}

// checkCluster checks the cluster options: they need a shared store and a secret.
func (c *config) checkCluster() error {
	switch {
	case c.ClusterListen == "" && c.ClusterSecretFile == "":
		return nil
	case c.ClusterListen == "":
		return errors.New("--cluster-secret-file needs --cluster-listen")
	case c.DatabaseURL == "":
		return errors.New("--cluster-listen needs --database-url: the relays of a cluster share one PostgreSQL")
	case c.ClusterSecretFile == "":
		return errors.New("--cluster-listen needs --cluster-secret-file")
	}
	host, _, err := net.SplitHostPort(c.ClusterListen)
	if err != nil {
		return fmt.Errorf("--cluster-listen: %w", err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("--cluster-listen %s: give the host other relays dial, not a wildcard", c.ClusterListen)
	}
	return nil
}

// clusterSecret reads --cluster-secret-file: the peer link's key, and the one the
// store seals --verify specs under (postgres.Options.SealSecret); nil when unset.
func clusterSecret(cfg *config) ([]byte, error) {
	if cfg.ClusterSecretFile == "" {
		return nil, nil
	}
	secret, err := os.ReadFile(cfg.ClusterSecretFile)
	if err != nil {
		return nil, fmt.Errorf("read cluster secret: %w", err)
	}
	if secret = bytes.TrimSpace(secret); len(secret) < minClusterSecret {
		return nil, fmt.Errorf("cluster secret in %s: want at least %d bytes", cfg.ClusterSecretFile, minClusterSecret)
	}
	return secret, nil
}

// openPeerLink listens on --cluster-listen; nil when the option is not set.
func openPeerLink(cfg *config, db relayStore) (*peerLink, error) {
	if cfg.ClusterListen == "" {
		return nil, nil
	}
	pg, ok := db.(*postgres.DB)
	if !ok {
		return nil, errors.New("--cluster-listen needs --database-url")
	}
	secret, err := clusterSecret(cfg)
	if err != nil {
		return nil, err
	}
	peers, err := peer.NewPeers(peer.DialerConfig{Node: pg.NodeID(), Secret: secret})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.ClusterListen)
	if err != nil {
		_ = peers.Close()
		return nil, fmt.Errorf("listen for peers: %w", err)
	}
	host, _, _ := net.SplitHostPort(cfg.ClusterListen)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return &peerLink{ln: ln, addr: net.JoinHostPort(host, port), db: pg, peers: peers, secret: secret}, nil
}

// cluster is the server's view of the link; nil without one.
func (p *peerLink) cluster() server.Cluster {
	if p == nil {
		return nil
	}
	return link.Cluster{DB: p.db, Peers: p.peers}
}

// events is the bus that shares live delivery events with the other nodes; nil without
// a link.
func (p *peerLink) events(log *slog.Logger) server.EventBus {
	if p == nil {
		return nil
	}
	return link.NewEvents(p.db, log)
}

// serve splices other nodes' streams onto srv's sessions until close.
func (p *peerLink) serve(srv *server.Server, log *slog.Logger) {
	if p == nil {
		return
	}
	h, err := peer.NewHolder(peer.HolderConfig{Node: p.db.NodeID(), Secret: p.secret, Open: srv.OpenSplice})
	if err != nil {
		log.Error("serve peers", "err", err) // cannot happen: openPeerLink checked id and secret
		return
	}
	p.holder = h
	log.Info("cluster link", "listen", p.ln.Addr().String(), "advertise", p.addr)
	go func() { _ = h.Serve(p.ln) }()
}

// advertised is the address peers dial, "" without a link.
func (p *peerLink) advertised() string {
	if p == nil {
		return ""
	}
	return p.addr
}

func (p *peerLink) close() {
	if p == nil {
		return
	}
	if p.holder != nil {
		_ = p.holder.Close()
	} else {
		_ = p.ln.Close()
	}
	_ = p.peers.Close()
}
