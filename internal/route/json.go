package route

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// maxNesting is the deepest nesting of objects and arrays decoded (as in
// encoding/json); a deeper body is not JSON to routes.
const maxNesting = 10000

// node is one JSON value of a decoded body, in a flat pre-order list: the
// values of a container follow it, and end is the index just past its last
// descendant, so siblings are found by skipping.
type node struct {
	kind   byte  // '{', '[', '"', '0' (number), 't', 'f', 'n'
	esc    bool  // a string that must be unescaped (escapes, or bytes that are not UTF-8)
	keyEsc bool  // the same for the member's key
	end    int32 // index in the list past this value's subtree
	lo, hi int32 // the value's text: a string's bytes inside its quotes, a literal's bytes
	kLo    int32 // the member's key inside its quotes (object members only)
	kHi    int32
}

// tree is a body decoded once: the node list and the bytes it points into.
type tree struct {
	src   []byte
	nodes []node
}

// parseJSON decodes one JSON document (RFC 8259, with surrounding white
// space) into a flat tree; ok is false for anything else.
func parseJSON(src []byte) (t tree, ok bool) {
	p := parser{src: src, nodes: make([]node, 0, len(src)/12+8)}
	if !p.value(0, -1, -1, false) {
		return tree{}, false
	}
	p.ws()
	return tree{src: src, nodes: p.nodes}, p.i == len(src)
}

type parser struct {
	src   []byte
	i     int
	nodes []node
}

