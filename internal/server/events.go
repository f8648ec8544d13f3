package server

import (
	"context"
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
	bus  EventBus                    // the other nodes' events; nil on one node
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
	bus := h.bus
	h.mu.Unlock()
	sum := api.SummaryOf(r)
	if bus != nil {
		bus.Publish(r.Owner, sum)
	}
	h.deliver(r.Owner, sum)
}

// deliver passes sum to the subscribers of owner; one that is behind misses it.
func (h *hub) deliver(owner string, sum api.Summary) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch, o := range h.subs {
		if o != owner {
			continue
		}
		select {
		case ch <- sum:
		default:
		}
	}
}

// EventBus carries finished deliveries' summaries between the nodes of a cluster, so
// that a live view (the inspector's list, GET /api/events) on any node shows the
// deliveries every node completes. Delivery is best effort: a node that is not
// listening misses events, as a subscriber that falls behind does.
type EventBus interface {
	// Publish sends owner's summary to the other nodes, without waiting.
	Publish(owner string, sum api.Summary)
	// Listen calls f with each summary another node published, until ctx ends.
	Listen(ctx context.Context, f func(owner string, sum api.Summary))
}

// startEvents joins the cluster's event bus, if any.
func (s *Server) startEvents() {
	if s.cfg.Events == nil || !s.work.add() {
		return
	}
	s.hub.mu.Lock()
	s.hub.bus = s.cfg.Events
	s.hub.mu.Unlock()
	go func() {
		defer s.work.done()
		s.cfg.Events.Listen(s.ctx, s.hub.deliver)
	}()
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
