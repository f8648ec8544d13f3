package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// try is a delivery's attempt at one client: the binding it went to and when.
type try struct {
	via *binding
	at  time.Time
}

// role is why the client got the delivery, as store.Attempt.Role says it.
func (o origin) role() string {
	switch o {
	case fromReplay:
		return "replay"
	case fromQueue:
		return "queue"
	}
	return "primary"
}

// attemptOf is d's attempt at the client that answered, cw its answer, once d's record
// holds it; ok is false when d never went to a client.
func attemptOf(d *delivery, cw *captureWriter, now time.Time) (a store.Attempt, ok bool) {
	if d.try.via == nil || d.rec == nil {
		return store.Attempt{}, false
	}
	if d.shared != nil {
		return d.shared.answer(cw), true
	}
	c := d.try.via.client
	return store.Attempt{ClientID: c.id, Label: c.label, Role: d.origin.role(), Status: d.rec.Status,
		Duration: now.Sub(d.try.at), Error: d.rec.ErrorCode, At: d.try.at}, true
}

// saveWithAttempt completes rec (see saveComplete) and, when tried, records its attempt
// a, both writes in flight at once so that the store's writer commits them together:
// an attempt after the completion cost a delivery 6-35% more store time (sqlite
// BenchmarkDeliveryWrites, background completion, 1 and 16 writers), alongside it 0-5%.
// It returns once both are done, so that a reader that waits for the completion (see
// settling) finds the attempt too. It reports whether the completion was saved.
func (s *Server) saveWithAttempt(rec *store.Record, t *tunnel, a store.Attempt, tried bool) bool {
	if !tried {
		return s.saveComplete(rec, t)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.saveAttempt(rec, a)
	}()
	ok := s.saveComplete(rec, t)
	<-done
	return ok
}

// saveAttempt records a of rec. A failure loses the attempt only: the record and its
// outcome stand.
func (s *Server) saveAttempt(rec *store.Record, a store.Attempt) {
	if err := s.cfg.Store.AddAttempt(context.Background(), rec.ID, a); err != nil {
		level := slog.LevelWarn
		if errors.Is(err, store.ErrUnavailable) {
			level = slog.LevelDebug // logged once per change by the store's watch
		}
		s.log.Log(context.Background(), level, "save delivery attempt", "id", rec.ID, "err", err)
	}
}
