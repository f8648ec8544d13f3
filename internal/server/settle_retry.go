package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// Completion retries. A response half that cannot be saved (disk full, read-only) is
// tried completeTries times in place, completeBackoff apart and doubling; then it is kept
// in memory (at most maxParked records) and tried again every recoverEvery until the
// store takes it or the server closes. A record whose completion is lost all the same
// (a crash, a full park, shutdown while the store still fails) stays pending in the
// store and is settled as interrupted when the next process starts (see Server.settle).
const (
	completeTries   = 4
	completeBackoff = 100 * time.Millisecond
	maxParked       = 10000
)

// parked holds completions waiting for the store to write again.
type parked struct {
	mu        sync.Mutex
	recs      map[string]parkedRec // by record id
	looping   bool                 // a recovery loop runs
	unsettled time.Time            // settle could not run at start: records before it wait
	// bodies are the records whose streamed request body the store refused: it goes in
	// just before their completion (the record holds it in memory until then).
	bodies map[string]bool
}

// bodyLater notes that record id's request body is to be saved with its completion.
func (p *parked) bodyLater(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bodies == nil {
		p.bodies = make(map[string]bool)
	}
	p.bodies[id] = true
}

// bodyDue reports whether record id's request body still waits to be saved.
func (p *parked) bodyDue(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bodies[id]
}

func (p *parked) bodySaved(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.bodies, id)
}

// writeCompletion writes rec's response half, and first its request body if the store
// refused that earlier: a sender answered 2xx has its body in the record once the store
// writes again.
func (s *Server) writeCompletion(ctx context.Context, rec *store.Record) error {
	if s.parked.bodyDue(rec.ID) {
		if err := s.cfg.Store.SaveRequestBody(ctx, rec); err != nil {
			return err
		}
		s.parked.bodySaved(rec.ID)
	}
	return s.cfg.Store.Complete(ctx, rec)
}

type parkedRec struct {
	rec    *store.Record
	tunnel *tunnel
}

// saveComplete writes rec's response half, retrying, and publishes it. It reports
// whether the store has it; if not, it is parked for later.
func (s *Server) saveComplete(rec *store.Record, t *tunnel) bool {
	err := s.completeRetrying(rec)
	s.hub.publish(rec)
	switch {
	case err == nil:
		return true
	case errors.Is(err, store.ErrUnavailable):
		s.park(rec, t)
	default:
		s.parked.bodySaved(rec.ID) // given up: the record keeps its placeholder
		s.log.Warn("complete record", "id", rec.ID, "err", err)
	}
	return false
}

// completeRetrying runs Complete up to completeTries times while the store is
// unavailable. It goes on while the server closes: the close waits for deliveries in
// flight anyway, at most 0.7 s more here, and a completion given up now would stay
// pending though the app answered (nothing retries parked ones once the server closes).
func (s *Server) completeRetrying(rec *store.Record) error {
	wait := completeBackoff
	for try := 1; ; try++ {
		err := s.writeCompletion(context.Background(), rec)
		if err == nil || !errors.Is(err, store.ErrUnavailable) || try == completeTries {
			return err
		}
		time.Sleep(wait)
		wait *= 2
	}
}

// park keeps a completion the store refused, for the recovery loop.
func (s *Server) park(rec *store.Record, t *tunnel) {
	s.parked.mu.Lock()
	if s.parked.recs == nil {
		s.parked.recs = make(map[string]parkedRec)
	}
	full := len(s.parked.recs) >= maxParked
	if !full {
		s.parked.recs[rec.ID] = parkedRec{rec: rec, tunnel: t}
	}
	s.parked.mu.Unlock()
	if full {
		s.log.Error("too many completions waiting for the store; this record stays pending until the next start settles it",
			"id", rec.ID, "waiting", maxParked)
		return
	}
	s.kickRecovery()
}

