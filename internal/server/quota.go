package server

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// quotaDay is the period of the record quotas: a UTC calendar day.
const quotaDay = 24 * time.Hour

// dayOf is the start of t's UTC day.
func dayOf(t time.Time) time.Time { return t.UTC().Truncate(quotaDay) }

// tunnelKey names a tunnel's counter: a name released and taken by another token starts
// from nothing.
type tunnelKey struct{ owner, name string }

// quotas count the body bytes recorded per tunnel and per token in the current UTC day.
// New rebuilds them from the store (see loadQuotas), so a restart does not reset them.
type quotas struct {
	mu       sync.Mutex
	day      time.Time // start of the day counted
	byTunnel map[tunnelKey]int64
	byOwner  map[string]int64
}

// roll starts a new day's counts when now is past the one counted. Call with mu held.
func (q *quotas) roll(now time.Time) {
	if d := dayOf(now); !d.Equal(q.day) || q.byTunnel == nil {
		q.day, q.byTunnel, q.byOwner = d, make(map[tunnelKey]int64), make(map[string]int64)
	}
}

// overQuota says whether d's tunnel or owner has recorded its quota for the day, and
// how long until the day ends.
func (s *Server) overQuota(d *delivery) (proto.Code, time.Duration) {
	if d.rec == nil || d.origin == fromReplay {
		return "", 0
	}
	q, now := &s.quotas, s.cfg.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.roll(now)
	if q.byTunnel[tunnelKey{d.tunnel.owner, d.tunnel.name}] >= s.cfg.TunnelRecordQuota ||
		q.byOwner[d.tunnel.owner] >= s.cfg.TokenRecordQuota {
		return proto.CodeQuotaExceeded, q.day.Add(quotaDay).Sub(now)
	}
	return "", 0
}

// add counts n recorded bytes for d's tunnel and owner.
func (q *quotas) add(d *delivery, n int64, now time.Time) {
	if n <= 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.roll(now)
	q.byTunnel[tunnelKey{d.tunnel.owner, d.tunnel.name}] += n
	q.byOwner[d.tunnel.owner] += n
}

// loadQuotas rebuilds today's counts from the records in the store: one aggregate query
// (see package doc for its cost).
func (s *Server) loadQuotas(ctx context.Context) error {
	if s.cfg.Store == nil {
		return nil
	}
	now := s.cfg.Now()
	use, err := s.cfg.Store.RecordedSince(ctx, dayOf(now))
	if err != nil {
		return fmt.Errorf("server: load record quotas: %w", err)
	}
	q := &s.quotas
	q.mu.Lock()
	defer q.mu.Unlock()
	q.roll(now)
	for _, u := range use {
		q.byTunnel[tunnelKey{u.Owner, u.Tunnel}] += u.Bytes
		q.byOwner[u.Owner] += u.Bytes
	}
	return nil
}

// recordedSize is how many body bytes d's record will hold: the body up to the record
// cap, counted at its declared length when it is still streaming.
func recordedSize(r *http.Request, d *delivery) int64 {
	if d.body.kind == bodyInMemory {
		return int64(len(d.rec.Body.Data))
	}
	n := r.ContentLength
	if n < 0 {
		n = chunkedReserve
	}
	if d.body.kind == bodyStreaming {
		n = min(n, d.body.capture.cap)
	}
	return n
}
