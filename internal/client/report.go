package client

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/internal/route/targets"
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

func (r *reporter) online(w *proto.Welcome, targets []string) {
	r.emit(map[string]any{"event": "online"}, "Session status: online\n")
	for i, t := range w.Tunnels {
		r.emit(map[string]any{"event": "tunnel", "name": t.Name, "urls": t.URLs, "target": targets[i],
			"missed": t.Missed, "queued": t.Queued},
			"Forwarding  %s  ->  %s\n", strings.Join(localFirst(t.URLs), "  and  "), targets[i])
		r.missed(t)
	}
}

func (r *reporter) missed(t proto.TunnelInfo) {
	if t.Missed == 0 && t.Queued == 0 || r.json {
		return
	}
	r.emit(nil, "%s\n", missedLine(t))
}

// missedLine says what a tunnel missed while offline: how many deliveries, how many of
// them are queued and coming now, and how to replay the others, if any.
func missedLine(t proto.TunnelInfo) string {
	missed := max(t.Missed, t.Queued)
	var b strings.Builder
	fmt.Fprintf(&b, "Missed %s on %s while offline", deliveries(missed), t.Name)
	switch rest := missed - t.Queued; {
	case t.Queued == 0:
		fmt.Fprintf(&b, ". Replay them: relay-client replay --missed --name %s", t.Name)
	case rest == 0:
		fmt.Fprintf(&b, "; %s, delivering now.", queuedCount(t.Queued, missed))
	default:
		fmt.Fprintf(&b, "; %d queued, delivering them now. Replay the other %d: relay-client replay --missed --name %s",
			t.Queued, rest, t.Name)
	}
	return b.String()
}

func queuedCount(queued, missed int) string {
	if queued == 1 && missed == 1 {
		return "queued"
	}
	return fmt.Sprintf("all %d queued", queued)
}

// deliveries counts deliveries in words: "1 delivery", "3 deliveries".
func deliveries(n int) string {
	if n == 1 {
		return "1 delivery"
	}
	return fmt.Sprintf("%d deliveries", n)
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
func (r *reporter) appError(target *url.URL, uri string, err error) {
	if r.out == io.Discard {
		return
	}
	if errors.Is(err, targets.ErrNoTarget) {
		r.emit(map[string]any{"event": "app_error", "uri": uri, "error": err.Error()},
			"             %s: %v (add a /PREFIX=PORT target)\n", uri, err)
		return
	}
	r.emit(map[string]any{"event": "app_error", "target": target.String(), "error": err.Error()},
		"             the local app at %s: %v\n", target, err)
}

// localFirst puts a host-form URL under .localhost (relay-server --dev) first: it works
// in browsers and curl as is, and single-page apps with absolute asset paths (a Vite
// dev server) load only from a host of their own, not under /t/NAME/.
func localFirst(urls []string) []string {
	out := slices.Clone(urls)
	slices.SortStableFunc(out, func(a, b string) int {
		return cmp.Compare(rank(a), rank(b))
	})
	return out
}

func rank(u string) int {
	p, err := url.Parse(u)
	if err == nil && strings.HasSuffix(p.Hostname(), ".localhost") {
		return 0
	}
	return 1
}