// isParked reports whether the completion of record id waits for the store.
func (s *Server) isParked(id string) bool {
	s.parked.mu.Lock()
	defer s.parked.mu.Unlock()
	_, ok := s.parked.recs[id]
	return ok
}

// parkedCount is the number of completions waiting for the store.
func (s *Server) parkedCount() int {
	s.parked.mu.Lock()
	defer s.parked.mu.Unlock()
	return len(s.parked.recs)
}

// kickRecovery starts the recovery loop unless it runs.
func (s *Server) kickRecovery() {
	s.parked.mu.Lock()
	defer s.parked.mu.Unlock()
	if s.parked.looping || !s.work.add() {
		return
	}
	s.parked.looping = true
	go s.recover()
}

// recover probes a failing store and retries parked completions every recoverEvery
// until the store writes and nothing is parked, or the server closes.
func (s *Server) recover() {
	defer s.work.done()
	t := time.NewTicker(recoverEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-s.ctx.Done():
			s.flushParked()
			s.stopRecovery(true)
			return
		}
		s.probe()
		s.retrySettle()
		s.retryParked(s.ctx)
		if failed, since, err, ok := s.watch.due(); ok {
			s.log.Warn("store still cannot write", "since", since.UTC().Format(time.RFC3339),
				"refused_writes", failed, "waiting_completions", s.parkedCount(), "err", err)
		}
		if s.stopRecovery(false) {
			return
		}
	}
}

// stopRecovery ends the loop when forced or when there is nothing left to do.
func (s *Server) stopRecovery(force bool) bool {
	s.parked.mu.Lock()
	defer s.parked.mu.Unlock()
	if !force && (len(s.parked.recs) > 0 || !s.parked.unsettled.IsZero() || s.watch.isFailing()) {
		return false
	}
	s.parked.looping = false
	if n := len(s.parked.recs); force && n > 0 {
		s.log.Warn("closing with completions the store did not take; those records are settled as interrupted at the next start",
			"count", n)
	}
	return true
}

// probe checks a failing store with a write that changes nothing, so that it is seen
// to recover even with no traffic (a load balancer that trusts /readyz sends none).
func (s *Server) probe() {
	ws, _ := s.cfg.Store.(watchedStore)
	p, ok := ws.Store.(prober)
	if !ok || !s.watch.isFailing() {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, recoverEvery)
	defer cancel()
	_ = s.watch.observe(opProbe, p.Probe(ctx))
}

// flushParked tries each parked completion a last time as the server closes: a store
// that has come back since the last tick would otherwise leave them pending until the
// next start settles them as interrupted, though the app answered.
func (s *Server) flushParked() {
	if s.parkedCount() == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownFlush)
	defer cancel()
	s.retryParked(ctx)
}

// shutdownFlush bounds flushParked: a store still failing does not hold the close up.
const shutdownFlush = 5 * time.Second

// retryParked tries each parked completion once, in no order, while the store takes
// them; a queued delivery whose completion went in lets its queue move on.
func (s *Server) retryParked(ctx context.Context) {
	s.parked.mu.Lock()
	recs := make([]parkedRec, 0, len(s.parked.recs))
	for _, p := range s.parked.recs {
		recs = append(recs, p)
	}
	s.parked.mu.Unlock()
	drains := make(map[*tunnel]bool)
	defer func() {
		for t := range drains {
			s.kickDrain(t)
		}
	}()
	for _, p := range recs {
		err := s.writeCompletion(ctx, p.rec)
		if errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil {
			return
		}
		s.parked.mu.Lock()
		delete(s.parked.recs, p.rec.ID)
		s.parked.mu.Unlock()
		if err != nil {
			s.parked.bodySaved(p.rec.ID)
			s.log.Warn("complete record", "id", p.rec.ID, "err", err)
		}
		if p.tunnel != nil && p.rec.Attempts > 0 {
			drains[p.tunnel] = true // a queued delivery: its queue was held back
		}
	}
}
