package server

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// TokenPoll is how often the server reads the store's tokens version (one row), to pick
// up tokens added or revoked by relay-server tokens while it runs. The list of tokens
// is read again only when the version moved. A revoked token's sessions, API requests
// and inspector sessions end at the next poll: within TokenPoll plus a store read.
const TokenPoll = time.Second

// loadTokens reads the store's tokens into Config.Tokens, and returns the version read
// first, so that a change made meanwhile is picked up by the next poll.
func (s *Server) loadTokens(ctx context.Context) (int64, error) {
	v, err := s.cfg.Store.TokensVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("read tokens version: %w", err)
	}
	ts, err := s.cfg.Store.ListTokens(ctx)
	if err != nil {
		return 0, fmt.Errorf("list tokens: %w", err)
	}
	s.cfg.Tokens.setStored(ts)
	return v, nil
}

// startTokenWatch loads the store's tokens, then polls for changes every TokenPoll and
// ends whatever a revoked token still holds. A store that cannot be read leaves the
// tokens as they were (logged once per failure streak) and is tried again.
func (s *Server) startTokenWatch() {
	if s.cfg.Store == nil {
		return
	}
	v, err := s.loadTokens(s.ctx)
	if err != nil {
		s.log.Error("load stored tokens; retrying", "err", err)
		v = -1
	}
	s.work.add()
	go func() {
		defer s.work.done()
		t := time.NewTicker(TokenPoll)
		defer t.Stop()
		failing := err != nil
		for {
			select {
			case <-t.C:
			case <-s.ctx.Done():
				return
			}
			v, failing = s.pollTokens(v, failing)
		}
	}()
}

// pollTokens reloads the tokens when the store's version differs from v, and returns
// the version now loaded and whether the store failed.
func (s *Server) pollTokens(v int64, failing bool) (int64, bool) {
	now, err := s.cfg.Store.TokensVersion(s.ctx)
	if err == nil && now != v {
		now, err = s.loadTokens(s.ctx)
	}
	if err != nil {
		if !failing && s.ctx.Err() == nil {
			s.log.Error("poll stored tokens", "err", err)
		}
		return v, true
	}
	if now != v {
		s.holds.sweep(s.cfg.Tokens.Active)
	}
	return now, false
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
