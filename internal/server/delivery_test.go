package server

import (
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// TestRequeueable: only live traffic on a queue tunnel, with its whole body in the
// record, goes back to the queue when its client leaves mid-way.
func TestRequeueable(t *testing.T) {
	queue := tunnelConfig{offline: proto.OfflineQueue}
	for _, tt := range []struct {
		name   string
		cfg    tunnelConfig
		origin origin
		kind   bodyKind
		cut    bool // the record kept part of the body
		noRec  bool
		want   bool
	}{
		{"live, body in memory", queue, fromSender, bodyInMemory, false, false, true},
		{"reject tunnel", tunnelConfig{offline: proto.OfflineReject}, fromSender, bodyInMemory, false, false, false},
		{"streamed body", queue, fromSender, bodyStreaming, false, false, false},
		{"body over the record cap", queue, fromSender, bodyInMemory, true, false, false},
		{"no store", queue, fromSender, bodyInMemory, false, true, false},
		{"replay", queue, fromReplay, bodyInMemory, false, false, false},
		{"from the queue", queue, fromQueue, bodyNone, false, false, false},
	} {
		d := &delivery{origin: tt.origin, body: requestBody{kind: tt.kind}}
		if !tt.noRec {
			d.rec = &store.Record{Body: store.Body{Truncated: tt.cut}}
		}
		if got := d.requeueable(tt.cfg); got != tt.want {
			t.Errorf("%s: requeueable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDeliveryStates(t *testing.T) {
	if fromSender.savesInPlace() || !fromReplay.savesInPlace() || !fromQueue.savesInPlace() {
		t.Error("only live traffic saves its response half in the background")
	}
	for _, s := range []interface{ String() string }{fromSender, fromReplay, fromQueue, bodyNone, bodyInMemory,
		bodyStreaming, forwarded, requeued, saved} {
		if s.String() == "" {
			t.Errorf("state %#v has no name", s)
		}
	}
}
