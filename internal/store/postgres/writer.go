package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// op is one write: a single statement returning at most one row, which scan
// reads (pgx.ErrNoRows when it returned none). Its result reaches the
// caller on done only once the transaction holding it has committed.
type op struct {
	ctx  context.Context
	sql  string
	args []any
	scan func(pgx.Row) error
	done chan error
}

// writer commits writes in groups: each of its goroutines takes every op
// waiting (up to maxBatch) and sends them as one pipelined batch, which the
// server runs as one implicit transaction with one WAL flush.
type writer struct {
	pool     *pgxpool.Pool
	ops      chan *op
	maxBatch int
	timeout  time.Duration // bounds one batch's round trip and commit
	mu       sync.RWMutex  // held for reading while submitting, for writing by close
	closed   bool
	wg       sync.WaitGroup
	commits  atomic.Int64 // batches committed, for tests
}

func startWriter(pool *pgxpool.Pool, opts Options) *writer {
	w := &writer{pool: pool, ops: make(chan *op, opts.MaxBatch*opts.Writers), maxBatch: opts.MaxBatch,
		timeout: opts.Timeout}
	for range opts.Writers {
		w.wg.Go(w.loop)
	}
	return w
}

// write submits a statement and waits for its committed result. The
// caller's context can withdraw it only while it has not been sent; once
// sent, its outcome is waited for (bounded by the writer's timeout), so
// that a nil error always means committed.
func (w *writer) write(ctx context.Context, sql string, scan func(pgx.Row) error, args ...any) error {
	o := &op{ctx: ctx, sql: sql, args: args, scan: scan, done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return errClosed
	}
	select {
	case w.ops <- o:
	case <-ctx.Done(): // the queue is full: the writers are stuck or far behind
		w.mu.RUnlock()
		return ctx.Err()
	}
	w.mu.RUnlock()
	return <-o.done
}

// close stops accepting writes and waits for the submitted ones.
func (w *writer) close() {
	w.mu.Lock()
	w.closed = true
	close(w.ops)
	w.mu.Unlock()
	w.wg.Wait()
}

func (w *writer) loop() {
	for first := range w.ops {
		batch := w.gather(first)
		if len(batch) > 0 {
			w.commit(batch)
		}
	}
}

// gather takes first and every op waiting behind it, up to maxBatch,
// answering at once those whose caller has given up.
func (w *writer) gather(first *op) []*op {
	batch := make([]*op, 0, 16)
	add := func(o *op) {
		if err := o.ctx.Err(); err != nil {
			o.done <- err
			return
		}
		batch = append(batch, o)
	}
	add(first)
	for len(batch) < w.maxBatch {
		select {
		case o, ok := <-w.ops:
			if !ok {
				return batch
			}
			add(o)
		default:
			return batch
		}
	}
	return batch
}

// commit runs the batch as one transaction. When the server rejected a
// statement, or an op's arguments could not be encoded, nothing was
// committed: each op then runs alone, so that only the failing one reports
// the failure. Any other error (connection lost, timeout) leaves the
// outcome of the commit unknown to this side, so every op reports it rather
// than risk running twice.
func (w *writer) commit(batch []*op) {
	errs, err := w.run(batch)
	switch {
	case err == nil:
		w.commits.Add(1)
		for i, o := range batch {
			o.done <- errs[i]
		}
	case rolledBack(err) && len(batch) > 1:
		for _, o := range batch {
			w.commit([]*op{o})
		}
	default:
		for _, o := range batch {
			o.done <- err
		}
	}
}

// run sends the batch and reads every op's row. errs holds each op's own
// result (its scan error, pgx.ErrNoRows included); err is set when the
// transaction did not commit.
func (w *writer) run(batch []*op) (errs []error, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
	defer cancel()
	b := &pgx.Batch{}
	for _, o := range batch {
		b.Queue(o.sql, o.args...)
	}
	br := w.pool.SendBatch(ctx, b)
	errs = make([]error, len(batch))
	for i, o := range batch {
		errs[i] = o.scan(br.QueryRow())
		var pe *pgconn.PgError
		if errors.As(errs[i], &pe) && err == nil {
			err = errs[i]
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return errs, err
}

// rolledBack reports that a batch failed with nothing committed: the
// server answered an error (the implicit transaction is then rolled back)
// or the batch failed before it was sent.
func rolledBack(err error) bool {
	var pe *pgconn.PgError
	var pre pgx.ErrPreprocessingBatch
	return errors.As(err, &pe) || errors.As(err, &pre)
}
