package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// Insert records r (see store.Store). It fills in r.ID, r.ReceivedAt and
// r.Outcome when empty (before writing, so they stay set if the write
// fails), and sets r.Seq once the write has committed.
func (db *DB) Insert(ctx context.Context, r *store.Record) error {
	if err := prepareInsert(r); err != nil {
		return fmt.Errorf("insert record: %w", err)
	}
	args := insertArgs(r)
	req, resp := r.Body.Data, r.RespBody.Data
	seq, err := db.w.write(ctx, func(ctx context.Context, tx *sql.Tx) (int64, error) {
		return db.insertTx(ctx, tx, args, req, resp)
	})
	if err != nil {
		return wrap("insert record", err)
	}
	r.Seq = seq
	return nil
}

// prepareInsert validates r and fills its defaults.
func prepareInsert(r *store.Record) error {
	switch {
	case r.Tunnel == "" || r.Owner == "":
		return fmt.Errorf("%w: tunnel and owner are required", store.ErrInvalid)
	case r.ID != "" && !store.ValidID(r.ID):
		return fmt.Errorf("%w: malformed id %q", store.ErrInvalid, r.ID)
	case r.Outcome != "" && !r.Outcome.Valid():
		return fmt.Errorf("%w: unknown outcome %q", store.ErrInvalid, r.Outcome)
	}
	r.ReceivedAt = orNow(r.ReceivedAt)
	if r.ID == "" {
		r.ID = store.NewID(r.ReceivedAt)
	}
	if r.Outcome == "" {
		r.Outcome = store.OutcomePending
	}
	return nil
}

func insertArgs(r *store.Record) []any {
	provider, ok, reason := verificationArgs(r.Verification)
	return []any{r.ID, r.Tunnel, r.Owner, toNanos(r.ReceivedAt), r.Method, r.Host, r.Path,
		r.RawQuery, r.Proto, r.RemoteAddr, encodeHeaders(r.Headers), r.Body.Size, r.Body.SHA256,
		boolInt(r.Body.Truncated), r.Status, string(r.Outcome), r.ErrorCode,
		encodeHeaders(r.RespHeaders), r.RespBody.Size, r.RespBody.SHA256,
		boolInt(r.RespBody.Truncated), int64(r.Duration), r.ReplayOf, provider, ok, reason,
		r.EventID, boolInt(r.Duplicate), r.Attempts}
}

func verificationArgs(v *store.Verification) (provider any, ok int, reason string) {
	if v == nil {
		return nil, 0, ""
	}
	return v.Provider, boolInt(v.OK), v.Reason
}

func (db *DB) insertTx(ctx context.Context, tx *sql.Tx, args []any, req, resp []byte) (int64, error) {
	res, err := tx.StmtContext(ctx, db.ws.insertRecord).ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	if len(req) > 0 {
		if _, err := tx.StmtContext(ctx, db.ws.insertReqBody).ExecContext(ctx, seq, req); err != nil {
			return 0, err
		}
	}
	if len(resp) > 0 {
		if _, err := tx.StmtContext(ctx, db.ws.upsertRespBody).ExecContext(ctx, seq, resp); err != nil {
			return 0, err
		}
	}
	return seq, nil
}

// Complete writes the response half of the record r.ID (see store.Store).
// r.Outcome must be a valid outcome; anything else is ErrInvalid.
func (db *DB) Complete(ctx context.Context, r *store.Record) error {
	if !r.Outcome.Valid() {
		return fmt.Errorf("complete record: %w: unknown outcome %q", store.ErrInvalid, r.Outcome)
	}
	provider, ok, reason := verificationArgs(r.Verification)
	args := []any{r.Status, string(r.Outcome), r.ErrorCode, encodeHeaders(r.RespHeaders),
		r.RespBody.Size, r.RespBody.SHA256, boolInt(r.RespBody.Truncated), int64(r.Duration),
		r.Attempts, provider, ok, reason, boolInt(r.Duplicate), r.ID}
	resp := r.RespBody.Data
	_, err := db.w.write(ctx, func(ctx context.Context, tx *sql.Tx) (int64, error) {
		return 0, db.completeTx(ctx, tx, args, resp)
	})
	return wrap("complete record", err)
}

func (db *DB) completeTx(ctx context.Context, tx *sql.Tx, args []any, resp []byte) error {
	var seq int64
	err := tx.StmtContext(ctx, db.ws.completeRecord).QueryRowContext(ctx, args...).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	if len(resp) == 0 {
		_, err = tx.StmtContext(ctx, db.ws.deleteRespBody).ExecContext(ctx, seq)
		return err
	}
	_, err = tx.StmtContext(ctx, db.ws.upsertRespBody).ExecContext(ctx, seq, resp)
	return err
}

// Get returns the record id of owner, with bodies (see store.Store).
func (db *DB) Get(ctx context.Context, owner, id string) (*store.Record, error) {
	if db.closed.Load() {
		return nil, errClosed
	}
	r, err := scanRecord(db.rs.getRecord.QueryRowContext(ctx, id, owner))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get record %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("get record", err)
	}
	return r, nil
}

// scanner is the part of *sql.Row and *sql.Rows scanRecord needs.
type scanner interface {
	Scan(dest ...any) error
}

// scanRecord reads one row selected with recordColumns plus two body columns.
func scanRecord(s scanner) (*store.Record, error) {
	var (
		r              store.Record
		received, dur  int64
		hdrs, respHdrs []byte
		outcome        string
		provider       sql.NullString
		verifyOK       bool
		reason         string
	)
	err := s.Scan(&r.Seq, &r.ID, &r.Tunnel, &r.Owner, &received, &r.Method, &r.Host, &r.Path,
		&r.RawQuery, &r.Proto, &r.RemoteAddr, &hdrs, &r.Body.Size, &r.Body.SHA256,
		&r.Body.Truncated, &r.Status, &outcome, &r.ErrorCode, &respHdrs, &r.RespBody.Size,
		&r.RespBody.SHA256, &r.RespBody.Truncated, &dur, &r.ReplayOf, &provider, &verifyOK,
		&reason, &r.EventID, &r.Duplicate, &r.Attempts, &r.Body.Data, &r.RespBody.Data)
	if err != nil {
		return nil, err
	}
	r.ReceivedAt, r.Duration, r.Outcome = fromNanos(received), time.Duration(dur), store.Outcome(outcome)
	if provider.Valid {
		r.Verification = &store.Verification{Provider: provider.String, OK: verifyOK, Reason: reason}
	}
	if r.Headers, err = decodeHeaders(hdrs); err != nil {
		return nil, fmt.Errorf("record %s headers: %w", r.ID, err)
	}
	if r.RespHeaders, err = decodeHeaders(respHdrs); err != nil {
		return nil, fmt.Errorf("record %s response headers: %w", r.ID, err)
	}
	return &r, nil
}
