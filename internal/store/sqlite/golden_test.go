package sqlite

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from golden file (run with -update to accept):\n%s", name, got)
	}
}

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSchemaGolden pins the schema the migrations produce.
func TestSchemaGolden(t *testing.T) {
	db := openTest(t)
	rows, err := pragmaRows(context.Background(), db.rdb,
		`SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "schema.golden", strings.Join(rows, "\n\n")+"\n")
}

// TestQueryPlans pins how SQLite runs the hot queries, so that a schema or
// query change that loses an index shows up in review.
func TestQueryPlans(t *testing.T) {
	db := openTest(t)
	var out strings.Builder
	for _, q := range planQueries(t) {
		rows, err := db.rdb.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q.sql, make([]any, q.args)...)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		out.WriteString("== " + q.name + "\n")
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			out.WriteString(detail + "\n")
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	checkGolden(t, "query_plans.golden", out.String())
}

// namedQuery is a query to explain, with its number of parameters (all
// bound to NULL: the plan does not depend on values).
type namedQuery struct {
	name, sql string
	args      int
}

func planQueries(t *testing.T) []namedQuery {
	qs := []namedQuery{
		{"insert record", qInsertRecord, 29}, {"complete by seq", qCompleteBySeq, 15},
		{"complete by id", qCompleteByID, 14},
		{"get record", qGetRecord, 2}, {"queued", qQueued, 2}, {"missed", qMissed, 3},
		{"seen event", qSeenEvent, 4}, {"expire queued", qExpireQueued, 1}, {"purge old", qPurgeOld, 2},
		{"purge cap", qPurgeCap, 4}, {"crowded tunnels", qCrowdedTunnels, 1},
		{"list tunnels", qListTunnels, 1}, {"next seq", qNextSeq, 0}, {"raise floor", qRaiseFloor, 0},
		{"add attempt", qAddAttempt, 9}, {"get attempts", qGetAttempts, 1},
	}
	for _, f := range listPlanFilters {
		q, err := buildList(f.filter)
		if err != nil {
			t.Fatalf("buildList(%+v): %v", f.filter, err)
		}
		qs = append(qs, namedQuery{f.name, q.sql, len(q.args)})
	}
	return qs
}

var listPlanFilters = []struct {
	name   string
	filter store.Filter
}{
	{"list owner", store.Filter{Owner: "o"}},
	{"list owner cursor", store.Filter{Owner: "o", Cursor: store.Cursor{Seq: 9}.String()}},
	{"list tunnel", store.Filter{Owner: "o", Tunnel: "t"}},
	{"list tunnel oldest", store.Filter{Owner: "o", Tunnel: "t", Oldest: true,
		Cursor: store.Cursor{Seq: 9, Oldest: true}.String()}},
	{"list tunnel outcome", store.Filter{Owner: "o", Tunnel: "t", Outcome: store.OutcomeOffline}},
	{"list tunnel outcome ok", store.Filter{Owner: "o", Tunnel: "t", Outcome: store.OutcomeOK}},
	{"list tunnel missed", store.Filter{Owner: "o", Tunnel: "t", Missed: true}},
	{"list all owners queued", store.Filter{AllOwners: true, Outcome: store.OutcomeQueued}},
	{"list text", store.Filter{Owner: "o", Text: "x"}},
	{"list all owners", store.Filter{AllOwners: true}},
}
