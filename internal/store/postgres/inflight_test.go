package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store"
)

// TestInflightMark: the mark is never above a seq the node may still leave pending.
func TestInflightMark(t *testing.T) {
	f := newInflight()
	if m := f.mark(); m != 0 {
		t.Fatalf("a node that saw nothing: mark %d, want 0", m)
	}
	f.saw(99) // joined with the sequence at 99
	a := f.begin()
	if m := f.mark(); m != 100 {
		t.Fatalf("an insert under way: mark %d, want its floor 100", m)
	}
	f.inserted(a, 120, store.OutcomePending, nil)
	b := f.begin()
	f.inserted(b, 121, store.OutcomeQueued, nil)
	if m := f.mark(); m != 120 {
		t.Fatalf("120 pending: mark %d, want 120", m)
	}
	f.completed(120, store.OutcomePending) // still pending
	if m := f.mark(); m != 120 {
		t.Fatalf("120 completed as pending: mark %d, want 120", m)
	}
	f.completed(120, store.OutcomeOK)
	if m := f.mark(); m != 122 {
		t.Fatalf("nothing pending: mark %d, want one above the highest seq, 122", m)
	}
	c := f.begin()
	f.inserted(c, 0, "", store.ErrConflict) // nothing was inserted
	if m := f.mark(); m != 122 {
		t.Fatalf("after a refused insert: mark %d, want 122", m)
	}
	d := f.begin()
	f.inserted(d, 0, "", errors.Join(store.ErrUnavailable, errors.New("connection lost at commit")))
	e := f.begin()
	f.inserted(e, 130, store.OutcomeOK, nil)
	if m := f.mark(); m != 122 {
		t.Fatalf("after an insert of unknown outcome: mark %d, want it pinned at its floor 122", m)
	}
}

// TestMigrationSettlesNamelessRecords: records still pending when migration 0011 runs
// were left by processes that no longer run (every node is stopped for a migration):
// it settles them as interrupted, and leaves the others alone.
func TestMigrationSettlesNamelessRecords(t *testing.T) {
	dsn := pgtest.Schema(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var before []migration
	for _, m := range ms {
		if m.version < 11 {
			before = append(before, m)
		}
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	if err := applyFrom(ctx, tx, before, 0); err != nil {
		t.Fatal(err)
	}
	for i, outcome := range []string{"pending", "ok", "queued"} {
		if _, err := tx.Exec(ctx, `INSERT INTO records (seq, id, tunnel, owner, received_at, outcome, request, response)
			VALUES (nextval('records_seq'), $1, 't', 'o', $2, $3, ''::bytea, ''::bytea)`, outcome, i, outcome); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	openTest(t, dsn, Options{}) // applies 0011 and the rest
	got := map[string]string{}
	rows, err := conn.Query(ctx, `SELECT id, outcome FROM record_state`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, o string
		if err := rows.Scan(&id, &o); err != nil {
			t.Fatal(err)
		}
		got[id] = o
	}
	if got["pending"] != "interrupted" || got["ok"] != "ok" || got["queued"] != "queued" {
		t.Fatalf("after the migration: %v", got)
	}
}
