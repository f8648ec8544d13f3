package link

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

// Events is a server.EventBus over PostgreSQL's NOTIFY (design scale-out §6.7): summaries
// are batched for up to eventsFlush or until a batch would pass postgres.MaxNotify bytes,
// and sent in one notification; a summary too large for one alone is dropped (a live
// view is best effort; the record is in the store). Each batch names its node, whose
// own listener skips it.
type Events struct {
	DB     *postgres.DB
	Logger *slog.Logger
	queue  chan event
}

var _ server.EventBus = (*Events)(nil)

// eventsFlush bounds how long a summary waits for others to share its notification.
const eventsFlush = 50 * time.Millisecond

// eventsChannel is the channel name (see postgres.DB.Notify).
const eventsChannel = "events"

type event struct {
	Owner   string      `json:"owner"`
	Summary api.Summary `json:"summary"`
}

type batch struct {
	Node   string  `json:"node"`
	Events []event `json:"events"`
}

// NewEvents returns the bus of db's node.
func NewEvents(db *postgres.DB, log *slog.Logger) *Events {
	return &Events{DB: db, Logger: log, queue: make(chan event, 1024)}
}

// Publish queues owner's summary; a full queue drops it.
func (e *Events) Publish(owner string, sum api.Summary) {
	select {
	case e.queue <- event{Owner: owner, Summary: sum}:
	default:
	}
}

// Run sends the queued summaries in batches until ctx ends.
func (e *Events) Run(ctx context.Context) {
	for {
		var first event
		select {
		case first = <-e.queue:
		case <-ctx.Done():
			return
		}
		e.send(ctx, e.collect(first))
	}
}

// collect gathers the events queued within eventsFlush of first.
func (e *Events) collect(first event) []event {
	evs := []event{first}
	deadline := time.NewTimer(eventsFlush)
	defer deadline.Stop()
	for len(evs) < 64 {
		select {
		case ev := <-e.queue:
			evs = append(evs, ev)
		case <-deadline.C:
			return evs
		}
	}
	return evs
}

// send notifies evs in as few payloads of at most MaxNotify bytes as they fit.
func (e *Events) send(ctx context.Context, evs []event) {
	b := batch{Node: e.DB.NodeID()}
	flush := func() {
		if len(b.Events) == 0 {
			return
		}
		payload, _ := json.Marshal(b)
		if err := e.DB.Notify(ctx, eventsChannel, string(payload)); err != nil && ctx.Err() == nil {
			e.Logger.Debug("send delivery events", "err", err)
		}
		b.Events = b.Events[:0]
	}
	for _, ev := range evs {
		b.Events = append(b.Events, ev)
		if payload, _ := json.Marshal(b); len(payload) > postgres.MaxNotify {
			b.Events = b.Events[:len(b.Events)-1]
			flush()
			b.Events = append(b.Events, ev)
			if one, _ := json.Marshal(b); len(one) > postgres.MaxNotify {
				b.Events = b.Events[:0] // too large alone: dropped
			}
		}
	}
	flush()
}

// Listen sends this node's batches (Run) and calls f with each summary other nodes
// publish, until ctx ends.
func (e *Events) Listen(ctx context.Context, f func(owner string, sum api.Summary)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(ctx)
	}()
	defer func() { <-done }()
	e.DB.Listen(ctx, eventsChannel, func(payload string) {
		var b batch
		if json.Unmarshal([]byte(payload), &b) != nil || b.Node == e.DB.NodeID() {
			return
		}
		for _, ev := range b.Events {
			f(ev.Owner, ev.Summary)
		}
	})
}
