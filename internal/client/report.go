package client

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// reporter writes the user-facing lines of a client: as text, or as JSON lines.
type reporter struct {
	mu   sync.Mutex
	out  io.Writer
	json bool
}

func (r *reporter) emit(v map[string]any, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.json {
		_ = json.NewEncoder(r.out).Encode(v)
		return
	}
	fmt.Fprintf(r.out, format, args...)
}

func (r *reporter) online(w *proto.Welcome, targets []*url.URL) {
	r.emit(map[string]any{"event": "online"}, "Session status: online\n")
	for i, t := range w.Tunnels {
		r.emit(map[string]any{"event": "tunnel", "name": t.Name, "urls": t.URLs, "target": targets[i].String(),
			"missed": t.Missed, "queued": t.Queued},
			"Forwarding  %s  ->  %s\n", strings.Join(t.URLs, "  and  "), targets[i])
		r.missed(t)
	}
}

func (r *reporter) missed(t proto.TunnelInfo) {
	if t.Missed == 0 && t.Queued == 0 || r.json {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Missed %d deliveries on %s while offline", t.Missed, t.Name)
	if t.Queued > 0 {
		fmt.Fprintf(&b, "; %d queued, delivering them now", t.Queued)
	}
	fmt.Fprintf(&b, ". Replay the rest: relay-client replay --missed --name %s\n", t.Name)
	r.emit(nil, "%s", b.String())
}

func (r *reporter) reconnecting(wait time.Duration, err error) {
	r.emit(map[string]any{"event": "reconnecting", "in_ms": wait.Milliseconds(), "error": fmt.Sprint(err)},
		"Session status: reconnecting in %s (%v)\n", wait.Round(100*time.Millisecond), err)
}

func (r *reporter) stopped(msg string) {
	r.emit(map[string]any{"event": "error", "error": msg}, "Error: %s\n", msg)
}

func (r *reporter) request(start time.Time, tunnel, method, uri string, status int, d time.Duration) {
	if r.out == io.Discard {
		return // nobody reads the lines: spare their making, on every request
	}
	r.emit(map[string]any{"event": "request", "time": start.Format(time.RFC3339Nano), "tunnel": tunnel,
		"method": method, "path": uri, "status": status, "duration_ms": float64(d.Microseconds()) / 1000},
		"%s  %-6s %s  %d  %s\n", start.Format("15:04:05.000"), method, uri, status, d.Round(10*time.Microsecond))
}

// appError tells the user why the client answered for the app (the sender only learns
// that the app was unreachable or slow, never its address).
func (r *reporter) appError(target *url.URL, err error) {
	if r.out == io.Discard {
		return
	}
	r.emit(map[string]any{"event": "app_error", "target": target.String(), "error": err.Error()},
		"             the local app at %s: %v\n", target, err)
}
