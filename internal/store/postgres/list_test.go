package postgres

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
)

var placeholder = regexp.MustCompile(`\$([0-9]+)`)

// checkQuery: every argument has its placeholder, numbered 1 to n, and no
// unnumbered placeholder is left.
func checkQuery(t *testing.T, q string, args []any) {
	t.Helper()
	seen := map[int]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(q, -1) {
		n, _ := strconv.Atoi(m[1])
		seen[n] = true
	}
	for n := 1; n <= len(args); n++ {
		if !seen[n] {
			t.Errorf("argument %d has no placeholder in %s", n, q)
		}
	}
	if len(seen) != len(args) || strings.Contains(q, "?") {
		t.Errorf("query %s has %d placeholders for %d arguments", q, len(seen), len(args))
	}
}

func TestBuildListPlaceholders(t *testing.T) {
	for _, f := range listSeeds {
		q, args, _, err := buildList(f)
		if err != nil {
			t.Fatalf("buildList(%+v): %v", f, err)
		}
		checkQuery(t, q, args)
	}
}

var listSeeds = []store.Filter{
	{Owner: "o"},
	{AllOwners: true, Tunnel: "t", Method: "GET", StatusClass: 2, Outcome: store.OutcomeOffline, Text: "a?b",
		Verified: store.VerifiedOK, ReplayOnly: true, Missed: true, Oldest: true, Limit: 5,
		Cursor: store.Cursor{Seq: 9, Oldest: true}.String()},
	{Owner: "o", Text: "%_\\", Cursor: store.Cursor{Seq: 3}.String(), Verified: store.VerifiedFailed},
}

// FuzzBuildList: any filter is refused with ErrInvalid or becomes a query
// whose placeholders match its arguments.
func FuzzBuildList(f *testing.F) {
	for _, s := range listSeeds {
		f.Add(s.Owner, s.Tunnel, s.Method, s.Text, s.Cursor, string(s.Outcome), s.Verified, s.Limit, s.StatusClass, s.Oldest, s.Missed)
	}
	f.Fuzz(func(t *testing.T, owner, tunnel, method, text, cursor, outcome, verified string, limit, class int, oldest, missed bool) {
		flt := store.Filter{Owner: owner, Tunnel: tunnel, Method: method, Text: text, Cursor: cursor,
			Outcome: store.Outcome(outcome), Verified: verified, Limit: limit, StatusClass: class,
			Oldest: oldest, Missed: missed}
		q, args, n, err := buildList(flt)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("buildList(%+v) = %v, want ErrInvalid", flt, err)
			}
			return
		}
		if n < 1 || n > store.MaxLimit {
			t.Errorf("page size %d", n)
		}
		checkQuery(t, q, args)
	})
}
