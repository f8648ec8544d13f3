package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
)

// Live feed timing.
const (
	feedKeepAlive  = 15 * time.Second // comment line on an idle stream, for proxies
	statePoll      = time.Second      // how often Config.State is checked for changes
	feedRetryFirst = 500 * time.Millisecond
	feedRetryMax   = 10 * time.Second
)

// liveRow is the data of a "delivery" event: the row's id and its rendered HTML.
type liveRow struct {
	ID   string `json:"id"`
	HTML string `json:"html"`
}

// serveEvents streams the rows of new deliveries that match the page's filters as
// server-sent events ("delivery"), and the client's state when it changes ("state").
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	f, err := parseQuery(q, h.cfg.Now(), h.cfg.Location)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !q.Has("tunnel") {
		f.Tunnel = h.defaultTunnel()
	}
	ctx, cancel := context.WithCancel(r.Context())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	ch := make(chan api.Summary, 64)
	wg.Go(func() { h.follow(ctx, s.src, f.Tunnel, ch) })
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	h.stream(ctx, w, s.src, f, ch)
}

// stream writes events until ctx ends or the browser goes away.
func (h *Handler) stream(ctx context.Context, w http.ResponseWriter, src Source, f store.Filter, ch <-chan api.Summary) {
	rc := http.NewResponseController(w)
	fmt.Fprint(w, "retry: 2000\n: connected\n\n")
	keepAlive := time.NewTicker(feedKeepAlive)
	defer keepAlive.Stop()
	var poll <-chan time.Time
	last := ""
	if h.cfg.State != nil {
		t := time.NewTicker(statePoll)
		defer t.Stop()
		poll, last = t.C, h.cfg.State()
	}
	for {
		if rc.Flush() != nil {
			return
		}
		select {
		case sum := <-ch:
			if h.wanted(ctx, src, f, sum) {
				h.writeRow(w, sum)
			}
		case <-poll:
			if st := h.cfg.State(); st != last {
				last = st
				writeEvent(w, "state", map[string]string{"state": st})
			}
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case <-ctx.Done():
			return
		}
	}
}

// follow subscribes to the source's feed, again after each failure, until ctx ends. A
// browser that cannot keep up misses rows rather than slowing the feed.
func (h *Handler) follow(ctx context.Context, src Source, tunnel string, ch chan<- api.Summary) {
	wait := feedRetryFirst
	for {
		err := src.Events(ctx, tunnel, func(s api.Summary) {
			select {
			case ch <- s:
			default:
			}
		})
		if ctx.Err() != nil {
			return
		}
		h.log.Debug("inspect: live feed ended; retrying", "err", err, "in", wait)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		wait = min(wait*2, feedRetryMax)
	}
}

// wanted applies the page's filters to a live delivery. The text filter looks at the
// path, then at the stored request body.
func (h *Handler) wanted(ctx context.Context, src Source, f store.Filter, s api.Summary) bool {
	if !matchesSummary(f, s) {
		return false
	}
	if f.Text == "" || containsFold([]byte(s.Path), f.Text) {
		return true
	}
	rec, err := src.Get(ctx, s.ID)
	return err == nil && containsFold(rec.Request.Body, f.Text)
}

func (h *Handler) writeRow(w http.ResponseWriter, s api.Summary) {
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, "row", h.rowOf(s)); err != nil {
		h.log.Error("inspect: render row", "err", err)
		return
	}
	writeEvent(w, "delivery", liveRow{ID: s.ID, HTML: buf.String()})
}

// writeEvent writes one server-sent event; JSON never contains a raw line break.
func writeEvent(w http.ResponseWriter, name string, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
}
