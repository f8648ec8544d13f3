package muxlog

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

func TestParse(t *testing.T) {
	for _, c := range []struct{ line, severity, text string }{
		{"yamux: [ERR] yamux: Failed to read header: EOF\n", "ERR", "Failed to read header: EOF"},
		{"[WARN] yamux: frame for missing stream: x\n", "WARN", "frame for missing stream: x"},
		{"yamux: plain line", "", "plain line"},
		{"[not a tag at all", "", "[not a tag at all"},
		{"", "", ""},
	} {
		severity, text := parse(c.line)
		if severity != c.severity || text != c.text {
			t.Errorf("parse(%q) = %q, %q; want %q, %q", c.line, severity, text, c.severity, c.text)
		}
	}
}

// records is a slog handler that keeps what it is given.
type records struct {
	mu   *sync.Mutex
	recs *[]slog.Record
	min  slog.Level
}

func newRecords(min slog.Level) records {
	return records{mu: new(sync.Mutex), recs: new([]slog.Record), min: min}
}

func (h records) Enabled(_ context.Context, l slog.Level) bool { return l >= h.min }
func (h records) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h records) WithGroup(string) slog.Handler                { return h }
func (h records) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.recs = append(*h.recs, r)
	return nil
}

func (h records) find(text string) (slog.Record, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range *h.recs {
		if strings.Contains(r.Message, text) {
			return r, true
		}
	}
	return slog.Record{}, false
}

// TestSessionLogsReachSlog runs a real yamux session with the relay's configuration and
// has its peer send a frame of an unknown protocol version: yamux's complaint arrives as
// a debug record, not discarded.
func TestSessionLogsReachSlog(t *testing.T) {
	h := newRecords(slog.LevelDebug)
	a, b := net.Pipe()
	defer b.Close()
	mux, err := proto.Server(a, Writer(slog.New(h), "remote", "pipe"))
	if err != nil {
		t.Fatal(err)
	}
	defer mux.Close()
	go func() { _, _ = b.Write([]byte{9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) }() // version 9: not yamux's
	deadline := time.Now().Add(30 * time.Second)
	for {
		if r, ok := h.find("Invalid protocol version"); ok {
			attrs := map[string]string{}
			r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
			if r.Level != slog.LevelDebug || attrs["severity"] != "ERR" || attrs["remote"] != "pipe" {
				t.Fatalf("logged at %v with %v, want debug with severity ERR and remote pipe", r.Level, attrs)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("yamux's log line never reached slog")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDisabledDebugCostsNothing checks that nothing is handled above debug level.
func TestDisabledDebugCostsNothing(t *testing.T) {
	h := newRecords(slog.LevelInfo)
	w := Writer(slog.New(h))
	if n, err := w.Write([]byte("[ERR] yamux: x\n")); n != 15 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if len(*h.recs) != 0 {
		t.Fatalf("handled %d records with debug off", len(*h.recs))
	}
}
