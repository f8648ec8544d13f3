package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
)

// hub fans finished records out to live subscribers (the inspectors). A subscriber that
// cannot keep up misses events rather than slowing deliveries down.
type hub struct {
	mu   sync.Mutex
	subs map[chan api.Summary]string // channel -> owner
}

func (h *hub) subscribe(owner string) chan api.Summary {
	ch := make(chan api.Summary, 64)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = make(map[chan api.Summary]string)
	}
	h.subs[ch] = owner
	return ch
}

func (h *hub) unsubscribe(ch chan api.Summary) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, ch)
}

func (h *hub) publish(r *store.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) == 0 {
		return
	}
	sum := api.SummaryOf(r)
	for ch, owner := range h.subs {
		if owner != r.Owner {
			continue
		}
		select {
		case ch <- sum:
		default:
		}
	}
}

// eventsKeepAlive is how often an idle event stream sends a comment, so proxies keep it.
const eventsKeepAlive = 15 * time.Second

// apiEvents streams the owner's finished deliveries as server-sent events.
func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request, owner string) {
	tunnel := r.URL.Query().Get("tunnel")
	ch := s.hub.subscribe(owner)
	defer s.hub.unsubscribe(ch)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	rc := http.NewResponseController(w)
	fmt.Fprint(w, ": connected\n\n")
	_ = rc.Flush()
	tick := time.NewTicker(eventsKeepAlive)
	defer tick.Stop()
	for {
		select {
		case sum := <-ch:
			if tunnel != "" && sum.Tunnel != tunnel {
				continue
			}
			b, _ := json.Marshal(sum)
			fmt.Fprintf(w, "event: delivery\ndata: %s\n\n", b)
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case <-r.Context().Done():
			return
		case <-s.ctx.Done():
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}
