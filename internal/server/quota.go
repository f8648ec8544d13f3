package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// quotaWindow is the period of the record quotas.
const quotaWindow = 24 * time.Hour

// window counts bytes recorded in a fixed window that starts with its first record.
type window struct {
	start time.Time
	bytes int64
}

// quotas count the body bytes recorded per tunnel and per token in the current window.
// Counts live in memory: a restart starts new windows.
type quotas struct {
	mu       sync.Mutex
	byTunnel map[string]*window
	byOwner  map[string]*window
}

func (q *quotas) get(m *map[string]*window, key string, now time.Time) *window {
	if *m == nil {
		*m = make(map[string]*window)
	}
	w := (*m)[key]
	if w == nil || now.Sub(w.start) >= quotaWindow {
		w = &window{start: now}
		(*m)[key] = w
	}
	return w
}

// over reports whether a window of limit bytes is used up, and when it ends.
func (w *window) over(limit int64, now time.Time) (bool, time.Duration) {
	if w.bytes < limit {
		return false, 0
	}
	return true, w.start.Add(quotaWindow).Sub(now)
}

// overQuota says whether d's tunnel or owner has recorded its quota for the window.
func (s *Server) overQuota(d *delivery) (proto.Code, time.Duration) {
	if d.rec == nil || d.origin == fromReplay {
		return "", 0
	}
	q, now := &s.quotas, s.cfg.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if over, wait := q.get(&q.byTunnel, d.tunnel.name, now).over(s.cfg.TunnelRecordQuota, now); over {
		return proto.CodeQuotaExceeded, wait
	}
	if over, wait := q.get(&q.byOwner, d.tunnel.owner, now).over(s.cfg.TokenRecordQuota, now); over {
		return proto.CodeQuotaExceeded, wait
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
	q.get(&q.byTunnel, d.tunnel.name, now).bytes += n
	q.get(&q.byOwner, d.tunnel.owner, now).bytes += n
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
