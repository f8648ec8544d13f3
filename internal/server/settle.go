package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// completions counts the response halves of records being saved in the background, so
// that readers (the API, the inspector) can wait until everything answered before their
// call is in the store: a sender's answer never waits for that second write, a reader
// still sees its own writes.
type completions struct {
	mu           sync.Mutex
	cond         *sync.Cond
	issued, done uint64
}

func (c *completions) start() {
	c.mu.Lock()
	c.issued++
	c.mu.Unlock()
}

func (c *completions) finish() {
	c.mu.Lock()
	c.done++
	if c.cond != nil {
		c.cond.Broadcast()
	}
	c.mu.Unlock()
}

// wait returns once every save started before the call has finished, or ctx ends.
func (c *completions) wait(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cond == nil {
		c.cond = sync.NewCond(&c.mu)
	}
	target := c.issued
	if c.done >= target {
		return
	}
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	for c.done < target && ctx.Err() == nil {
		c.cond.Wait()
	}
}

// workers tracks the server's own goroutines (sessions, background saves, drains,
// retention) so that Close can wait for them. Once closed it starts no more: a late
// caller runs its work in place or drops it, instead of racing Close's wait.
type workers struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// add reserves a place for one goroutine; false once Close has begun.
func (w *workers) add() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	w.wg.Add(1)
	return true
}

func (w *workers) done() { w.wg.Done() }

// close refuses new work and waits for what was started.
func (w *workers) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.wg.Wait()
}

// settle gives every record a previous process left pending the outcome interrupted: it
// was recorded, but the process stopped (crash, kill -9, power loss) before its outcome
// was saved, and nothing will complete it now. Whether its sender got an answer, or its
// app the request, cannot be known; replay --missed lists it. It runs before New
// returns, so before this process records anything, and takes only records received
// before this process started. A store that cannot write (disk full, read-only) does
// not stop the server: the recovery loop settles them once it can (see recover).
func (s *Server) settle(ctx context.Context) error {
	if s.cfg.Store == nil {
		return nil
	}
	start := s.cfg.Now()
	err := s.settleBefore(ctx, start)
	if errors.Is(err, store.ErrUnavailable) {
		s.log.Warn("records left pending by a previous run will be settled once the store writes", "err", err)
		s.parked.mu.Lock()
		s.parked.unsettled = start
		s.parked.mu.Unlock()
		s.kickRecovery()
		return nil
	}
	return err
}

// settleBefore marks the records left pending before t interrupted.
func (s *Server) settleBefore(ctx context.Context, t time.Time) error {
	n, err := s.cfg.Store.Interrupt(ctx, t)
	if err != nil {
		return fmt.Errorf("settle records left pending: %w", err)
	}
	if n > 0 {
		s.log.Warn("records left pending by a previous run settled as interrupted; list them with replay --missed",
			"count", n)
	}
	return nil
}

// retrySettle runs the settling New could not, once the store writes.
func (s *Server) retrySettle() {
	s.parked.mu.Lock()
	t := s.parked.unsettled
	s.parked.mu.Unlock()
	if t.IsZero() || s.settleBefore(s.ctx, t) != nil {
		return
	}
	s.parked.mu.Lock()
	s.parked.unsettled = time.Time{}
	s.parked.mu.Unlock()
}
