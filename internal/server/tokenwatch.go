package server

import (
	"context"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// TokenPoll is how often the server reads the store's tokens version (one row), to pick
// up tokens added or revoked by relay-server tokens while it runs. The list of tokens
// is read again only when the version moved. A revoked token's sessions, API requests
// and inspector sessions end at the next poll: within TokenPoll plus a store read. An
// unknown token checks the version at once too (lookup), so a token is usable the moment
// tokens add returns, not a poll later.
const TokenPoll = time.Second

// tokenSync is the tokens version Config.Tokens holds, -1 before the first load.
type tokenSync struct {
	mu      sync.Mutex
	v       int64
	failing bool // the last read failed: logged once per streak
}

// startTokenWatch loads the store's tokens, then polls for changes every TokenPoll and
// ends whatever a revoked token still holds. A store that cannot be read leaves the
// tokens as they were and is tried again.
func (s *Server) startTokenWatch() {
	if s.cfg.Store == nil {
		return
	}
	s.tokens.v = -1
	s.syncTokens(s.ctx)
	s.every(TokenPoll, func() { s.syncTokens(s.ctx) })
}

// every runs f every d, in a goroutine the server owns, until the server closes.
func (s *Server) every(d time.Duration, f func()) {
	if !s.work.add() {
		return
	}
	go func() {
		defer s.work.done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-s.ctx.Done():
				return
			}
			f()
		}
	}()
}

// syncTokens reloads the store's tokens when their version moved, ends what revoked
// tokens hold, and reports whether anything changed.
func (s *Server) syncTokens(ctx context.Context) bool {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	v, err := s.cfg.Store.TokensVersion(ctx)
	if err == nil && v == s.tokens.v {
		s.tokens.failing = false
		return false
	}
	var ts []store.Token
	if err == nil {
		ts, err = s.cfg.Store.ListTokens(ctx)
	}
	if err != nil {
		if !s.tokens.failing && s.ctx.Err() == nil {
			s.log.Error("read stored tokens; keeping the ones loaded", "err", err)
		}
		s.tokens.failing = true
		return false
	}
	s.tokens.v, s.tokens.failing = v, false
	s.cfg.Tokens.setStored(ts)
	s.holds.sweep(s.cfg.Tokens.Active)
	return true
}

// identify resolves a client token to its identity. An unknown token makes the server
// check the store's tokens version first (one row, under the lock the poll takes): it
// may have been added a moment ago. The check runs in the server's context, so that a
// client that hangs up does not count as a store failure.
func (s *Server) identify(token string) (Identity, bool) {
	id, ok := s.cfg.Tokens.Lookup(token)
	if ok || token == "" || s.cfg.Store == nil || !s.syncTokens(s.ctx) {
		return id, ok
	}
	return s.cfg.Tokens.Lookup(token)
}

// holds are what the clients of each token hold open: sessions, API requests, live feeds.
// Each comes with a stop function, called when its token is revoked.
type holds struct {
	mu      sync.Mutex
	byToken map[string]map[*hold]struct{}
}

type hold struct{ stop func() }

// add registers stop under tokenID; call release when what it stops has ended.
func (h *holds) add(tokenID string, stop func()) (release func()) {
	x := &hold{stop: stop}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byToken == nil {
		h.byToken = make(map[string]map[*hold]struct{})
	}
	m := h.byToken[tokenID]
	if m == nil {
		m = make(map[*hold]struct{})
		h.byToken[tokenID] = m
	}
	m[x] = struct{}{}
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.byToken[tokenID], x)
		if len(h.byToken[tokenID]) == 0 {
			delete(h.byToken, tokenID)
		}
	}
}

// sweep stops everything held by a token that is no longer active.
func (h *holds) sweep(active func(tokenID string) bool) {
	var stops []func()
	h.mu.Lock()
	for id, m := range h.byToken {
		if active(id) {
			continue
		}
		for x := range m {
			stops = append(stops, x.stop)
		}
		delete(h.byToken, id)
	}
	h.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
}

// hold registers stop for tokenID, to be called if the token is revoked, and reports
// whether the token is still active. Registering before checking closes the race with a
// revocation: either the sweep that follows it sees the hold, or the check sees the
// token gone. On false, nothing stays registered.
func (s *Server) hold(tokenID string, stop func()) (release func(), ok bool) {
	release = s.holds.add(tokenID, stop)
	if !s.cfg.Tokens.Active(tokenID) {
		release()
		return nil, false
	}
	return release, true
}
