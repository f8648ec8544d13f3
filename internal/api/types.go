package api

import (
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// Summary is a record in a list: everything but the bodies.
type Summary struct {
	ID           string              `json:"id"`
	Tunnel       string              `json:"tunnel"`
	Method       string              `json:"method"`
	Path         string              `json:"path"`
	Query        string              `json:"query,omitempty"`
	Status       int                 `json:"status"`
	Outcome      store.Outcome       `json:"outcome"`
	ErrorCode    string              `json:"error_code,omitempty"`
	ReceivedAt   time.Time           `json:"received_at"`
	DurationMS   float64             `json:"duration_ms"`
	Size         int64               `json:"size"`
	ReplayOf     string              `json:"replay_of,omitempty"`
	Verification *store.Verification `json:"verification,omitempty"`
	EventID      string              `json:"event_id,omitempty"`
	Duplicate    bool                `json:"duplicate,omitempty"`
	Attempts     int                 `json:"attempts,omitempty"`
	// Resigned: the relay re-signed this queued delivery's timestamped signature
	// when it delivered it (the request shown keeps the original headers).
	Resigned bool `json:"resigned,omitempty"`
}

// Record is one delivery in full.
type Record struct {
	Summary
	Host       string  `json:"host"`
	Proto      string  `json:"proto"`
	RemoteAddr string  `json:"remote_addr"`
	Request    Message `json:"request"`
	Response   Message `json:"response"`
	// Tries are the delivery attempts, oldest first: which client got the
	// request, in which role, and how it answered.
	Tries []Try `json:"tries,omitempty"`
}

// Try is one delivery attempt of a record to one client.
type Try struct {
	N          int       `json:"n"`
	ClientID   string    `json:"client_id,omitempty"`
	Label      string    `json:"label,omitempty"`
	Role       string    `json:"role"`
	Status     int       `json:"status"`
	DurationMS float64   `json:"duration_ms"`
	Error      string    `json:"error,omitempty"`
	At         time.Time `json:"at"`
}

// Who names the client of the attempt: its label, else its id, else "-".
func (t Try) Who() string {
	switch {
	case t.Label != "":
		return t.Label
	case t.ClientID != "":
		return t.ClientID
	}
	return "-"
}

// Message is one side of a delivery. Body is base64 in JSON (Go's []byte encoding).
type Message struct {
	Headers       [][2]string `json:"headers"`
	Body          []byte      `json:"body"`
	BodySize      int64       `json:"body_size"`
	BodySHA256    string      `json:"body_sha256,omitempty"`
	BodyTruncated bool        `json:"body_truncated,omitempty"`
}

// List is the answer of GET /api/requests.
type List struct {
	Requests []Summary `json:"requests"`
	Next     string    `json:"next,omitempty"`
}

// Tunnel is an entry of GET /api/tunnels.
type Tunnel struct {
	Name     string    `json:"name"`
	Online   bool      `json:"online"`
	URLs     []string  `json:"urls"`
	Offline  string    `json:"offline"`
	LastSeen time.Time `json:"last_seen"`
	// Share and Clients are given by GET /api/tunnels/NAME only: the share policy in
	// force and the clients attached now, in attach order.
	Share   string           `json:"share,omitempty"`
	Clients []AttachedClient `json:"clients,omitempty"`
}

// AttachedClient is a client attached to a tunnel.
type AttachedClient struct {
	ID     string   `json:"id,omitempty"` // the client id; empty for older clients
	Label  string   `json:"label"`
	Role   string   `json:"role"` // primary, mirror, balance or routed
	Routes []string `json:"routes,omitempty"`
}

// Edit changes a replay. Nil or empty fields keep the recorded value.
type Edit struct {
	Method  string      `json:"method,omitempty"`
	Path    string      `json:"path,omitempty"` // path and query, e.g. "/hook?x=1"
	Headers [][2]string `json:"headers"`        // null keeps the recorded headers; [] sends none
	Body    *[]byte     `json:"body,omitempty"`
	Resign  bool        `json:"resign,omitempty"` // recompute the tunnel's webhook signature
	// ToClient sends the replay to the attached client of this label, or else of this
	// client id (default: the one that would answer a sender, the primary under mirror).
	ToClient string `json:"to_client,omitempty"`
}

// MaxParallel caps BulkOptions.Parallel.
const MaxParallel = 32

// BulkOptions tune a bulk replay.
type BulkOptions struct {
	Resign bool // recompute each delivery's webhook signature with the tunnel's secret
	// Parallel is how many replays are in flight at once, 1 to MaxParallel. Zero or one
	// sends them one at a time, in arrival order; with more, deliveries may reach the app
	// out of order (results are still reported in order).
	Parallel int
}

// ReplayResult is one line of a bulk replay.
type ReplayResult struct {
	Original string  `json:"original"`
	Record   *Record `json:"record,omitempty"`
	Error    string  `json:"error,omitempty"`
	Done     int     `json:"done"`
	Total    int     `json:"total"`
}

// SummaryOf converts a stored record.
func SummaryOf(r *store.Record) Summary {
	return Summary{
		ID: r.ID, Tunnel: r.Tunnel, Method: r.Method, Path: r.Path, Query: r.RawQuery,
		Status: r.Status, Outcome: r.Outcome, ErrorCode: r.ErrorCode, ReceivedAt: r.ReceivedAt,
		DurationMS: float64(r.Duration.Microseconds()) / 1000, Size: r.Body.Size, ReplayOf: r.ReplayOf,
		Verification: r.Verification, EventID: r.EventID, Duplicate: r.Duplicate, Attempts: r.Attempts,
		Resigned: r.Resigned,
	}
}

// RecordOf converts a stored record with its bodies.
func RecordOf(r *store.Record) *Record {
	return &Record{
		Summary: SummaryOf(r), Host: r.Host, Proto: r.Proto, RemoteAddr: r.RemoteAddr,
		Request:  messageOf(r.Headers, r.Body),
		Response: messageOf(r.RespHeaders, r.RespBody),
		Tries:    triesOf(r.Tries),
	}
}

func triesOf(as []store.Attempt) []Try {
	if len(as) == 0 {
		return nil
	}
	out := make([]Try, len(as))
	for i, a := range as {
		out[i] = Try{N: a.N, ClientID: a.ClientID, Label: a.Label, Role: a.Role, Status: a.Status,
			DurationMS: float64(a.Duration.Microseconds()) / 1000, Error: a.Error, At: a.At}
	}
	return out
}

func messageOf(hs []store.Header, b store.Body) Message {
	m := Message{Headers: make([][2]string, len(hs)), Body: b.Data, BodySize: b.Size,
		BodySHA256: b.SHA256, BodyTruncated: b.Truncated}
	for i, h := range hs {
		m.Headers[i] = [2]string{h.Name, h.Value}
	}
	return m
}

// Headers converts header pairs back to store form.
func Headers(pairs [][2]string) []store.Header {
	out := make([]store.Header, len(pairs))
	for i, p := range pairs {
		out[i] = store.Header{Name: p[0], Value: p[1]}
	}
	return out
}
