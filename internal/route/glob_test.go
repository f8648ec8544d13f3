package route

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var globCases = []struct {
	pattern, subject string
	want             bool
}{
	{"", "", true},
	{"", "a", false},
	{"abc", "abc", true},
	{"abc", "abcd", false},
	{"*", "", true},
	{"*", "/any/thing", true},
	{"**", "x", true},
	{"/webhooks/*", "/webhooks/a/b", true},
	{"/webhooks/*", "/webhooks", false},
	{"/webhooks*", "/webhooksx", true},
	{"*.completed", "checkout.session.completed", true},
	{"*.completed", "checkout.session.completed.x", false},
	{"a*b*c", "abc", true},
	{"a*b*c", "aXbYbZc", true},
	{"a*b*c", "acb", false},
	{"a*a", "a", false},
	{"a*a", "aa", true},
	{"?", "", false},
	{"?", "é", true},
	{"??", "é", false},
	{"?", "\xff", true},
	{"a?c", "abc", true},
	{"a?c", "ac", false},
	{"*?", "", false},
	{"*?", "x", true},
	{"*a?c*", "xxabcxx", true},
	{"*a?c*", "xxacxx", false},
	{"*?c", "éc", true},
	{"*?c", "c", false},
	{"evt_*_??", "evt_1_ab", true},
	{`\*`, "*", true},
	{`\*`, "x", false},
	{`a\?`, "a?", true},
	{`a\?`, "ab", false},
	{`\\`, `\`, true},
	{"*\uFFFD", "x\uFFFD", true},
	{"*?", "\xe2\x82", true},
	{"*??", "\xe2\x82", true},
	{"*a?b*", "xxaéb", true},
	{"*a?b*", "xxa\xffb", true},
	{"*a?b*", "a\uFFFDb", true},
	{"*\uFFFD?*", "\xff\xff", false},
	{"*\uFFFD?*", "\uFFFDx", true},
	{"*é?*", "aééa", true},
	{"*a?a?a*", "aaaxaxa", true},
	{"x*??*y", "xéy", false},
	{"x*??*y", "xééy", true},
	{"*???", "\xe2\x82", false},
}

func TestGlobMatch(t *testing.T) {
	for _, c := range globCases {
		g, err := ParseGlob(c.pattern)
		if err != nil {
			t.Fatalf("ParseGlob(%q): %v", c.pattern, err)
		}
		if got := g.Match(c.subject); got != c.want {
			t.Errorf("%q.Match(%q) = %v, want %v", c.pattern, c.subject, got, c.want)
		}
		if ref := refMatch(c.pattern, c.subject); ref != c.want {
			t.Errorf("reference %q on %q = %v, want %v", c.pattern, c.subject, ref, c.want)
		}
	}
}

func TestParseGlobErrors(t *testing.T) {
	long := "*" + strings.Repeat("a", 32) + "?" + strings.Repeat("é", 32) + "*"
	if _, err := ParseGlob(long[1:]); err != nil { // anchored: compared in place, no limit
		t.Errorf("ParseGlob(%q): %v", long[1:], err)
	}
	if _, err := ParseGlob(strings.Repeat("?", 64) + "*" + strings.Repeat("?", 64) + "*"); err != nil {
		t.Errorf("64 ? between stars: %v", err)
	}
	for _, p := range []string{`\`, `a\`, `\a`, `*\x*`, long, "x*" + strings.Repeat("?", 65) + "*x"} {
		if _, err := ParseGlob(p); err == nil || !strings.Contains(err.Error(), "bad glob") {
			t.Errorf("ParseGlob(%q) = %v, want a bad glob error", p, err)
		}
	}
}

func TestGlobCanonical(t *testing.T) {
	for p, want := range map[string]string{"a**b": "a*b", "***": "*", `\*\?\\`: `\*\?\\`, "?*?": "?*?", "*?*": "*?*"} {
		g, _ := ParseGlob(p)
		if got := g.String(); got != want {
			t.Errorf("ParseGlob(%q).String() = %q, want %q", p, got, want)
		}
	}
}

// A value the sender picked cannot make matching slow: a pattern that fails
// late on every start position still ends in time linear in the value.
func TestGlobLongValue(t *testing.T) {
	g, _ := ParseGlob("*" + strings.Repeat("a", 100) + "b*")
	if g.Match(strings.Repeat("a", MaxBody)) {
		t.Fatal("matched a value without b")
	}
	g, _ = ParseGlob("*a*a*a*a*a*a*a*a*a*a*b")
	if g.Match(strings.Repeat("a", MaxBody)) {
		t.Fatal("matched a value without b")
	}
	g, _ = ParseGlob("*" + strings.Repeat("a", 31) + "?" + strings.Repeat("a", 31) + "b*")
	if g.Match(strings.Repeat("a", MaxBody)) {
		t.Fatal("matched a value without b")
	}
}

// refMatch is the obvious recursive matcher over characters, the reference
// Glob.Match must agree with (small inputs only: it is exponential).
func refMatch(p, s string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '*':
		for i := 0; ; {
			if refMatch(p[1:], s[i:]) {
				return true
			}
			if i == len(s) {
				return false
			}
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
	case '?':
		if s == "" {
			return false
		}
		_, w := utf8.DecodeRuneInString(s)
		return refMatch(p[1:], s[w:])
	case '\\':
		p = p[1:]
	}
	return s != "" && s[0] == p[0] && refMatch(p[1:], s[1:])
}
