package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hookrelay/hookrelay/internal/store"
)

// txFunc is one write, run inside the writer's current transaction. It
// returns a number for the caller (a seq, a row count).
type txFunc func(ctx context.Context, tx *sql.Tx) (int64, error)

// writeOp is a write waiting for the writer goroutine. Exactly one of tx and
// direct is set: direct ops (pragmas) run alone, outside any transaction.
type writeOp struct {
	ctx    context.Context
	tx     txFunc
	direct func(ctx context.Context, db *sql.DB) error
	done   chan writeResult // buffered, receives exactly once
}

type writeResult struct {
	n   int64
	err error
}

// writer owns the single write connection and serialises every write
// through one goroutine, committing waiting writes together.
type writer struct {
	db       *sql.DB // MaxOpenConns(1)
	maxBatch int
	ops      chan *writeOp // unbuffered: waiting senders are the queue
	quit     chan struct{}
	done     chan struct{}
	next     *writeOp // a direct op met while collecting a batch

	savepoint, release, rollbackTo *sql.Stmt
}

func newWriter(db *sql.DB, maxBatch int, st *writerStmts) *writer {
	w := &writer{
		db: db, maxBatch: maxBatch,
		ops: make(chan *writeOp), quit: make(chan struct{}), done: make(chan struct{}),
		savepoint: st.savepoint, release: st.release, rollbackTo: st.rollbackTo,
	}
	go w.run()
	return w
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

// write runs fn in a group-committed transaction.
func (w *writer) write(ctx context.Context, fn txFunc) (int64, error) {
	return w.do(ctx, &writeOp{tx: fn})
}

// exec runs fn on the write connection outside any transaction.
func (w *writer) exec(ctx context.Context, fn func(context.Context, *sql.DB) error) error {
	_, err := w.do(ctx, &writeOp{direct: fn})
	return err
}

// close stops the writer after the batch in progress and waits for it.
func (w *writer) close() {
	close(w.quit)
	<-w.done
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
		w.commit(w.collect(op))
	}
}

func (w *writer) runDirect(op *writeOp) {
	if err := op.ctx.Err(); err != nil {
		op.done <- writeResult{err: err}
		return
	}
	op.done <- writeResult{err: op.direct(context.Background(), w.db)}
}

// collect gathers first and whatever transactional writes are already
// waiting, up to maxBatch. A direct op ends the batch and runs after it.
func (w *writer) collect(first *writeOp) []*writeOp {
	batch := []*writeOp{first}
	for len(batch) < w.maxBatch {
		select {
		case op := <-w.ops:
			if op.direct != nil {
				w.next = op
				return batch
			}
			batch = append(batch, op)
		default:
			return batch
		}
	}
	return batch
}

// commit runs the batch in one transaction, each op in a savepoint, and
// reports to every caller after the commit. If the transaction itself fails
// (begin, savepoint handling or commit), every op in it fails.
func (w *writer) commit(batch []*writeOp) {
	if len(batch) == 1 {
		w.commitOne(batch[0])
		return
	}
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		failAll(batch, wrap("begin write", err))
		return
	}
	results := make([]writeResult, len(batch))
	for i, op := range batch {
		if results[i], err = w.apply(ctx, tx, op); err != nil {
			_ = tx.Rollback() // err, the cause, is what callers need
			failAll(batch, err)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		failAll(batch, wrap("commit write", err))
		return
	}
	for i, op := range batch {
		op.done <- results[i]
	}
}

// commitOne runs a lone op in its own transaction: no savepoint is needed when there is
// nothing else to protect, which saves two statements on an idle store.
func (w *writer) commitOne(op *writeOp) {
	if err := op.ctx.Err(); err != nil {
		op.done <- writeResult{err: err}
		return
	}
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		op.done <- writeResult{err: wrap("begin write", err)}
		return
	}
	n, opErr := op.tx(ctx, tx)
	if opErr != nil {
		_ = tx.Rollback()
		op.done <- writeResult{err: opErr}
		return
	}
	if err := tx.Commit(); err != nil {
		op.done <- writeResult{err: wrap("commit write", err)}
		return
	}
	op.done <- writeResult{n: n}
}

// apply runs one op inside a savepoint. The op's own failure is rolled back
// to the savepoint and becomes its result; a failure to manage the
// savepoint (the transaction is gone) is returned as err and dooms the batch.
func (w *writer) apply(ctx context.Context, tx *sql.Tx, op *writeOp) (writeResult, error) {
	if err := op.ctx.Err(); err != nil {
		return writeResult{err: err}, nil // the caller gave up before we began
	}
	if _, err := tx.StmtContext(ctx, w.savepoint).ExecContext(ctx); err != nil {
		return writeResult{}, wrap("savepoint", err)
	}
	n, opErr := op.tx(ctx, tx)
	if opErr != nil {
		if _, err := tx.StmtContext(ctx, w.rollbackTo).ExecContext(ctx); err != nil {
			// SQLite rolled the whole transaction back (I/O error, full
			// disk...): every op in the batch is lost, whatever its own fate.
			return writeResult{}, fmt.Errorf("%w: write batch aborted: %w", store.ErrUnavailable, opErr)
		}
	}
	if _, err := tx.StmtContext(ctx, w.release).ExecContext(ctx); err != nil {
		return writeResult{}, wrap("release savepoint", err)
	}
	return writeResult{n: n, err: opErr}, nil
}

func failAll(batch []*writeOp, err error) {
	for _, op := range batch {
		op.done <- writeResult{err: err}
	}
}
