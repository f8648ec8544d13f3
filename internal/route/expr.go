package route

import (
	"fmt"
	"net/textproto"
	"strings"
	"unicode/utf8"
)

// Limits on what a client may ask for; see the package doc for the reasons.
const (
	MaxRoutes    = 16      // routes per client
	MaxExprLen   = 256     // bytes per expression
	MaxJSONDepth = 16      // segments in a json path
	MaxBody      = 1 << 20 // bodies over this many bytes are not parsed: json routes do not match them
)

// Kind is what an expression looks at.
type Kind uint8

// The kinds of selector.
const (
	KindPath   Kind = iota + 1 // path=GLOB
	KindMethod                 // method=TOKEN
	KindHeader                 // header:NAME=GLOB
	KindJSON                   // json:DOTTED.PATH=GLOB
)

var kindNames = map[Kind]string{KindPath: "path", KindMethod: "method", KindHeader: "header", KindJSON: "json"}

func (k Kind) String() string { return kindNames[k] }

// Expr is one parsed route expression. The zero Expr matches nothing.
type Expr struct {
	kind   Kind
	name   string   // KindHeader: canonical header name
	path   []string // KindJSON: the path's segments, unescaped
	method string   // KindMethod
	glob   Glob     // KindPath, KindHeader, KindJSON
}

// Error is a bad expression: Expr is the offending text (cut to MaxExprLen
// bytes), Reason says what is wrong with it.
type Error struct {
	Expr   string
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("route %q: %s", e.Expr, e.Reason) }

// Parse parses one expression (grammar in the package doc).
func Parse(s string) (Expr, error) {
	e, reason := parse(s)
	if reason != "" {
		return Expr{}, &Error{Expr: cut(s), Reason: reason}
	}
	return e, nil
}

func cut(s string) string {
	if len(s) <= MaxExprLen {
		return s
	}
	return strings.ToValidUTF8(s[:MaxExprLen], "") + "..."
}

func parse(s string) (Expr, string) {
	if r := checkText(s); r != "" {
		return Expr{}, r
	}
	sel, value, ok := splitSelector(s)
	if !ok {
		return Expr{}, `want SELECTOR=VALUE (path=, method=, header:NAME= or json:PATH=)`
	}
	if value == "" {
		return Expr{}, "empty value"
	}
	e, r := parseSelector(sel)
	if r != "" {
		return Expr{}, r
	}
	return e.withValue(value)
}

func checkText(s string) string {
	switch {
	case len(s) > MaxExprLen:
		return fmt.Sprintf("longer than %d bytes", MaxExprLen)
	case !utf8.ValidString(s):
		return "not UTF-8"
	case strings.IndexFunc(s, isControl) >= 0:
		return "control character"
	}
	return ""
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// splitSelector cuts at the first "=" not escaped by a backslash (escapes
// mean something only in a json path; elsewhere the selector check refuses
// the backslash).
func splitSelector(s string) (sel, value string, ok bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '=':
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}

func parseSelector(sel string) (Expr, string) {
	switch {
	case sel == "path":
		return Expr{kind: KindPath}, ""
	case sel == "method":
		return Expr{kind: KindMethod}, ""
	case strings.HasPrefix(sel, "header:"):
		name := sel[len("header:"):]
		if !isToken(name) {
			return Expr{}, fmt.Sprintf("header name %q is not an HTTP token", name)
		}
		return Expr{kind: KindHeader, name: textproto.CanonicalMIMEHeaderKey(name)}, ""
	case strings.HasPrefix(sel, "json:"):
		path, r := parseJSONPath(sel[len("json:"):])
		return Expr{kind: KindJSON, path: path}, r
	}
	return Expr{}, fmt.Sprintf("unknown selector %q: want path, method, header:NAME or json:PATH", sel)
}

func (e Expr) withValue(value string) (Expr, string) {
	switch e.kind {
	case KindMethod:
		if !isToken(value) {
			return Expr{}, fmt.Sprintf("method %q is not an HTTP token", value)
		}
		e.method = value
		return e, ""
	case KindPath:
		if value[0] != '/' && value[0] != '*' {
			return Expr{}, fmt.Sprintf("path %q: want a glob starting with / or *", value)
		}
	}
	g, err := ParseGlob(value)
	if err != nil {
		return Expr{}, err.Error()
	}
	e.glob = g
	return e, ""
}

// parseJSONPath splits a dotted path; "\." "\=" and "\\" stand for those
// characters inside a segment.
func parseJSONPath(p string) ([]string, string) {
	var segs []string
	var b strings.Builder
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' {
			if b.Len() == 0 {
				return nil, fmt.Sprintf("json path %q: empty segment", p)
			}
			segs = append(segs, b.String())
			b.Reset()
			continue
		}
		if p[i] == '\\' {
			if i+1 == len(p) || !isPathSpecial(p[i+1]) {
				return nil, fmt.Sprintf(`json path %q: escape only \., \= or \\`, p)
			}
			i++
		}
		b.WriteByte(p[i])
	}
	if len(segs) > MaxJSONDepth {
		return nil, fmt.Sprintf("json path %q: deeper than %d segments", p, MaxJSONDepth)
	}
	return segs, ""
}

func isPathSpecial(c byte) bool { return c == '.' || c == '=' || c == '\\' }

// isToken reports whether s is an HTTP token (RFC 9110 tchar).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || !isTchar(c) {
			return false
		}
	}
	return true
}

func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// Kind returns what the expression looks at.
func (e Expr) Kind() Kind { return e.kind }

// String renders the expression in canonical form: header names
// canonicalised, runs of stars as one; Parse of it gives the same Expr.
func (e Expr) String() string {
	switch e.kind {
	case KindMethod:
		return "method=" + e.method
	case KindPath:
		return "path=" + e.glob.String()
	case KindHeader:
		return "header:" + e.name + "=" + e.glob.String()
	case KindJSON:
		return "json:" + formatJSONPath(e.path) + "=" + e.glob.String()
	}
	return ""
}

func formatJSONPath(segs []string) string {
	var b strings.Builder
	for i, s := range segs {
		if i > 0 {
			b.WriteByte('.')
		}
		for j := 0; j < len(s); j++ {
			if isPathSpecial(s[j]) {
				b.WriteByte('\\')
			}
			b.WriteByte(s[j])
		}
	}
	return b.String()
}

// Routes are one client's expressions; a delivery matches when any one does.
// An empty Routes is a client without routes (see Select).
type Routes []Expr

// ParseRoutes parses a client's --route values: at most MaxRoutes, no two
// the same (compared in canonical form).
func ParseRoutes(exprs []string) (Routes, error) {
	if len(exprs) > MaxRoutes {
		return nil, fmt.Errorf("parse routes: %d routes, at most %d per client", len(exprs), MaxRoutes)
	}
	rs := make(Routes, 0, len(exprs))
	seen := make(map[string]bool, len(exprs))
	for _, s := range exprs {
		e, err := Parse(s)
		if err != nil {
			return nil, fmt.Errorf("parse routes: %w", err)
		}
		c := e.String()
		if seen[c] {
			return nil, fmt.Errorf("parse routes: %w", &Error{Expr: cut(s), Reason: "given twice"})
		}
		seen[c] = true
		rs = append(rs, e)
	}
	return rs, nil
}

// Strings renders the routes in canonical form, for display and the wire.
func (rs Routes) Strings() []string {
	out := make([]string, len(rs))
	for i, e := range rs {
		out[i] = e.String()
	}
	return out
}
