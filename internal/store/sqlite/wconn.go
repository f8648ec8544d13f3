package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"

	"modernc.org/sqlite"
)

// stmtID names a statement of the write connection.
type stmtID int

// The write connection's statements. The transaction control statements are
// prepared too, so that a batch does not parse BEGIN and COMMIT every time.
const (
	sBegin stmtID = iota
	sCommit
	sRollback
	sInsertRecord
	sNextSeq
	sRaiseFloor
	sInsertReqBody
	sDeleteReqBody
	sInsertReqPart
	sDeleteReqParts
	sSetRequest
	sUpsertRespBody
	sCompleteBySeq
	sCompleteByID
	sClaimTunnel
	sTouchTunnel
	sTunnelSeen
	sReleaseTunnel
	sExpireReleased
	sExpireQueued
	sInterrupt
	sFreeBytes
	sProbeWrite
	sProbeClear
	sPurgeOld
	sPurgeCap
	sAddAttempt
	numStmts
)

// writerSQL is the text of each statement of the write connection.
var writerSQL = [numStmts]string{
	sBegin:          `BEGIN IMMEDIATE`,
	sCommit:         `COMMIT`,
	sRollback:       `ROLLBACK`,
	sInsertRecord:   qInsertRecord,
	sNextSeq:        qNextSeq,
	sRaiseFloor:     qRaiseFloor,
	sInsertReqBody:  qInsertReqBody,
	sDeleteReqBody:  qDeleteReqBody,
	sInsertReqPart:  qInsertReqPart,
	sDeleteReqParts: qDeleteReqParts,
	sSetRequest:     qSetRequest,
	sUpsertRespBody: qUpsertRespBody,
	sCompleteBySeq:  qCompleteBySeq,
	sCompleteByID:   qCompleteByID,
	sClaimTunnel:    qClaimTunnel,
	sTouchTunnel:    qTouchTunnel,
	sTunnelSeen:     qTunnelSeen,
	sReleaseTunnel:  qReleaseTunnel,
	sExpireReleased: qExpireReleased,
	sExpireQueued:   qExpireQueued,
	sInterrupt:      qInterrupt,
	sFreeBytes:      qFreeBytes,
	sProbeWrite:     qProbeWrite,
	sProbeClear:     qProbeClear,
	sPurgeOld:       qPurgeOld,
	sPurgeCap:       qPurgeCap,
	sAddAttempt:     qAddAttempt,
}

// wconn runs the write connection's prepared statements on the driver
// connection itself. Going around database/sql saves its per-statement
// work (argument conversion, locking, a transaction-bound copy of each
// statement), which the writer, being the one goroutine every write waits
// for, pays for every caller.
//
// A wconn is only used inside (*sql.Conn).Raw on the connection it was
// prepared on.
type wconn struct {
	dc    any // the driver connection the statements belong to
	stmts [numStmts]driver.Stmt
	seqs  seqCounter
}

// prepareWconn prepares every statement of writerSQL on dc.
func prepareWconn(ctx context.Context, dc any) (*wconn, error) {
	pc, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, fmt.Errorf("prepare: driver connection %T cannot prepare", dc)
	}
	fc, ok := dc.(sqlite.FileControl)
	if !ok {
		return nil, fmt.Errorf("prepare: driver connection %T has no file control", dc)
	}
	c := &wconn{dc: dc, seqs: seqCounter{fc: fc}}
	for id, query := range writerSQL {
		st, err := pc.PrepareContext(ctx, query)
		if err != nil {
			return nil, errors.Join(wrap("prepare", err), c.close())
		}
		c.stmts[id] = st
	}
	return c, nil
}

// close finalizes the statements prepared so far.
func (c *wconn) close() error {
	var errs []error
	for i, st := range c.stmts {
		if st != nil {
			errs = append(errs, st.Close())
			c.stmts[i] = nil
		}
	}
	return errors.Join(errs...)
}

// exec runs statement id with args and returns its rows affected and last
// insert rowid.
func (c *wconn) exec(id stmtID, args []driver.NamedValue) (driver.Result, error) {
	return c.stmts[id].(driver.StmtExecContext).ExecContext(context.Background(), args)
}

// queryInt runs statement id, which returns at most one row of one integer
// column, and returns that integer; ok is false when there is no row.
func (c *wconn) queryInt(id stmtID, args []driver.NamedValue) (n int64, ok bool, err error) {
	rows, err := c.stmts[id].(driver.StmtQueryContext).QueryContext(context.Background(), args)
	if err != nil {
		return 0, false, err
	}
	dest := make([]driver.Value, 1)
	err = rows.Next(dest)
	switch {
	case errors.Is(err, io.EOF):
		return 0, false, rows.Close()
	case err != nil:
		return 0, false, errors.Join(err, rows.Close())
	}
	if err := drain(rows); err != nil {
		return 0, false, err
	}
	n, ok = dest[0].(int64)
	if !ok {
		return 0, false, fmt.Errorf("query: got %T, want an integer", dest[0])
	}
	return n, true, nil
}

// drain reads a statement to its end, so that a write with RETURNING
// completes, then closes it.
func drain(rows driver.Rows) error {
	dest := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				return rows.Close()
			}
			return errors.Join(err, rows.Close())
		}
	}
}

// args converts values to the driver's argument form. The driver binds
// int64, float64, bool, string, []byte and nil; an int becomes an int64.
func args(vals ...any) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(vals))
	for i, v := range vals {
		if x, ok := v.(int); ok {
			v = int64(x)
		}
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv
}

// rollback ends the transaction in progress, if any. Its error is of no
// use: SQLite may have rolled the transaction back already (an I/O error, a
// full disk), and a transaction left open anyway makes the next BEGIN fail,
// which rolls back again.
func (c *wconn) rollback() {
	_, _ = c.exec(sRollback, nil)
}
