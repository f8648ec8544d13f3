package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// unsavedBody is what the record of a streaming body says until saveStreamedBody
// replaces it: nothing kept of a body of length n (0 when not known), so that a record
// whose body was never saved (a crash, a full disk) is refused as not_replayable rather
// than replayed with an empty body.
func unsavedBody(n int64) store.Body {
	return store.Body{Size: max(n, 0), Truncated: true}
}

// saveStreamedBody stores a body recorded as it streamed through, once: before the
// response goes out, or when the delivery ends without one.
func (s *Server) saveStreamedBody(d *delivery) {
	if d.body.saved {
		return
	}
	d.body.saved = true
	d.rec.Body = d.body.capture.streamed()
	if err := s.cfg.Store.SaveRequestBody(context.Background(), d.rec); err != nil {
		// The record keeps the unsavedBody placeholder. An unavailable store is logged
		// once per change by its watch, not once per delivery, and the body goes in with
		// the completion, which is retried (see writeCompletion).
		level := slog.LevelWarn
		if errors.Is(err, store.ErrUnavailable) {
			level = slog.LevelDebug
			s.parked.bodyLater(d.rec.ID)
		}
		s.log.Log(context.Background(), level, "save request body", "id", d.id, "err", err)
	}
}

// complete ends a delivery on either route, once the exchange is over (answered,
// failed or aborted mid-body): it counts the delivery and writes the response half of
// its record.
func (s *Server) complete(d *delivery, cw *captureWriter) {
	s.cfg.Observer.Delivery(d.tunnel.name, cw.status, string(d.code), s.cfg.Now().Sub(d.start), d.body.length(), cw.body.length())
	if d.rec == nil {
		return
	}
	if d.body.kind == bodyStreaming {
		s.saveStreamedBody(d) // no-op unless the exchange failed before any response
	}
	fillResponse(d, cw, s.cfg.Now())
	a, tried := attemptOf(d, cw, s.cfg.Now())
	if tried {
		d.rec.Tries = append(d.rec.Tries, a)
		if d.shared != nil && d.shared.holds(a) {
			tried = false // saved with the copies' attempts
		}
	}
	s.saveResponse(d, a, tried)
}

// fillResponse sets the response half of d's record and its outcome.
func fillResponse(d *delivery, cw *captureWriter, now time.Time) {
	rec := d.rec
	rec.Status = cw.status
	rec.RespHeaders = headerList(cw.header)
	rec.RespBody = cw.body.body()
	rec.Duration = now.Sub(d.start)
	rec.ErrorCode = string(d.code)
	if rec.ErrorCode == "" && cw.header != nil {
		rec.ErrorCode = cw.header.Get(proto.HeaderError) // the client's own answer, e.g. local_unreachable
	}
	rec.Outcome = outcomeOf(proto.Code(rec.ErrorCode), d.err, cw.status)
	if d.origin == fromQueue {
		rec.Outcome = queuedOutcome(rec.Outcome, cw.status)
	}
	if d.fate == requeued { // back in the queue: nothing of this attempt is kept
		rec.Status, rec.Outcome, rec.RespHeaders, rec.RespBody = 0, store.OutcomeQueued, nil, store.Body{}
	}
}

// saveResponse writes the response half: in place when someone waits for it (a replay's
// caller, the queue's next delivery, a requeued delivery's drain) or the server is
// closing, else in the background.
func (s *Server) saveResponse(d *delivery, a store.Attempt, tried bool) {
	back := d.fate == requeued
	if d.origin.savesInPlace() || back || !s.work.add() {
		if s.saveWithAttempt(d.rec, d.tunnel, a, tried) {
			d.fate = saved
		}
		if back {
			s.kickDrain(d.tunnel) // a newer client may be online already
			if s.cfg.Cluster != nil {
				s.tellChanged(d.tunnel.name) // or one on another node
			}
		}
		return
	}
	// The request half is durable already; the response half need not hold up the
	// next request, and shares a commit with it under load. A save that fails is retried
	// (see saveComplete); one lost to a crash is settled as interrupted at the next start.
	// Readers that must see it wait for s.settling (see completions).
	rec := d.rec
	s.settling.start()
	go func() {
		defer s.work.done()
		defer s.settling.finish()
		s.saveWithAttempt(rec, d.tunnel, a, tried)
	}()
}

func outcomeOf(code proto.Code, err error, status int) store.Outcome {
	switch code {
	case "":
		if err != nil || status == 0 {
			return store.OutcomeError
		}
		return store.OutcomeOK
	case proto.CodeLocalTimeout:
		return store.OutcomeTimeout
	case proto.CodeLocalUnreachable:
		return store.OutcomeRefused
	case proto.CodeLocalBadResponse:
		return store.OutcomeBadResponse
	case proto.CodeBodyTooLarge:
		return store.OutcomeTooLarge
	case proto.CodeTunnelOffline:
		return store.OutcomeOffline
	case proto.CodeSignatureInvalid, proto.CodeHandshakeRefused:
		return store.OutcomeRejected
	}
	return store.OutcomeError
}

// queuedOutcome is the outcome of a delivery from the offline queue. Its sender was
// answered 202 long ago and will not send it again, so anything but a 2xx answer from
// the app is failed: listed as missed, for a replay, rather than quietly done. A
// delivery that found the tunnel offline again stays queued (see deliverQueued).
func queuedOutcome(o store.Outcome, status int) store.Outcome {
	if o == store.OutcomeOffline || o == store.OutcomeOK && status >= 200 && status < 300 {
		return o
	}
	return store.OutcomeFailed
}
