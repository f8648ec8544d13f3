package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// claim gives owner the tunnel name, persisting ownership when there is a store. offline
// is the client's wish ("" keeps the tunnel's current policy).
func (s *Server) claim(ctx context.Context, name, owner, offline string) (*tunnel, error) {
	t, err := s.lookup(ctx, name)
	if err != nil && !errors.Is(err, errUnknownTunnel) {
		return nil, err
	}
	if t != nil && t.owner != owner {
		return nil, errNameTaken
	}
	if t == nil {
		var ok bool
		if t, ok = s.reg.claim(name, owner, s.cfg.MaxInflight, s.cfg.TunnelInflightBytes); !ok {
			return nil, errNameTaken
		}
	}
	t.mu.Lock()
	if t.settings.offline == "" { // new: start from the server's settings
		t.settings = s.settingsFor(name, "")
	}
	if offline != "" {
		t.settings.offline = offline
	}
	policy := t.settings.offline
	t.mu.Unlock()
	if s.cfg.Store != nil {
		rec := store.Tunnel{Name: name, Owner: owner, Offline: policy, LastSeen: s.cfg.Now()}
		if err := s.cfg.Store.ClaimTunnel(ctx, rec); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return nil, errNameTaken
			}
			return nil, fmt.Errorf("claim %s: %w", name, err)
		}
	}
	return t, nil
}

var errUnknownTunnel = errors.New("server: unknown tunnel")

// lookup finds a tunnel by name: in memory, else in the store (a name claimed before a
// restart whose client has not come back yet).
func (s *Server) lookup(ctx context.Context, name string) (*tunnel, error) {
	if t := s.reg.get(name); t != nil {
		return t, nil
	}
	if s.cfg.Store == nil {
		return nil, errUnknownTunnel
	}
	st, err := s.cfg.Store.GetTunnel(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnknownTunnel
	}
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %w", name, err)
	}
	t, ok := s.reg.claim(name, st.Owner, s.cfg.MaxInflight, s.cfg.TunnelInflightBytes)
	if ok {
		t.mu.Lock()
		if t.settings.offline == "" {
			t.settings = s.settingsFor(name, st.Offline)
		}
		t.mu.Unlock()
	}
	return t, nil
}

// settingsFor merges the server config for name over the defaults; offline is the
// stored policy, if any.
func (s *Server) settingsFor(name, offline string) tunnelConfig {
	c := tunnelConfig{offline: proto.OfflineReject, timeout: s.cfg.Timeout, bodyLimit: s.cfg.BodyLimit,
		handshake: s.handshakes[name].answer}
	if offline != "" {
		c.offline = offline
	}
	if ts, ok := s.cfg.Tunnels[name]; ok {
		setIf(&c.timeout, ts.Timeout)
		setIf(&c.bodyLimit, ts.BodyLimit)
		setIf(&c.offline, ts.Offline)
	}
	return c
}

func setIf[T comparable](p *T, v T) {
	var zero T
	if v != zero {
		*p = v
	}
}

// missedSince counts what tunnel name missed since its client was last seen, before a
// new session claims it.
func (s *Server) missedSince(ctx context.Context, name string) (missed, queued int) {
	if s.cfg.Store == nil {
		return 0, 0
	}
	st, err := s.cfg.Store.GetTunnel(ctx, name)
	if err != nil {
		return 0, 0
	}
	missed, _ = s.cfg.Store.Missed(ctx, name, st.LastSeen)
	q, _ := s.cfg.Store.Queued(ctx, name, maxDrainBatch)
	return missed, len(q)
}

// touch notes when a tunnel's client was last seen, to count missed deliveries later.
func (s *Server) touch(name string) {
	if s.cfg.Store == nil {
		return
	}
	if err := s.cfg.Store.TouchTunnel(context.Background(), name, s.cfg.Now()); err != nil {
		s.log.Warn("touch tunnel", "tunnel", name, "err", err)
	}
}
