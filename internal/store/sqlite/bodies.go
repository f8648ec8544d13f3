package sqlite

import (
	"context"
	"database/sql"
)

// bodyPlace is where a stored request body lives. placeOf is the one rule
// that decides it: Insert and SaveRequestBody write by it (placeRequestBody),
// and every query that returns bodies (Get, Queued) reads what it placed
// (the request body columns of withBodies, then readRequestBody). A record's
// body is in exactly one place, or nowhere when nothing was stored.
type bodyPlace uint8

const (
	placeNone  bodyPlace = iota // nothing stored
	placeRow                    // records.body
	placeTable                  // one row of request_bodies
	placeParts                  // request_body_parts, in order
)

// bodyPartSize is the largest piece of a request body bound to one statement: the
// driver copies what it binds, so a 10 MiB body in one piece would cost 10 MiB more.
const bodyPartSize = 256 << 10

// placeOf places a stored request body of n bytes: small ones in the row,
// up to bodyPartSize in request_bodies, larger ones in parts.
func placeOf(n int) bodyPlace {
	switch {
	case n == 0:
		return placeNone
	case n <= inlineRequestMax:
		return placeRow
	case n <= bodyPartSize:
		return placeTable
	}
	return placeParts
}

// inlineRequest is the value of records.body for a request body: the body
// when placeOf puts it in the row, else NULL (nil).
func inlineRequest(body []byte) any {
	if placeOf(len(body)) != placeRow {
		return nil
	}
	return body
}

// placeRequestBody stores the part of a request body that the row does not
// hold (see inlineRequest) where placeOf puts it. The record seq has no body
// stored apart.
func placeRequestBody(c *wconn, seq int64, data []byte) error {
	switch placeOf(len(data)) {
	case placeNone, placeRow:
		return nil
	case placeTable:
		_, err := c.exec(sInsertReqBody, args(seq, data))
		return err
	}
	for part := 0; len(data) > 0; part++ {
		n := min(len(data), bodyPartSize)
		if _, err := c.exec(sInsertReqPart, args(seq, part, data[:n])); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// dropRequestBody deletes whatever request body of seq is stored apart.
func dropRequestBody(c *wconn, seq int64) error {
	if _, err := c.exec(sDeleteReqParts, args(seq)); err != nil {
		return err
	}
	_, err := c.exec(sDeleteReqBody, args(seq))
	return err
}

// readRequestBody completes a row read with withBodies: a body in the row or
// in request_bodies came with it; one in parts is read here.
func (db *DB) readRequestBody(ctx context.Context, row *scannedRow) error {
	if !row.inParts {
		return nil
	}
	body, err := db.requestParts(ctx, row.Seq)
	row.Body.Data, row.inParts = body, false
	return err
}

// requestParts reads a request body stored in parts, in order.
func (db *DB) requestParts(ctx context.Context, seq int64) ([]byte, error) {
	rows, err := db.rs.reqParts.QueryContext(ctx, seq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var body []byte
	for rows.Next() {
		var part sql.RawBytes
		if err := rows.Scan(&part); err != nil {
			return nil, err
		}
		body = append(body, part...)
	}
	return body, rows.Err()
}
