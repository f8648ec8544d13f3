package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// v2InsertRecord writes a record in the layout of schema version 2.
const v2InsertRecord = `INSERT INTO records (seq, id, tunnel, owner, received_at, method, host, path,
	raw_query, proto, remote_addr, headers, body_size, body_sha256, body_truncated, status, outcome,
	error_code, resp_headers, resp_body_size, resp_body_sha256, resp_body_truncated, duration_ns,
	replay_of, verify_provider, verify_ok, verify_reason, event_id, duplicate, attempts)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// v2Records are the records of the version 2 database, with their seqs.
func v2Records() []store.Record {
	at := time.Date(2025, 6, 1, 12, 0, 0, 123, time.UTC)
	big := bytes.Repeat([]byte("big body "), 1000)
	return []store.Record{
		{Seq: 1, ID: store.NewID(at), Tunnel: "t", Owner: "o", ReceivedAt: at, Outcome: store.OutcomePending},
		{Seq: 2, ID: store.NewID(at.Add(time.Second)), Tunnel: "t", Owner: "o", ReceivedAt: at.Add(time.Second),
			Method: "PUT", Host: "shop.relay.test", Path: "/hooks/ÄÖ", RawQuery: "a=%ff", Proto: "HTTP/2.0",
			RemoteAddr: "[2001:db8::1]:443", Headers: []store.Header{hdr("X-B", "1"), hdr("Bin", "\xff\x00")},
			Body:   store.Body{Data: []byte("request"), Size: 1 << 20, SHA256: "ab", Truncated: true},
			Status: 418, Outcome: store.OutcomeOK, ErrorCode: "teapot",
			RespHeaders: []store.Header{hdr("Content-Type", "text/plain")},
			RespBody:    store.Body{Data: []byte{0, 1, 2}, Size: 3, SHA256: "cd"}, Duration: 1234567,
			ReplayOf: store.NewID(at), Verification: &store.Verification{Provider: "stripe", OK: true},
			EventID: "evt_1", Duplicate: true, Attempts: 2},
		{Seq: 4, ID: store.NewID(at.Add(2 * time.Second)), Tunnel: "u", Owner: "p", ReceivedAt: at.Add(2 * time.Second),
			Outcome: store.OutcomeQueued, Verification: &store.Verification{Provider: "github", Reason: "stale"},
			Body: store.Body{Data: big, Size: int64(len(big))}, RespBody: store.Body{Data: big, Size: int64(len(big))}},
	}
}

// TestMigrateFromV2 migrates a populated version 2 database, in which the
// records with seq 3 and 5 were purged, and checks that every record reads
// back as it was written, that listing filters still work and that no seq
// is handed out again.
func TestMigrateFromV2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	recs := v2Records()
	writeV2(t, path, recs)
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, want := range recs {
		got, err := db.Get(ctx, want.Owner, want.ID)
		if err != nil {
			t.Fatalf("Get %d: %v", want.Seq, err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("record %d after migration:\n got %+v\nwant %+v", want.Seq, *got, want)
		}
	}
	for filter, seq := range map[string]int64{store.VerifiedOK: 2, store.VerifiedFailed: 4} {
		p, err := db.List(ctx, store.Filter{AllOwners: true, Verified: filter})
		if err != nil || len(p.Records) != 1 || p.Records[0].Seq != seq {
			t.Errorf("List verified %s = %+v, %v", filter, p.Records, err)
		}
	}
	r := &store.Record{Tunnel: "t", Owner: "o"}
	if err := db.Insert(ctx, r); err != nil || r.Seq != 6 {
		t.Errorf("first insert after migration: seq %d, %v; want 6", r.Seq, err)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

// writeV2 creates a database at schema version 2 holding recs, then
// purges seqs 3 and 5 the way version 2 did.
func writeV2(t *testing.T, path string, recs []store.Record) {
	t.Helper()
	ctx := context.Background()
	raw, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(ctx, raw, ms[:2]); err != nil {
		t.Fatal(err)
	}
	for _, r := range append(slices.Clone(recs), store.Record{Seq: 3, ID: store.NewID(time.Now())},
		store.Record{Seq: 5, ID: store.NewID(time.Now())}) {
		insertV2(t, raw, r)
	}
	if _, err := raw.Exec(`DELETE FROM records WHERE seq IN (3, 5)`); err != nil {
		t.Fatal(err)
	}
}

func insertV2(t *testing.T, db *sql.DB, r store.Record) {
	t.Helper()
	var provider any
	var ok int
	var reason string
	if v := r.Verification; v != nil {
		provider, ok, reason = v.Provider, boolInt(v.OK), v.Reason
	}
	_, err := db.Exec(v2InsertRecord, r.Seq, r.ID, r.Tunnel, r.Owner, r.ReceivedAt.UnixNano(), r.Method,
		r.Host, r.Path, r.RawQuery, r.Proto, r.RemoteAddr, encodeHeaders(r.Headers), r.Body.Size,
		r.Body.SHA256, boolInt(r.Body.Truncated), r.Status, string(r.Outcome), r.ErrorCode,
		encodeHeaders(r.RespHeaders), r.RespBody.Size, r.RespBody.SHA256, boolInt(r.RespBody.Truncated),
		int64(r.Duration), r.ReplayOf, provider, ok, reason, r.EventID, boolInt(r.Duplicate), r.Attempts)
	if err != nil {
		t.Fatal(err)
	}
	for table, data := range map[string][]byte{"request_bodies": r.Body.Data, "response_bodies": r.RespBody.Data} {
		if len(data) > 0 {
			if _, err := db.Exec(`INSERT INTO `+table+` (seq, data) VALUES (?, ?)`, r.Seq, data); err != nil {
				t.Fatal(err)
			}
		}
	}
}
