package server

import (
	"context"
	"fmt"
	"sync"

	"github.com/hookrelay/hookrelay/proto"
)

// ownerSessions counts the open sessions of each token, and serializes their handshakes
// so that the names-per-token cap holds when sessions connect at once.
type ownerSessions struct {
	mu     sync.Mutex
	n      map[string]int
	grants map[string]*sync.Mutex // one per token that has connected; tokens are few
}

// lockGrants serializes the grants of owner's sessions; call the returned unlock.
func (o *ownerSessions) lockGrants(owner string) (unlock func()) {
	o.mu.Lock()
	if o.grants == nil {
		o.grants = make(map[string]*sync.Mutex)
	}
	m := o.grants[owner]
	if m == nil {
		m = new(sync.Mutex)
		o.grants[owner] = m
	}
	o.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// open counts one more session for owner unless it has max already.
func (o *ownerSessions) open(owner string, max int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = make(map[string]int)
	}
	if o.n[owner] >= max {
		return false
	}
	o.n[owner]++
	return true
}

func (o *ownerSessions) close(owner string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n[owner]--; o.n[owner] <= 0 {
		delete(o.n, owner)
	}
}

// namesHeld lists the names that count against owner's cap: those served now, and those
// a client of owner served within NameTTL. Older names stay owner's, but no longer
// count, so a token that moved on to other names is not locked out by its past.
func (s *Server) namesHeld(ctx context.Context, owner string) (map[string]bool, error) {
	held := s.reg.liveNames(owner, s.cfg.Store == nil)
	if s.cfg.Store == nil {
		return held, nil
	}
	ts, err := s.cfg.Store.ListTunnels(ctx, owner)
	if err != nil {
		return nil, fmt.Errorf("list tunnels of %s: %w", owner, err)
	}
	since := s.cfg.Now().Add(-s.cfg.NameTTL)
	for _, t := range ts {
		if t.LastSeen.After(since) {
			held[t.Name] = true
		}
	}
	return held, nil
}

// roomFor checks that owner may serve name: a name it holds already, or a new one
// within its cap. held is updated.
func (s *Server) roomFor(held map[string]bool, name string) *proto.Error {
	if held[name] {
		return nil
	}
	if len(held) >= s.cfg.NamesPerToken {
		return &proto.Error{Code: proto.CodeTooManyTunnels,
			Message: fmt.Sprintf("this token serves %d tunnel names already (the limit); reuse one with --name", len(held))}
	}
	held[name] = true
	return nil
}

// liveNames lists owner's names served by a session now, or all of owner's names when
// all is set (without a store, the registry is all there is).
func (r *registry) liveNames(owner string, all bool) map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]bool)
	for name, t := range r.tunnels {
		if t.owner == owner && (all || t.live.Load() != nil) {
			out[name] = true
		}
	}
	return out
}
