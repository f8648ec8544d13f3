package route

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Glob is a compiled value pattern: "*" matches any run of characters (none
// included, "/" included), "?" exactly one character, and "\*", "\?", "\\"
// stand for those characters themselves. A character is one UTF-8 encoded
// code point; a byte that does not start a valid encoding counts as one.
// Consecutive stars are one star. The zero Glob matches only "".
type Glob struct {
	segs  []segment // the text between stars, in order (two or more when stars is set)
	stars bool      // at least one star: segs[0] is anchored at the start, the last at the end
}

// segment is literal text with single-character wildcards between its parts:
// lits[0] ? lits[1] ? ... lits[n].
type segment struct {
	lits []string
	wild *shiftAnd // set for a segment between two stars that holds a "?"
}

var errBadGlob = errors.New("bad glob")

// ParseGlob compiles a pattern; a backslash before anything but "*", "?" or "\"
// is an error, and so is a trailing one.
func ParseGlob(p string) (Glob, error) {
	var g Glob
	seg, lit := segment{}, strings.Builder{}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\\':
			if i+1 == len(p) || !isGlobSpecial(p[i+1]) {
				return Glob{}, fmt.Errorf("%w: %q at byte %d: escape only *, ? or \\", errBadGlob, p, i)
			}
			i++
			lit.WriteByte(p[i])
		case '?':
			seg.lits = append(seg.lits, lit.String())
			lit.Reset()
		case '*':
			seg.lits = append(seg.lits, lit.String())
			lit.Reset()
			if !g.stars || !seg.empty() {
				g.segs = append(g.segs, seg)
			}
			seg, g.stars = segment{}, true
		default:
			lit.WriteByte(c)
		}
	}
	seg.lits = append(seg.lits, lit.String())
	g.segs = append(g.segs, seg)
	for i := 1; i < len(g.segs)-1; i++ {
		if len(g.segs[i].lits) > 1 {
			var err error
			if g.segs[i].wild, err = newShiftAnd(g.segs[i]); err != nil {
				return Glob{}, fmt.Errorf("%w (in %q)", err, p)
			}
		}
	}
	return g, nil
}

func isGlobSpecial(c byte) bool { return c == '*' || c == '?' || c == '\\' }

func (s segment) empty() bool { return len(s.lits) == 1 && s.lits[0] == "" }

// String renders the pattern in canonical form (one star for a run of stars);
// ParseGlob of it gives the same Glob.
func (g Glob) String() string {
	var b strings.Builder
	for i, s := range g.segs {
		if i > 0 {
			b.WriteByte('*')
		}
		s.write(&b)
	}
	return b.String()
}

func (s segment) write(b *strings.Builder) {
	for i, l := range s.lits {
		if i > 0 {
			b.WriteByte('?')
		}
		for j := 0; j < len(l); j++ {
			if isGlobSpecial(l[j]) {
				b.WriteByte('\\')
			}
			b.WriteByte(l[j])
		}
	}
}

// Match reports whether the whole of s matches, in time linear in len(s):
// the first and last segments are compared in place, each one between two
// stars is found leftmost with a substring search, or with Shift-And when it
// holds a "?" (such a segment is at most 64 characters). It never recurses
// and never allocates.
func (g Glob) Match(s string) bool {
	if len(g.segs) == 0 {
		return s == ""
	}
	if !g.stars {
		end, ok := g.segs[0].matchAt(s, 0)
		return ok && end == len(s)
	}
	pos, ok := g.segs[0].matchAt(s, 0)
	if !ok {
		return false
	}
	for _, seg := range g.segs[1 : len(g.segs)-1] {
		if pos, ok = seg.find(s, pos); !ok {
			return false
		}
	}
	return g.segs[len(g.segs)-1].matchSuffix(s, pos)
}

// matchAt matches the segment at s[i:] and returns where it ends.
func (seg segment) matchAt(s string, i int) (int, bool) {
	for k, l := range seg.lits {
		if k > 0 {
			if i == len(s) {
				return 0, false
			}
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
		if !strings.HasPrefix(s[i:], l) {
			return 0, false
		}
		i += len(l)
	}
	return i, true
}

// find returns the end of the leftmost match of a segment between two stars
// in s[from:], which leaves the most room for what follows.
func (seg segment) find(s string, from int) (int, bool) {
	if seg.wild != nil {
		return seg.wild.find(s, from)
	}
	j := strings.Index(s[from:], seg.lits[0]) // a middle segment without "?" is one non-empty literal
	if j < 0 {
		return 0, false
	}
	return from + j + len(seg.lits[0]), true
}

// matchSuffix reports whether the segment matches the end of s, starting at or
// after lo.
func (seg segment) matchSuffix(s string, lo int) bool {
	end := len(s)
	for k := len(seg.lits) - 1; k >= 0; k-- {
		l := seg.lits[k]
		if end-lo < len(l) || s[end-len(l):end] != l {
			return false
		}
		end -= len(l)
		if k > 0 {
			if end <= lo {
				return false
			}
			end = lastCharStart(s, lo, end)
		}
	}
	return end >= lo
}

// lastCharStart returns where the last character of s[:end] starts, counting
// characters as forward decoding does (never before lo).
func lastCharStart(s string, lo, end int) int {
	// A valid encoding is at most 4 bytes: look back that far for a start
	// whose forward decoding ends exactly at end.
	for back := min(utf8.UTFMax, end-lo); back > 1; back-- {
		if _, w := utf8.DecodeRuneInString(s[end-back : end]); w == back {
			return end - back
		}
	}
	return end - 1
}
