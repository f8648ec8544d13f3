package route

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

var parseCases = []struct{ in, canonical string }{
	{"path=/webhooks/*", "path=/webhooks/*"},
	{"path=*/events", "path=*/events"},
	{"path=/a=b", "path=/a=b"},
	{"method=POST", "method=POST"},
	{"header:x-github-event=push", "header:X-Github-Event=push"},
	{"header:Stripe-Signature=*", "header:Stripe-Signature=*"},
	{"json:data.object.metadata.dev=carol", "json:data.object.metadata.dev=carol"},
	{"json:type=checkout.*", "json:type=checkout.*"},
	{"json:items.0.id=a**b", "json:items.0.id=a*b"},
	{`json:a\.b.c\=d=x=y`, `json:a\.b.c\=d=x=y`},
	{`json:back\\slash=\*`, `json:back\\slash=\*`},
	{"json:é=ü?", "json:é=ü?"},
}

func TestParse(t *testing.T) {
	for _, c := range parseCases {
		e, err := Parse(c.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.in, err)
		}
		if got := e.String(); got != c.canonical {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got, c.canonical)
		}
		again, err := Parse(e.String())
		if err != nil || !reflect.DeepEqual(again, e) {
			t.Errorf("Parse(%q) round trip: %v, %v", e.String(), again, err)
		}
	}
}

var parseErrors = []struct{ in, reason string }{
	{"", "want SELECTOR=VALUE"},
	{"path", "want SELECTOR=VALUE"},
	{"path=", "empty value"},
	{"header:X=", "empty value"},
	{"Path=/x", `unknown selector "Path"`},
	{"query:a=b", `unknown selector "query:a"`},
	{"=x", `unknown selector ""`},
	{"path=webhooks", "want a glob starting with / or *"},
	{"method=PO ST", "not an HTTP token"},
	{"method=*", "method"}, // "*" is a tchar: allowed, exact
	{"header:=x", "not an HTTP token"},
	{"header:X Y=x", "not an HTTP token"},
	{`header:X\Y=x`, "not an HTTP token"},
	{"json:=x", "empty segment"},
	{"json:a..b=x", "empty segment"},
	{"json:.a=x", "empty segment"},
	{"json:a.=x", "empty segment"},
	{`json:a\b=x`, "escape only"},
	{"json:" + strings.Repeat("a.", MaxJSONDepth) + "a=x", "deeper than 16"},
	{`path=/a\b`, "bad glob"},
	{`json:a=x\`, "bad glob"},
	{"path=/" + strings.Repeat("a", MaxExprLen), "longer than 256 bytes"},
	{"path=/\x00", "control character"},
	{"path=/\n", "control character"},
	{"path=/\xff", "not UTF-8"},
}

func TestParseErrors(t *testing.T) {
	for _, c := range parseErrors {
		_, err := Parse(c.in)
		if c.in == "method=*" {
			if err != nil {
				t.Errorf("Parse(%q): %v", c.in, err)
			}
			continue
		}
		var re *Error
		if !errors.As(err, &re) || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("Parse(%q) = %v, want an *Error with %q", c.in, err, c.reason)
			continue
		}
		if len(re.Expr) > MaxExprLen+3 || !strings.HasPrefix(c.in, strings.TrimSuffix(re.Expr, "...")) {
			t.Errorf("Parse(%q): error names %q, not the offending text", c.in, re.Expr)
		}
	}
}

func TestParseRoutes(t *testing.T) {
	rs, err := ParseRoutes([]string{"method=POST", "header:x-a=1"})
	if err != nil || strings.Join(rs.Strings(), " ") != "method=POST header:X-A=1" {
		t.Fatalf("ParseRoutes = %v, %v", rs.Strings(), err)
	}
	many := make([]string, MaxRoutes+1)
	for i := range many {
		many[i] = fmt.Sprintf("path=/%d", i)
	}
	if _, err := ParseRoutes(many[:MaxRoutes]); err != nil {
		t.Errorf("%d routes: %v", MaxRoutes, err)
	}
	for _, in := range [][]string{many, {"header:x-a=1", "header:X-A=1"}, {"path=/ok", "path="}} {
		if _, err := ParseRoutes(in); err == nil || !strings.HasPrefix(err.Error(), "parse routes: ") {
			t.Errorf("ParseRoutes(%q) = %v, want an error", in, err)
		}
	}
}
