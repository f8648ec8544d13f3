package route

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse: never panics; what parses renders to a canonical text that
// parses to the same Expr and renders the same again.
func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add(c.in)
	}
	for _, c := range parseErrors {
		f.Add(c.in)
	}
	for _, c := range matchCases {
		f.Add(c.expr)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "route ") {
				t.Fatalf("Parse(%q): error %q does not name the route", s, err)
			}
			return
		}
		c := e.String()
		again, err := Parse(c)
		if err != nil || !reflect.DeepEqual(again, e) || again.String() != c {
			t.Fatalf("Parse(%q) = %q, which parses to %q (%v)", s, c, again.String(), err)
		}
	})
}

// FuzzGlob: Glob.Match agrees with the recursive reference on small inputs,
// and a pattern round-trips through its canonical form.
func FuzzGlob(f *testing.F) {
	for _, c := range globCases {
		f.Add(c.pattern, c.subject)
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		g, err := ParseGlob(p)
		if err != nil {
			return
		}
		if again, err := ParseGlob(g.String()); err != nil || !reflect.DeepEqual(again, g) {
			t.Fatalf("ParseGlob(%q).String() = %q does not parse back (%v)", p, g.String(), err)
		}
		if len(p) > 16 || len(s) > 32 || strings.Count(p, "*") > 4 {
			g.Match(s) // no panic; the reference is too slow here
			return
		}
		if got, want := g.Match(s), refMatch(p, s); got != want {
			t.Fatalf("%q.Match(%q) = %v, reference says %v", p, s, got, want)
		}
	})
}

// FuzzMatch: matching any parsed route against any body and path never
// panics, gives the same answer with the body decoded or already decoded, and
// a json route answers as encoding/json's view of the body says.
func FuzzMatch(f *testing.F) {
	for _, c := range matchCases {
		f.Add(c.expr, "/webhooks/stripe/events", sampleBody)
	}
	f.Add("json:a.0.b=*", "/", `{"a":[{"b":null}]}`)
	f.Add("json:a=1", "/", `{"a":1e400}`)
	f.Fuzz(func(t *testing.T, expr, path, body string) {
		e, err := Parse(expr)
		if err != nil {
			return
		}
		d := NewDelivery("POST", path, http.Header{"X-A": {body}}, []byte(body))
		first := e.Match(d)
		if again := e.Match(d); again != first {
			t.Fatalf("%q: %v then %v on the same delivery", expr, first, again)
		}
		if e.Kind() == KindJSON {
			valid, text, found := refLookup([]byte(body), e.path)
			if want := valid && found && len(body) <= MaxBody && e.glob.Match(text); first != want {
				t.Fatalf("%q on %.80q = %v, encoding/json's value %q says %v", expr, body, first, text, want)
			}
		}
	})
}