func (p *parser) ws() {
	for p.i < len(p.src) {
		switch p.src[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value parses one value at p.i, recording it with its member key if any.
func (p *parser) value(depth int, kLo, kHi int32, kEsc bool) bool {
	p.ws()
	if p.i == len(p.src) {
		return false
	}
	at := len(p.nodes)
	p.nodes = append(p.nodes, node{kind: p.src[p.i], kLo: kLo, kHi: kHi, keyEsc: kEsc, lo: int32(p.i)})
	var ok bool
	switch c := p.src[p.i]; {
	case c == '{' || c == '[':
		ok = depth < maxNesting && p.container(depth+1, c)
	case c == '"':
		lo := p.i + 1
		ok = p.str()
		p.nodes[at].lo, p.nodes[at].hi = int32(lo), int32(p.i-1)
		p.nodes[at].esc = ok && needsUnescape(p.src[lo:p.i-1])
	case c == '-' || '0' <= c && c <= '9':
		p.nodes[at].kind, ok = '0', p.number()
	default:
		ok = p.literal()
	}
	if p.nodes[at].kind != '"' {
		p.nodes[at].hi = int32(p.i)
	}
	p.nodes[at].end = int32(len(p.nodes))
	return ok
}

func (p *parser) container(depth int, open byte) bool {
	p.i++
	p.ws()
	closer := byte(']')
	if open == '{' {
		closer = '}'
	}
	if p.i < len(p.src) && p.src[p.i] == closer {
		p.i++
		return true
	}
	for {
		if !p.member(depth, open == '{') {
			return false
		}
		p.ws()
		if p.i == len(p.src) {
			return false
		}
		c := p.src[p.i]
		p.i++
		if c == closer {
			return true
		}
		if c != ',' {
			return false
		}
	}
}

// member parses an array element, or an object's "key": value.
func (p *parser) member(depth int, keyed bool) bool {
	if !keyed {
		return p.value(depth, -1, -1, false)
	}
	p.ws()
	if p.i == len(p.src) || p.src[p.i] != '"' {
		return false
	}
	kLo := p.i + 1
	if !p.str() {
		return false
	}
	kHi := p.i - 1
	p.ws()
	if p.i == len(p.src) || p.src[p.i] != ':' {
		return false
	}
	p.i++
	return p.value(depth, int32(kLo), int32(kHi), needsUnescape(p.src[kLo:kHi]))
}

// str scans a string from its opening quote to past its closing one.
func (p *parser) str() bool {
	for p.i++; p.i < len(p.src); p.i++ {
		switch c := p.src[p.i]; {
		case c == '"':
			p.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if !p.escape() {
				return false
			}
		}
	}
	return false
}

// escape checks the escape at p.i and leaves p.i on its last byte.
func (p *parser) escape() bool {
	p.i++
	if p.i == len(p.src) {
		return false
	}
	switch p.src[p.i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		if p.i+4 >= len(p.src) {
			return false
		}
		for _, h := range p.src[p.i+1 : p.i+5] {
			if !isHexDigit(h) {
				return false
			}
		}
		p.i += 4
		return true
	}
	return false
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() bool {
	p.skip('-')
	if p.skip('0') {
		// a leading zero stands alone
	} else if !p.digits() {
		return false
	}
	if p.skip('.') && !p.digits() {
		return false
	}
	if p.skip('e') || p.skip('E') {
		if !p.skip('+') {
			p.skip('-')
		}
		return p.digits()
	}
	return true
}

func (p *parser) skip(c byte) bool {
	if p.i < len(p.src) && p.src[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) digits() bool {
	start := p.i
	for p.i < len(p.src) && '0' <= p.src[p.i] && p.src[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

func (p *parser) literal() bool {
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(p.src)-p.i >= len(lit) && string(p.src[p.i:p.i+len(lit)]) == lit {
			p.i += len(lit)
			return true
		}
	}
	return false
}

// needsUnescape reports whether a string's raw bytes differ from its value.
func needsUnescape(raw []byte) bool {
	for _, c := range raw {
		if c == '\\' || c >= utf8.RuneSelf {
			return c == '\\' || !utf8.Valid(raw)
		}
	}
	return false
}

// unescape decodes a string the way encoding/json does (surrogate pairs,
// U+FFFD for bytes that are not UTF-8 and for lone surrogates); rare, so it
// may allocate.
func (t *tree) unescape(lo, hi int32) string {
	var s string
	if json.Unmarshal(t.src[lo-1:hi+1], &s) != nil {
		return ""
	}
	return s
}

// lookup walks path from the root and returns the scalar's text.
func (t *tree) lookup(path []string) (string, bool) {
	at := int32(0)
	for _, seg := range path {
		var ok bool
		if at, ok = t.child(at, seg); !ok {
			return "", false
		}
	}
	n := &t.nodes[at]
	switch {
	case n.kind == '{' || n.kind == '[':
		return "", false
	case n.kind == '"' && n.esc:
		return t.unescape(n.lo, n.hi), true
	}
	return string(t.src[n.lo:n.hi]), true
}

// child finds a member by key (the last of repeated keys) or an element by
// index.
func (t *tree) child(at int32, seg string) (int32, bool) {
	switch t.nodes[at].kind {
	case '{':
		return t.member(at, seg)
	case '[':
		if i, ok := arrayIndex(seg); ok {
			return t.element(at, i)
		}
	}
	return 0, false
}

func (t *tree) member(at int32, key string) (int32, bool) {
	found := int32(-1)
	for c := at + 1; c < t.nodes[at].end; c = t.nodes[c].end {
		if t.keyIs(&t.nodes[c], key) {
			found = c
		}
	}
	return found, found >= 0
}

func (t *tree) element(at int32, i int) (int32, bool) {
	for c := at + 1; c < t.nodes[at].end; c = t.nodes[c].end {
		if i == 0 {
			return c, true
		}
		i--
	}
	return 0, false
}

func (t *tree) keyIs(n *node, seg string) bool {
	if n.keyEsc {
		return t.unescape(n.kLo, n.kHi) == seg
	}
	return string(t.src[n.kLo:n.kHi]) == seg
}

// arrayIndex reads a segment of decimal digits with no leading zero.
func arrayIndex(seg string) (int, bool) {
	if seg == "" || (seg[0] == '0' && len(seg) > 1) || seg[0] == '+' || seg[0] == '-' {
		return 0, false
	}
	i, err := strconv.Atoi(seg)
	return i, err == nil && i >= 0
}
