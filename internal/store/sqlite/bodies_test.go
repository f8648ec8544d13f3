package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// TestBodyPlacement stores bodies around the sizes kept in the row, on
// insert and on complete, and reads each back; it then answers a record
// again with a smaller body, which must replace one kept apart.
func TestBodyPlacement(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	sizes := []int{0, 1, inlineResponseMax, inlineResponseMax + 1, inlineRequestMax, inlineRequestMax + 1, 70000}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			body := bytes.Repeat([]byte{byte(n)}, n)
			r := &store.Record{Tunnel: "t", Owner: "o", Body: store.Body{Data: body},
				RespBody: store.Body{Data: body}}
			if err := db.Insert(ctx, r); err != nil {
				t.Fatal(err)
			}
			checkBodies(t, db, r.ID, body, body)
			r.Outcome, r.RespBody.Data = store.OutcomeOK, bytes.Repeat([]byte("a"), n)
			if err := db.Complete(ctx, r); err != nil {
				t.Fatal(err)
			}
			checkBodies(t, db, r.ID, body, r.RespBody.Data)
			for _, smaller := range [][]byte{[]byte("ok"), nil} {
				r.RespBody.Data = smaller
				if err := db.Complete(ctx, r); err != nil {
					t.Fatal(err)
				}
				checkBodies(t, db, r.ID, body, smaller)
			}
		})
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

func checkBodies(t *testing.T, db *DB, id string, req, resp []byte) {
	t.Helper()
	got, err := db.Get(context.Background(), "o", id)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Body.Data, req) || !bytes.Equal(got.RespBody.Data, resp) {
		t.Errorf("bodies of %d and %d bytes read back as %d and %d bytes",
			len(req), len(resp), len(got.Body.Data), len(got.RespBody.Data))
	}
	if (len(req) == 0) != (got.Body.Data == nil) || (len(resp) == 0) != (got.RespBody.Data == nil) {
		t.Errorf("empty bodies must read back as nil: %v, %v", got.Body.Data, got.RespBody.Data)
	}
}

// TestTextFilterFindsBodiesEverywhere searches request bodies kept in the
// row and apart.
func TestTextFilterFindsBodiesEverywhere(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	for _, n := range []int{10, inlineRequestMax + 100} {
		body := append(bytes.Repeat([]byte("x"), n), fmt.Sprintf("needle-%d", n)...)
		if err := db.Insert(ctx, &store.Record{Tunnel: "t", Owner: "o", Body: store.Body{Data: body}}); err != nil {
			t.Fatal(err)
		}
		p, err := db.List(ctx, store.Filter{Owner: "o", Text: fmt.Sprintf("NEEDLE-%d", n)})
		if err != nil || len(p.Records) != 1 {
			t.Errorf("text filter on a %d-byte body found %d records, %v", len(body), len(p.Records), err)
		}
	}
}

// TestBodyInParts: a request body saved in parts is found by the text filter and goes
// with its record when the record is purged.
func TestBodyInParts(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	r := &store.Record{Tunnel: "t", Owner: "o"}
	if err := db.Insert(ctx, r); err != nil {
		t.Fatal(err)
	}
	body := append(bytes.Repeat([]byte("x"), 3*bodyPartSize), "needle"...)
	r.Body = store.Body{Data: body, Size: int64(len(body))}
	if err := db.SaveRequestBody(ctx, r); err != nil {
		t.Fatal(err)
	}
	checkBodies(t, db, r.ID, body, nil)
	page, err := db.List(ctx, store.Filter{Owner: "o", Text: "needle"})
	if err != nil || len(page.Records) != 1 {
		t.Fatalf("text filter over parts: %v, %d records", err, len(page.Records))
	}
	if _, err := db.Purge(ctx, time.Now().Add(time.Hour), 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var parts int
	if err := db.rdb.QueryRowContext(ctx, `SELECT count(*) FROM request_body_parts`).Scan(&parts); err != nil || parts != 0 {
		t.Fatalf("after purge: %d parts left (%v)", parts, err)
	}
}
