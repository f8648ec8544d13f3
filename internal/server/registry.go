package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookrelay/hookrelay/internal/webhook/handshake"
)

// tunnel is a name known to the server: owned by one token, online when a session serves
// it. Entries outlive sessions so an offline name stays reserved for its owner.
type tunnel struct {
	name     string
	owner    string
	inflight chan struct{}            // semaphore: one slot per request in flight
	bytes    budget                   // request body bytes in flight
	live     atomic.Pointer[attached] // the clients serving it; nil while offline
	turn     atomic.Uint32            // balance: whose turn is next
	// draining is set while a drain of the offline queue runs; drainWanted asks it
	// (or the next one) to look at the queue again.
	draining, drainWanted atomic.Bool
	mu                    sync.Mutex // guards the settings below
	settings              tunnelConfig
	members               members // its clients on other nodes (Config.Cluster)
}

// tunnelConfig is what a client asked for plus the server's settings for the tunnel.
type tunnelConfig struct {
	offline   string
	timeout   time.Duration
	bodyLimit int64
	// queueStatus is the status answered to a queued request (0 = 202).
	queueStatus int
	// verify checks signatures; nil when the tunnel has no verifier.
	verify *verifier
	// handshake answers URL-verification handshakes; nil when the tunnel answers none.
	handshake *handshake.Responder
	// share is how several clients share deliveries: proto.ShareMirror or ShareBalance.
	share string
}

func (t *tunnel) config() tunnelConfig {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.settings
}

// acquire takes an in-flight slot without waiting.
func (t *tunnel) acquire() bool {
	select {
	case t.inflight <- struct{}{}:
		return true
	default:
		return false
	}
}

func (t *tunnel) release() { <-t.inflight }

// registry maps names to tunnels.
type registry struct {
	mu      sync.Mutex
	tunnels map[string]*tunnel
}

func newRegistry() *registry { return &registry{tunnels: make(map[string]*tunnel)} }

func (r *registry) get(name string) *tunnel {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tunnels[name]
}

// claim returns the tunnel named name for owner, creating it with maxInflight slots and
// maxBytes of body bytes in flight. ok is false when another owner holds the name.
func (r *registry) claim(name, owner string, maxInflight int, maxBytes int64) (t *tunnel, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.tunnels[name]; t != nil {
		return t, t.owner == owner
	}
	t = &tunnel{name: name, owner: owner, inflight: make(chan struct{}, maxInflight)}
	t.bytes.limit = maxBytes
	r.tunnels[name] = t
	return t, true
}

// online counts tunnels with a live session.
func (r *registry) online() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, t := range r.tunnels {
		if t.live.Load() != nil {
			n++
		}
	}
	return n
}

// served lists the tunnels with a client attached here.
func (r *registry) served() []*tunnel {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*tunnel
	for _, t := range r.tunnels {
		if t.live.Load() != nil {
			out = append(out, t)
		}
	}
	return out
}
