package store

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// Cursor is the decoded form of Filter.Cursor and Page.Next: the Seq of the
// last record returned and the direction of the listing. Clients treat the
// encoded form as opaque.
type Cursor struct {
	// Seq is the last Seq already returned; the next page starts after it.
	Seq int64
	// Oldest is the listing direction the cursor belongs to.
	Oldest bool
}

// Cursor flag bytes. The byte doubles as a format version.
const (
	cursorNewest byte = 0x01
	cursorOldest byte = 0x02
	cursorRawLen      = 9 // flag byte + 8-byte big-endian Seq
)

// String encodes c as 12 URL-safe base64 characters.
func (c Cursor) String() string {
	var b [cursorRawLen]byte
	b[0] = cursorNewest
	if c.Oldest {
		b[0] = cursorOldest
	}
	binary.BigEndian.PutUint64(b[1:], uint64(c.Seq))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ParseCursor decodes a cursor made by Cursor.String. Anything else,
// including a non-positive Seq, is an error wrapping ErrInvalid.
func ParseCursor(s string) (Cursor, error) {
	if len(s) != base64.RawURLEncoding.EncodedLen(cursorRawLen) {
		return Cursor{}, fmt.Errorf("%w: cursor has wrong length", ErrInvalid)
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != cursorRawLen { // the decoder skips CR and LF
		return Cursor{}, fmt.Errorf("%w: cursor is not base64", ErrInvalid)
	}
	if b[0] != cursorNewest && b[0] != cursorOldest {
		return Cursor{}, fmt.Errorf("%w: unknown cursor format", ErrInvalid)
	}
	seq := int64(binary.BigEndian.Uint64(b[1:]))
	if seq <= 0 {
		return Cursor{}, fmt.Errorf("%w: cursor out of range", ErrInvalid)
	}
	return Cursor{Seq: seq, Oldest: b[0] == cursorOldest}, nil
}
