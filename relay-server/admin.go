package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// readyTimeout bounds the store query behind /readyz.
const readyTimeout = 2 * time.Second

// lister is the part of the store the admin endpoints query.
type lister interface {
	List(ctx context.Context, f store.Filter) (store.Page, error)
}

// errNotServing is the /readyz answer before the listeners serve and after shutdown
// started.
var errNotServing = errors.New("relay-server: listeners not serving")

// readiness answers /readyz: ready once every listener is up, until shutdown starts,
// and only while the store answers and can write.
type readiness struct {
	up     atomic.Bool
	store  lister       // nil without a store (--no-record)
	writes func() error // why the store cannot write (server.Server.StoreErr); nil: not checked
	// probe checks that the store can write now, for a store where that is cheap
	// (PostgreSQL: a transaction id; a standby or read-only database refuses it). nil:
	// not checked (SQLite, whose write probe sizes itself past the free space).
	probe func(ctx context.Context) error
}

// check returns why the server is not ready, or nil.
func (r *readiness) check(ctx context.Context) error {
	if !r.up.Load() {
		return errNotServing
	}
	if r.store == nil {
		return nil
	}
	if r.writes != nil {
		if err := r.writes(); err != nil {
			return err // disk full, read-only: every delivery would get 503 store_unavailable
		}
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if _, err := r.store.List(ctx, store.Filter{AllOwners: true, Limit: 1}); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if r.probe != nil {
		if err := r.probe(ctx); err != nil {
			return fmt.Errorf("store cannot write: %w", err)
		}
	}
	return nil
}

// adminHandler serves /metrics, /healthz (the process is up) and /readyz.
func adminHandler(metrics http.Handler, ready *readiness) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready.check(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

// queueDepth counts queued deliveries of every owner, page by page, for the
// hookrelay_queue_depth gauge (which caches it; see internal/metrics).
func queueDepth(st lister) func(ctx context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		f := store.Filter{AllOwners: true, Outcome: store.OutcomeQueued, Limit: store.MaxLimit}
		n := 0
		for {
			p, err := st.List(ctx, f)
			if err != nil {
				return 0, fmt.Errorf("count queued deliveries: %w", err)
			}
			n += len(p.Records)
			if p.Next == "" {
				return n, nil
			}
			f.Cursor = p.Next
		}
	}
}
