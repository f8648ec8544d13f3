package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/store"
)

// qInsert writes a record and, when it is queued, its queue row, in one
// statement. A taken ID inserts nothing and returns no row.
const qInsert = `WITH r AS (
	INSERT INTO records (seq, id, tunnel, owner, received_at, method, path, status, outcome, verified,
		replay_of, event_id, request, response, body, resp_body, body_len, node_id)
	VALUES (nextval('records_seq'), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
		coalesce(octet_length($14::bytea), 0), $16)
	ON CONFLICT (id) DO NOTHING
	RETURNING seq, tunnel, received_at, outcome),
q AS (INSERT INTO queue (seq, tunnel, received_at)
	SELECT seq, tunnel, received_at FROM r WHERE outcome = 'queued')
SELECT seq FROM r`

// qComplete writes the response half into responses (an insert, or an
// update when completed again) and keeps the queue row in step with the
// outcome. An unknown ID returns no row.
const qComplete = `WITH r AS (SELECT seq, tunnel, received_at FROM records WHERE id = $1),
d AS (DELETE FROM queue WHERE seq = (SELECT seq FROM r) AND $3::text <> 'queued'),
q AS (INSERT INTO queue (seq, tunnel, received_at)
	SELECT seq, tunnel, received_at FROM r WHERE $3::text = 'queued' ON CONFLICT (seq) DO NOTHING)
INSERT INTO responses (seq, status, outcome, verified, response, resp_body)
SELECT seq, $2, $3, $4, $5, $6 FROM r
ON CONFLICT (seq) DO UPDATE SET status = EXCLUDED.status, outcome = EXCLUDED.outcome,
	verified = EXCLUDED.verified, response = EXCLUDED.response, resp_body = EXCLUDED.resp_body
RETURNING seq`

// qSaveBody replaces the request half and body of a record whose body
// streamed through after Insert.
const qSaveBody = `UPDATE records SET request = $2, body = $3, body_len = coalesce(octet_length($3::bytea), 0)
	WHERE id = $1 RETURNING seq`

// Insert records r (see store.Store). It fills in r.ID, r.ReceivedAt and
// r.Outcome when empty (before writing, so they stay set if the write
// fails), and sets r.Seq once the write has committed.
func (db *DB) Insert(ctx context.Context, r *store.Record) error {
	if err := prepareInsert(r); err != nil {
		return fmt.Errorf("insert record: %w", err)
	}
	var seq int64
	token := db.pending.begin()
	err := wrap("insert record", db.w.write(ctx, qInsert, scanSeq(&seq, store.ErrConflict), insertArgs(r, db.node.id)...))
	db.pending.inserted(token, seq, r.Outcome, err)
	if err != nil {
		return err
	}
	r.Seq = seq
	return nil
}

// insertArgs returns qInsert's arguments for r, written by node.
func insertArgs(r *store.Record, node string) []any {
	return []any{r.ID, r.Tunnel, r.Owner, toNanos(r.ReceivedAt), r.Method, bytea(r.Path), r.Status,
		string(r.Outcome), verifiedColumn(r.Verification), r.ReplayOf, bytea(r.EventID),
		encodeRequest(r), encodeResponse(r), nilIfEmpty(r.Body.Data), nilIfEmpty(r.RespBody.Data), node}
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
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = time.Now()
	}
	if r.ID == "" {
		r.ID = store.NewID(r.ReceivedAt)
	}
	if r.Outcome == "" {
		r.Outcome = store.OutcomePending
	}
	return nil
}

// scanSeq reads a returned seq into dst; no row is the error none.
func scanSeq(dst *int64, none error) func(pgx.Row) error {
	return func(row pgx.Row) error {
		err := row.Scan(dst)
		if errors.Is(err, pgx.ErrNoRows) {
			return none
		}
		return err
	}
}

// Complete writes the response half of the record r.ID (see store.Store).
// It goes by ID alone: r.Seq is not trusted.
func (db *DB) Complete(ctx context.Context, r *store.Record) error {
	if !r.Outcome.Valid() {
		return fmt.Errorf("complete record: %w: unknown outcome %q", store.ErrInvalid, r.Outcome)
	}
	var seq int64
	err := db.w.write(ctx, qComplete, scanSeq(&seq, store.ErrNotFound),
		r.ID, r.Status, string(r.Outcome), verifiedColumn(r.Verification), encodeResponse(r),
		nilIfEmpty(r.RespBody.Data))
	if err == nil {
		db.pending.completed(seq, r.Outcome)
	}
	return wrap("complete record", err)
}

// SaveRequestBody writes r.Body for the record r.ID, with the request half
// that records its size and digest (see store.Store).
func (db *DB) SaveRequestBody(ctx context.Context, r *store.Record) error {
	var seq int64
	err := db.w.write(ctx, qSaveBody, scanSeq(&seq, store.ErrNotFound),
		r.ID, encodeRequest(r), nilIfEmpty(r.Body.Data))
	return wrap("save request body", err)
}

// recordColumns is what every record query selects from record_state (as
// r), in scanRecord's order; bodies is the two body columns or NULLs.
const (
	recordColumns = `r.seq, r.id, r.tunnel, r.owner, r.received_at, r.method, r.path, r.replay_of,
	r.event_id, r.status, r.outcome, r.request, r.response`
	withBodies    = recordColumns + `, r.body, r.resp_body`
	withoutBodies = recordColumns + `, NULL::bytea, NULL::bytea`
)

// Get returns the record id of owner, with bodies (see store.Store).
func (db *DB) Get(ctx context.Context, owner, id string) (*store.Record, error) {
	var rec *store.Record
	err := db.call(ctx, "get record", func(ctx context.Context) error {
		row := db.pool.QueryRow(ctx, `SELECT `+withBodies+` FROM record_state r
			WHERE r.id = $1 AND r.owner = $2`, id, owner)
		var err error
		rec, err = scanRecord(row)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("record %s: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		rec.Tries, err = db.readAttempts(ctx, rec.Seq)
		return err
	})
	return rec, err
}

// scanRecord reads one row selected with withBodies or withoutBodies.
func scanRecord(row pgx.Row) (*store.Record, error) {
	var (
		r                 store.Record
		received          int64
		outcome           string
		path, event       []byte
		request, response []byte
	)
	err := row.Scan(&r.Seq, &r.ID, &r.Tunnel, &r.Owner, &received, &r.Method, &path, &r.ReplayOf,
		&event, &r.Status, &outcome, &request, &response, &r.Body.Data, &r.RespBody.Data)
	if err != nil {
		return nil, err
	}
	r.ReceivedAt, r.Outcome = fromNanos(received), store.Outcome(outcome)
	r.Path, r.EventID = string(path), string(event)
	if err := decodeRequest(request, &r); err != nil {
		return nil, fmt.Errorf("record %s request: %w", r.ID, err)
	}
	if err := decodeResponse(response, &r); err != nil {
		return nil, fmt.Errorf("record %s response: %w", r.ID, err)
	}
	return &r, nil
}

// bytea passes s as a bytea value, never NULL.
func bytea(s string) []byte {
	return append(make([]byte, 0, len(s)), s...)
}

// nilIfEmpty stores an empty body as NULL: nothing stored.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// toNanos converts t to Unix nanoseconds, clamping times beyond the int64
// range (years before 1678 or after 2262) to its ends.
func toNanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// fromNanos is the inverse of toNanos, in UTC.
func fromNanos(n int64) time.Time {
	return time.Unix(0, n).UTC()
}
