package targets

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParse: never panics; a parsed set renders to arguments that parse to
// the same set; Pick agrees with a scan of every target.
func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add(strings.Join(c.args, "\n"), "/webhooks/leads/1")
	}
	for _, c := range parseErrors {
		if len(c.args) > 0 && len(c.args) < 8 {
			f.Add(strings.Join(c.args, "\n"), "/a")
		}
	}
	f.Fuzz(func(t *testing.T, joined, path string) {
		s, err := Parse(strings.Split(joined, "\n"))
		if err != nil {
			return
		}
		again, err := Parse(s.Args())
		if err != nil || !slices.Equal(again.Args(), s.Args()) {
			t.Fatalf("Args %q parse back to %v (%v)", s.Args(), again, err)
		}
		got, err := s.Pick(path)
		want, ok := slowPick(s.Targets(), path)
		if ok != (err == nil) || (ok && got.Prefix != want.Prefix) || (!ok && !errors.Is(err, ErrNoTarget)) {
			t.Fatalf("Pick(%q) = %q, %v; a scan says %q, %v", path, got.Prefix, err, want.Prefix, ok)
		}
	})
}

// slowPick is the reference: every target whose prefix equals the path's
// first segments, longest wins.
func slowPick(ts []Target, target string) (Target, bool) {
	path, _, _ := strings.Cut(target, "?")
	segs := strings.Split(path, "/")
	var best Target
	found := false
	for _, t := range ts {
		n := strings.Count(t.Prefix, "/")
		cover := t.Prefix == "/" || (len(segs) > n && strings.Join(segs[:n+1], "/") == t.Prefix)
		if cover && (!found || len(t.Prefix) > len(best.Prefix)) {
			best, found = t, true
		}
	}
	return best, found
}
