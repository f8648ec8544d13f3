package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// Why release refused.
var (
	errTunnelInUse  = errors.New("server: a client serves the tunnel")
	errNameReserved = errors.New("server: the name is reserved in the server config")
)

// release ends owner's claim on name so that any token can take it. With a non-zero
// seenBefore (the idle-name sweep) only a name no client has used since is released.
// A name a session serves now (errTunnelInUse) or one reserved in the config
// (errNameReserved) is kept. The name's records stay owner's; owner's queued
// deliveries to it expire (see store.Store.ReleaseTunnel).
func (s *Server) release(ctx context.Context, name, owner string, seenBefore time.Time) error {
	if slices.Contains(s.cfg.Reserved, name) {
		return errNameReserved
	}
	defer s.owners.lockGrants(owner)() // no grant of owner's claims the name meanwhile
	t := s.reg.get(name)
	if t != nil && t.owner == owner && t.live.Load() != nil {
		return errTunnelInUse
	}
	if s.cfg.Store == nil {
		if t == nil || t.owner != owner {
			return store.ErrNotFound
		}
	} else if err := s.cfg.Store.ReleaseTunnel(ctx, name, owner, seenBefore); err != nil {
		return fmt.Errorf("release %s: %w", name, err)
	}
	s.reg.drop(name, owner)
	return nil
}

// drop forgets owner's tunnel name unless a session serves it.
func (r *registry) drop(name, owner string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.tunnels[name]; t != nil && t.owner == owner && t.live.Load() == nil {
		delete(r.tunnels, name)
	}
}

// liveAll lists the names a session serves now.
func (r *registry) liveAll() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for name, t := range r.tunnels {
		if t.live.Load() != nil {
			out = append(out, name)
		}
	}
	return out
}

// sweepNames releases the names no client has served for NameTTL. Names served now
// are touched first, so that a session that lasts longer than NameTTL, followed by a
// crash, does not make its name look idle.
func (s *Server) sweepNames() {
	for _, name := range s.reg.liveAll() {
		s.touch(name)
	}
	ts, err := s.cfg.Store.ListTunnels(s.ctx, "")
	if err != nil {
		s.log.Warn("list tunnel names to release", "err", err)
		return
	}
	cutoff := s.cfg.Now().Add(-s.cfg.NameTTL)
	n := 0
	for _, t := range ts {
		if !t.LastSeen.Before(cutoff) {
			continue
		}
		switch err := s.release(s.ctx, t.Name, t.Owner, cutoff); {
		case err == nil:
			n++
		case errors.Is(err, errTunnelInUse), errors.Is(err, errNameReserved),
			errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		default:
			s.log.Warn("release idle tunnel name", "tunnel", t.Name, "err", err)
		}
	}
	if n > 0 {
		s.log.Info("released idle tunnel names", "count", n)
	}
}
