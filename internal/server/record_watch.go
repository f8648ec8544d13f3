package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// Store health. Every write the server makes goes through watchedStore, which tells
// storeWatch whether the store could write. The state changes are logged once each
// (one ERROR when writes start failing, at most one per summaryEvery for a store that
// flaps, and one INFO when they work again), with a WARN summary every summaryEvery
// while they keep failing, instead of a line per refused delivery; /readyz and the hookrelay_store_healthy gauge read the state (see
// StoreErr and Stats).
const (
	// recoverEvery is how often, while the store fails or completions wait, the
	// server probes the store and retries the waiting completions.
	recoverEvery = 2 * time.Second
	// summaryEvery is how often a failing store is summarised in the log.
	summaryEvery = 30 * time.Second
)

// watchedStore is the store as the server uses it: writes report to the watch.
type watchedStore struct {
	store.Store
	w *storeWatch
}

func (s watchedStore) Insert(ctx context.Context, r *store.Record) error {
	return s.w.observe(opInsert, s.Store.Insert(ctx, r))
}

func (s watchedStore) Complete(ctx context.Context, r *store.Record) error {
	return s.w.observe(opComplete, s.Store.Complete(ctx, r))
}

func (s watchedStore) SaveRequestBody(ctx context.Context, r *store.Record) error {
	return s.w.observe(opSaveBody, s.Store.SaveRequestBody(ctx, r))
}

func (s watchedStore) Interrupt(ctx context.Context, before time.Time) (int, error) {
	n, err := s.Store.Interrupt(ctx, before)
	return n, s.w.observe(opInterrupt, err)
}

func (s watchedStore) ClaimTunnel(ctx context.Context, t store.Tunnel) error {
	return s.w.observe(opClaim, s.Store.ClaimTunnel(ctx, t))
}

func (s watchedStore) TouchTunnel(ctx context.Context, name string, seen time.Time) error {
	return s.w.observe(opTouch, s.Store.TouchTunnel(ctx, name, seen))
}

// prober is implemented by stores that can check they can write without changing
// anything a reader sees (sqlite.DB.Probe).
type prober interface {
	Probe(ctx context.Context) error
}

// storeWatch is the store's health as the server last saw it.
type storeWatch struct {
	down     atomic.Bool // failing, read without the lock on every write
	mu       sync.Mutex
	failing  bool
	since    time.Time // when the current state began
	lastErr  error
	failed   int       // failed writes since the last log line
	summary  time.Time // when the last log line about the failure was written
	told     time.Time // when the last change to failing was reported
	telling  bool      // that failure was reported: its end will be too
	notify   func(failing bool, failed int, since time.Time, err error)
	onChange func() // called, outside the lock, when writes start failing
	stats    func(op string)
	now      func() time.Time
}

// observe notes the result of one write and returns err.
func (w *storeWatch) observe(op string, err error) error {
	if err == nil && !w.down.Load() {
		return nil // the common case: healthy and staying so
	}
	if err != nil && !errors.Is(err, store.ErrUnavailable) {
		return err // not about the store's health (not found, invalid)
	}
	if err != nil {
		w.stats(op)
	}
	w.mu.Lock()
	changed := w.failing != (err != nil)
	var failed int
	var since time.Time
	tell := false
	if changed {
		failed, since = w.failed, w.since
		w.failing, w.since, w.failed, w.summary = err != nil, w.now(), 0, w.now()
		w.down.Store(w.failing)
		tell = w.tellChange()
	}
	if err != nil {
		w.failed++
		w.lastErr = err
	}
	w.mu.Unlock()
	if tell {
		w.notify(err != nil, failed, since, err)
	}
	if changed && err != nil {
		w.onChange()
	}
	return err
}

// tellChange decides whether a change of health is reported, with w.mu held: a store
// that flaps (small writes pass while large ones fail) reports failing at most once per
// summaryEvery, and recovering only after a reported failure.
func (w *storeWatch) tellChange() bool {
	if !w.failing {
		told := w.telling
		w.telling = false
		return told
	}
	if !w.told.IsZero() && w.now().Sub(w.told) < summaryEvery {
		return false
	}
	w.told, w.telling = w.now(), true
	return true
}

// err returns why the store cannot write, nil when it can.
func (w *storeWatch) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.failing {
		return nil
	}
	return fmt.Errorf("store cannot write since %s: %w", w.since.UTC().Format(time.RFC3339), w.lastErr)
}

// isFailing reports whether the last write failed.
func (w *storeWatch) isFailing() bool { return w.down.Load() }

// due returns the failures to summarise when a summary is due, else ok false.
func (w *storeWatch) due() (failed int, since time.Time, err error, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.failing || w.now().Sub(w.summary) < summaryEvery {
		return 0, time.Time{}, nil, false
	}
	failed, w.failed, w.summary = w.failed, 0, w.now()
	return failed, w.since, w.lastErr, true
}

// newStoreWatch wraps the server's store, if any, in a watch that logs through s.
func (s *Server) newStoreWatch() {
	s.watch = &storeWatch{now: s.cfg.Now, stats: s.cfg.Observer.StoreError, onChange: s.kickRecovery,
		notify: s.logStoreState}
	if s.cfg.Store != nil {
		s.cfg.Store = watchedStore{Store: s.cfg.Store, w: s.watch}
	}
}

// logStoreState logs a change of the store's health.
func (s *Server) logStoreState(failing bool, failed int, since time.Time, err error) {
	if failing {
		s.log.Error("store cannot write; refusing deliveries until it can", "err", err)
		return
	}
	s.log.Info("store writes again", "failed_for", s.cfg.Now().Sub(since).Round(time.Millisecond),
		"refused_writes", failed)
}

// StoreErr returns why the store cannot write (disk full, read-only), nil when it can
// or there is no store. /readyz answers 503 while it is not nil.
func (s *Server) StoreErr() error { return s.watch.err() }
