package sqlite

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

var listFilterCases = []struct {
	name   string
	filter store.Filter
}{
	{"owner only", store.Filter{Owner: "o"}},
	{"everything", store.Filter{Owner: "o", Tunnel: "t", Limit: 10, Cursor: store.Cursor{Seq: 3}.String(),
		Since: time.Unix(1, 0), Until: time.Unix(2, 0), Method: "POST", StatusClass: 4,
		Outcome: store.OutcomeOK, Text: `50%_off\`, Verified: store.VerifiedFailed, ReplayOnly: true}},
	{"all owners oldest", store.Filter{AllOwners: true, Oldest: true, Limit: 5000}},
}

// TestBuildListSQL pins the SQL List generates for a few filters.
func TestBuildListSQL(t *testing.T) {
	var out strings.Builder
	for _, f := range listFilterCases {
		q, err := buildList(f.filter)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		fmt.Fprintf(&out, "== %s\n%s\n", f.name, strings.TrimPrefix(q.sql, withoutBodies))
		for _, a := range q.args {
			fmt.Fprintf(&out, "  arg: %#v\n", a)
		}
	}
	checkGolden(t, "list_sql.golden", out.String())
}

// FuzzBuildList checks that any filter either fails with ErrInvalid or
// yields SQL with one argument per placeholder and a page size in range.
func FuzzBuildList(f *testing.F) {
	for _, c := range listFilterCases {
		x := c.filter
		f.Add(x.Owner, x.AllOwners, x.Tunnel, x.Limit, x.Cursor, x.Method, x.StatusClass,
			string(x.Outcome), x.Text, x.Verified, x.ReplayOnly, x.Oldest, x.Since.UnixNano())
	}
	f.Fuzz(func(t *testing.T, owner string, all bool, tunnel string, limit int, cursor, method string,
		class int, outcome, text, verified string, replay, oldest bool, since int64) {
		fl := store.Filter{Owner: owner, AllOwners: all, Tunnel: tunnel, Limit: limit, Cursor: cursor,
			Method: method, StatusClass: class, Outcome: store.Outcome(outcome), Text: text,
			Verified: verified, ReplayOnly: replay, Oldest: oldest, Since: time.Unix(0, since)}
		q, err := buildList(fl)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("buildList error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if n := strings.Count(q.sql, "?"); n != len(q.args) {
			t.Fatalf("%d placeholders, %d args in %s", n, len(q.args), q.sql)
		}
		if q.limit < 1 || q.limit > store.MaxLimit {
			t.Fatalf("page size %d", q.limit)
		}
	})
}
