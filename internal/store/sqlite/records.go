package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"

	"github.com/hookrelay/hookrelay/internal/store"
)

// Insert records r (see store.Store). It fills in r.ID, r.ReceivedAt and
// r.Outcome when empty (before writing, so they stay set if the write
// fails), and sets r.Seq once the write has committed.
func (db *DB) Insert(ctx context.Context, r *store.Record) error {
	if err := prepareInsert(r); err != nil {
		return fmt.Errorf("insert record: %w", err)
	}
	row := insertArgs(r)
	req, resp := r.Body.Data, r.RespBody.Data
	seq, err := db.w.write(ctx, func(c *wconn) (int64, error) {
		return insertTx(c, row, req, resp)
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

// insertArgs returns the arguments of qInsertRecord, the first, seq, left
// for the writer to fill in.
func insertArgs(r *store.Record) []driver.NamedValue {
	resp := responseHalfOf(r)
	return args(nil, r.ID, r.Tunnel, r.Owner, toNanos(r.ReceivedAt), r.Method, r.Path, r.Status,
		string(r.Outcome), resp.verifiedColumn(), r.ReplayOf, r.EventID, requestHalfOf(r).encode(),
		resp.encode(), inlineRequest(r.Body.Data), inline(r.RespBody.Data, inlineResponseMax), len(r.Body.Data))
}

// inline returns the value of a body column in records: the body when it
// is small enough to be kept there, else NULL (nil).
func inline(body []byte, max int) any {
	if len(body) == 0 || len(body) > max {
		return nil
	}
	return body
}

// insertTx inserts a record and whichever of its bodies are too large for
// the row.
func insertTx(c *wconn, row []driver.NamedValue, req, resp []byte) (int64, error) {
	seq := c.seqs.next()
	row[0].Value = seq
	if _, err := c.exec(sInsertRecord, row); err != nil {
		return 0, err
	}
	if err := placeRequestBody(c, seq, req); err != nil {
		return 0, err
	}
	if len(resp) > inlineResponseMax {
		if _, err := c.exec(sUpsertRespBody, args(seq, resp)); err != nil {
			return 0, err
		}
	}
	return seq, nil
}

// SaveRequestBody writes r.Body for the record r.ID (see store.Store): the
// request half is rewritten with the body's size and digest, and the body
// goes in the row, request_bodies or request_body_parts by its size.
func (db *DB) SaveRequestBody(ctx context.Context, r *store.Record) error {
	row := args(requestHalfOf(r).encode(), inlineRequest(r.Body.Data), len(r.Body.Data), r.ID)
	data := r.Body.Data
	_, err := db.w.write(ctx, func(c *wconn) (int64, error) {
		seq, found, err := c.queryInt(sSetRequest, row)
		if err != nil || !found {
			return 0, cmp.Or(err, store.ErrNotFound)
		}
		if err := dropRequestBody(c, seq); err != nil {
			return 0, err
		}
		return 0, placeRequestBody(c, seq, data)
	})
	return wrap("save request body", err)
}

// Complete writes the response half of the record r.ID (see store.Store).
// r.Outcome must be a valid outcome; anything else is ErrInvalid. When
// r.Seq is set, as Insert leaves it, the row is found by its seq.
func (db *DB) Complete(ctx context.Context, r *store.Record) error {
	if !r.Outcome.Valid() {
		return fmt.Errorf("complete record: %w: unknown outcome %q", store.ErrInvalid, r.Outcome)
	}
	half := responseHalfOf(r)
	byID := args(r.Status, string(r.Outcome), half.verifiedColumn(), half.encode(),
		inline(r.RespBody.Data, inlineResponseMax), r.ID)
	var bySeq []driver.NamedValue
	if r.Seq > 0 {
		bySeq = append(slices.Clip(byID), driver.NamedValue{Ordinal: len(byID) + 1, Value: r.Seq})
	}
	resp := r.RespBody.Data
	_, err := db.w.write(ctx, func(c *wconn) (int64, error) {
		return 0, completeTx(c, bySeq, byID, resp)
	})
	return wrap("complete record", err)
}

// completeTx updates the record by seq when bySeq is set, and by ID when it
// is not or names no record, then stores the response body if it is too
// large for the row. A smaller one is in the row, and the response half
// says so: a body left in response_bodies by an earlier answer is ignored
// from then on, and goes with the record.
func completeTx(c *wconn, bySeq, byID []driver.NamedValue, resp []byte) error {
	seq, found, err := completeRow(c, bySeq, byID)
	if err != nil {
		return err
	}
	if !found {
		return store.ErrNotFound
	}
	if len(resp) <= inlineResponseMax {
		return nil
	}
	_, err = c.exec(sUpsertRespBody, args(seq, resp))
	return err
}

func completeRow(c *wconn, bySeq, byID []driver.NamedValue) (seq int64, found bool, err error) {
	if bySeq != nil {
		res, err := c.exec(sCompleteBySeq, bySeq)
		if err != nil {
			return 0, false, err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return bySeq[len(bySeq)-1].Value.(int64), err == nil, err
		}
	}
	return c.queryInt(sCompleteByID, byID)
}

// Get returns the record id of owner, with bodies (see store.Store).
func (db *DB) Get(ctx context.Context, owner, id string) (*store.Record, error) {
	if db.closed.Load() {
		return nil, errClosed
	}
	row, err := scanRecord(db.rs.getRecord.QueryRowContext(ctx, id, owner))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get record %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("get record", err)
	}
	if err := db.readRequestBody(ctx, row); err != nil {
		return nil, wrap("get record body", err)
	}
	if row.Tries, err = db.readAttempts(ctx, row.Seq); err != nil {
		return nil, wrap("get record attempts", err)
	}
	return &row.Record, nil
}

// scanner is the part of *sql.Row and *sql.Rows scanRecord needs.
type scanner interface {
	Scan(dest ...any) error
}

// scannedRow is one record as a query read it. inParts reports that its
// request body is stored in request_body_parts (see placeOf) and still has to
// be read with readRequestBody.
type scannedRow struct {
	store.Record
	inParts bool
}

// scanRecord reads one row selected with recordColumns plus the four body
// columns.
func scanRecord(s scanner) (*scannedRow, error) {
	var (
		row                  scannedRow
		r                    = &row.Record
		received             int64
		outcome              string
		request, response    []byte
		respInRow, respApart []byte
	)
	err := s.Scan(&r.Seq, &r.ID, &r.Tunnel, &r.Owner, &received, &r.Method, &r.Path, &r.Status,
		&outcome, &r.ReplayOf, &r.EventID, &request, &response, &r.Body.Data, &row.inParts,
		&respInRow, &respApart)
	if err != nil {
		return nil, err
	}
	r.ReceivedAt, r.Outcome = fromNanos(received), store.Outcome(outcome)
	if err := decodeRequestHalf(request, r); err != nil {
		return nil, fmt.Errorf("record %s request: %w", r.ID, err)
	}
	apart, err := decodeResponseHalf(response, r)
	if err != nil {
		return nil, fmt.Errorf("record %s response: %w", r.ID, err)
	}
	r.RespBody.Data = respInRow
	if apart {
		r.RespBody.Data = respApart
	}
	return &row, nil
}
