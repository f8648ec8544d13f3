package route

import (
	"fmt"
	"unicode/utf8"
)

// maxWildSegment is the most characters a segment between two stars may have
// when it holds a "?": such a segment is found with one 64-bit word of
// Shift-And state, in time linear in the value.
const maxWildSegment = 64

// shiftAnd finds a segment holding "?" by bit-parallel matching: bit k of the
// state is set when the segment's first k+1 characters end at the current
// character.
type shiftAnd struct {
	accept uint64                // the bit of the segment's last character
	any    uint64                // the bits of its "?" characters
	ascii  [utf8.RuneSelf]uint64 // the bits where each ASCII character stands
	other  map[rune]uint64       // the same for the other characters
}

func newShiftAnd(seg segment) (*shiftAnd, error) {
	m := &shiftAnd{}
	k := 0
	set := func(r rune) {
		if r < utf8.RuneSelf {
			m.ascii[r] |= 1 << k
		} else {
			if m.other == nil {
				m.other = make(map[rune]uint64)
			}
			m.other[r] |= 1 << k
		}
	}
	n := len(seg.lits) - 1
	for _, lit := range seg.lits {
		n += utf8.RuneCountInString(lit)
	}
	if n > maxWildSegment {
		return nil, fmt.Errorf("%w: more than %d characters between two stars around a ?", errBadGlob, maxWildSegment)
	}
	for i, lit := range seg.lits {
		if i > 0 {
			m.any |= 1 << k
			k++
		}
		for _, r := range lit {
			set(r)
			k++
		}
	}
	m.accept = 1 << (k - 1)
	return m, nil
}

// find returns the end of the leftmost match in s[from:]. All matches have
// the same number of characters, so the first to end is the first to start.
func (m *shiftAnd) find(s string, from int) (int, bool) {
	var st uint64
	for i := from; i < len(s); {
		var mask uint64
		if c := s[i]; c < utf8.RuneSelf {
			mask = m.ascii[c]
			i++
		} else {
			r, w := utf8.DecodeRuneInString(s[i:])
			if w > 1 || r != utf8.RuneError { // a byte that is not UTF-8 is only a "?"
				mask = m.other[r]
			}
			i += w
		}
		if st = (st<<1 | 1) & (mask | m.any); st&m.accept != 0 {
			return i, true
		}
	}
	return 0, false
}
