package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"runtime"
)

// txFunc is one write, run inside the writer's current transaction. It
// returns a number for the caller (a seq, a row count). It may run more
// than once (see runBatch), so it must not keep state between runs.
type txFunc func(c *wconn) (int64, error)

// writeOp is a write waiting for the writer goroutine. Exactly one of tx
// and direct is set: direct ops (pragmas) run alone, outside any
// transaction.
type writeOp struct {
	ctx    context.Context
	tx     txFunc
	direct func(ctx context.Context, conn *sql.Conn) error
	done   chan writeResult // buffered, receives exactly once
}

type writeResult struct {
	n   int64
	err error
}

// writer owns the single write connection and serialises every write
// through one goroutine, committing waiting writes together (group
// commit). A goroutine of its own, rather than whichever caller comes
// first, runs the SQL: SQLite's interpreter needs a deep stack, which a
// long-lived goroutine grows once, while the relay's callers are often
// fresh goroutines.
type writer struct {
	db       *sql.DB   // MaxOpenConns(1)
	held     *sql.Conn // the pool's connection, held while the writer runs
	maxBatch int
	ops      chan *writeOp // unbuffered: waiting senders are the queue
	quit     chan struct{}
	done     chan struct{}
	next     *writeOp // a direct op met while collecting a batch
	lastLen  int      // the size of the last batch
	stmts    *wconn   // statements prepared on the held connection
}

// newWriter prepares the write statements and starts the writer goroutine.
func newWriter(ctx context.Context, db *sql.DB, maxBatch int) (*writer, error) {
	w := &writer{
		db: db, maxBatch: maxBatch,
		ops: make(chan *writeOp), quit: make(chan struct{}), done: make(chan struct{}),
	}
	if err := w.raw(ctx, func(*wconn) error { return nil }); err != nil {
		return nil, errors.Join(err, w.release())
	}
	go w.run()
	return w, nil
}

// write runs fn in a group-committed transaction.
func (w *writer) write(ctx context.Context, fn txFunc) (int64, error) {
	return w.do(ctx, &writeOp{tx: fn})
}

// exec runs fn on the write connection outside any transaction.
func (w *writer) exec(ctx context.Context, fn func(context.Context, *sql.Conn) error) error {
	_, err := w.do(ctx, &writeOp{direct: fn})
	return err
}

// do hands op to the writer and waits for its result. Once the writer has
// taken op, do waits for the outcome even if ctx ends, so that a nil error
// always means committed and any error means not applied.
func (w *writer) do(ctx context.Context, op *writeOp) (int64, error) {
	op.ctx = ctx
	op.done = make(chan writeResult, 1)
	select {
	case w.ops <- op:
	case <-w.quit:
		return 0, errClosed
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	r := <-op.done
	return r.n, r.err
}

func (w *writer) run() {
	defer close(w.done)
	for {
		op := w.next
		w.next = nil
		if op == nil {
			select {
			case <-w.quit:
				return
			case op = <-w.ops:
			}
		}
		if op.direct != nil {
			w.runDirect(op)
			continue
		}
		batch := w.collect(op)
		w.lastLen = len(batch)
		w.commit(batch)
	}
}

func (w *writer) runDirect(op *writeOp) {
	if err := op.ctx.Err(); err != nil {
		op.done <- writeResult{err: err}
		return
	}
	conn, err := w.conn(context.Background())
	if err == nil {
		err = op.direct(context.Background(), conn)
	}
	op.done <- writeResult{err: err}
}

// maxYields bounds how many times collect yields for one batch, and so
// the latency it adds.
const maxYields = 2

// collect gathers first and whatever transactional writes are waiting, up
// to maxBatch. A direct op ends the batch and runs after it.
//
// When writes have been arriving together (the last batch or this one has
// more than one), collect yields the processor while the batch keeps
// growing, at most maxYields times: the callers the last commit woke up
// then get to queue their next writes, which would otherwise each wait a
// whole batch more. A lone writer never waits.
func (w *writer) collect(first *writeOp) []*writeOp {
	batch := []*writeOp{first}
	seen, yields := 0, 0
	for len(batch) < w.maxBatch {
		select {
		case op := <-w.ops:
			if op.direct != nil {
				w.next = op
				return batch
			}
			batch = append(batch, op)
		default:
			together := w.lastLen > 1 || len(batch) > 1
			if !together || len(batch) == seen || yields == maxYields {
				return batch
			}
			seen, yields = len(batch), yields+1
			runtime.Gosched()
		}
	}
	return batch
}

// commit runs the batch in one transaction on the write connection (see
// runBatch) and answers every op in it. Ops whose caller gave up before the
// batch began get their context's error and are left out.
func (w *writer) commit(batch []*writeOp) {
	live := batch[:0]
	for _, op := range batch {
		if err := op.ctx.Err(); err != nil {
			op.done <- writeResult{err: err}
			continue
		}
		live = append(live, op)
	}
	if len(live) == 0 {
		return
	}
	ran := false
	err := w.raw(context.Background(), func(c *wconn) error {
		ran = true
		runBatch(c, live)
		return nil
	})
	if err != nil && !ran {
		failAll(live, err)
	}
}

// conn returns the held connection, taking it from the pool if the writer
// holds none.
func (w *writer) conn(ctx context.Context) (*sql.Conn, error) {
	if w.held == nil {
		conn, err := w.db.Conn(ctx)
		if err != nil {
			return nil, wrap("connect", err)
		}
		w.held = conn
	}
	return w.held, nil
}

// raw runs f with the statements of the held connection, preparing them
// first if the connection is new to the writer. A connection the driver
// reports bad goes back to the pool, which discards it; the next call
// takes a new one.
func (w *writer) raw(ctx context.Context, f func(*wconn) error) error {
	conn, err := w.conn(ctx)
	if err != nil {
		return err
	}
	err = conn.Raw(func(dc any) error {
		if w.stmts == nil || w.stmts.dc != dc {
			c, err := prepareWconn(ctx, dc)
			if err != nil {
				return err
			}
			w.stmts = c // statements of a discarded connection are abandoned with it
		}
		return f(w.stmts)
	})
	if errors.Is(err, driver.ErrBadConn) {
		err = errors.Join(err, w.release())
	}
	return err
}

// release returns the held connection to the pool.
func (w *writer) release() error {
	if w.held == nil {
		return nil
	}
	err := w.held.Close()
	w.held = nil
	return err
}

// close stops the writer after the batch in progress, waits for it and
// finalizes the statements. Writes still waiting to start fail with
// errClosed.
func (w *writer) close() error {
	close(w.quit)
	<-w.done
	var err error
	if w.stmts != nil {
		err = w.raw(context.Background(), func(c *wconn) error {
			w.stmts = nil
			return c.close()
		})
	}
	return errors.Join(err, w.release())
}

func failAll(batch []*writeOp, err error) {
	for _, op := range batch {
		op.done <- writeResult{err: err}
	}
}
