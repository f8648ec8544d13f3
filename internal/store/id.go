package store

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

// idAlphabet is Crockford's base32 in lowercase: no i, l, o or u.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// IDLen is the length of a record ID.
const IDLen = 26

// NewID returns a fresh record ID: 26 lowercase base32 characters encoding
// the millisecond Unix time of t in the first 48 bits and 80 random bits
// after it, so IDs sort by time to the millisecond. Times before the epoch
// encode as zero.
func NewID(t time.Time) string {
	var b [16]byte
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	binary.BigEndian.PutUint64(b[:8], uint64(ms)<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+)
	return encodeID(binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]))
}

// encodeID writes the 128-bit value hi:lo as 26 base32 digits, most
// significant first; the leading digit carries the top 3 bits.
func encodeID(hi, lo uint64) string {
	var out [IDLen]byte
	for i := IDLen - 1; i >= 0; i-- {
		out[i] = idAlphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// ValidID reports whether s has the form NewID produces: 26 characters of
// the lowercase alphabet, the first no greater than '7' (128 bits fit).
func ValidID(s string) bool {
	if len(s) != IDLen || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !validIDChar(s[i]) {
			return false
		}
	}
	return true
}

func validIDChar(c byte) bool {
	switch {
	case c >= '0' && c <= '9':
		return true
	case c < 'a' || c > 'z':
		return false
	}
	return c != 'i' && c != 'l' && c != 'o' && c != 'u'
}
