package inspect

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrNoSession is returned by SessionStore.Get for an unknown, ended or expired session.
var ErrNoSession = errors.New("inspect: no such session")

// Session is one logged-in browser.
type Session struct {
	// ID is the cookie value: 32 random bytes, base64url. It is the login; a store
	// that persists sessions should keep only a hash of it.
	ID string
	// Subject is what the login resolved to (see LoginFunc), turned back into a Source
	// by Config.SourceFor on every request.
	Subject string
	// CSRF is the token every POST form of the session must carry.
	CSRF string
	// Expires is when the session ends.
	Expires time.Time
}

// SessionStore keeps the inspector's sessions. Handlers that share one store share
// their logins: a browser logged in through one relay server is logged in on every
// server using the same store. Implementations must be safe for concurrent use.
type SessionStore interface {
	// Create starts a session for subject that lasts ttl, with a new random ID and
	// CSRF token.
	Create(ctx context.Context, subject string, ttl time.Duration) (Session, error)
	// Get returns the session with this ID, or ErrNoSession once it was deleted or
	// has expired.
	Get(ctx context.Context, id string) (Session, error)
	// Delete ends the session; an unknown ID is no error.
	Delete(ctx context.Context, id string) error
}

// MaxMemorySessions caps the sessions a MemorySessions holds: a Create beyond it
// drops arbitrary ones (the oldest are not tracked), so that a flood of logins cannot
// grow memory without bound.
const MaxMemorySessions = 10000

// MemorySessions is the SessionStore of one process (Config.Sessions' default):
// its logins end when the process does and are not seen by any other.
type MemorySessions struct {
	mu   sync.Mutex
	now  func() time.Time
	byID map[string]Session
}

var _ SessionStore = (*MemorySessions)(nil)

// NewMemorySessions returns an empty store on the clock now (nil: time.Now).
func NewMemorySessions(now func() time.Time) *MemorySessions {
	if now == nil {
		now = time.Now
	}
	return &MemorySessions{now: now, byID: make(map[string]Session)}
}

// Create starts a session, first dropping expired ones, and arbitrary ones at
// MaxMemorySessions.
func (m *MemorySessions) Create(_ context.Context, subject string, ttl time.Duration) (Session, error) {
	s := Session{ID: randomToken(), Subject: subject, CSRF: randomToken()}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for k, old := range m.byID {
		if now.After(old.Expires) || len(m.byID) >= MaxMemorySessions {
			delete(m.byID, k)
		}
	}
	s.Expires = now.Add(ttl)
	m.byID[s.ID] = s
	return s, nil
}

// Get returns a live session.
func (m *MemorySessions) Get(_ context.Context, id string) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.byID[id]
	if ok && !m.now().After(s.Expires) {
		return s, nil
	}
	delete(m.byID, id)
	return Session{}, ErrNoSession
}

// Delete ends a session.
func (m *MemorySessions) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.byID, id)
	return nil
}

// Len reports how many sessions are held, expired ones included until swept.
func (m *MemorySessions) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byID)
}
