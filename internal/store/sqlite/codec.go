package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// A header list is encoded as a version byte, then for each header in
// order uvarint(len(name)), name, uvarint(len(value)), value; an empty list
// as nothing. It ends the BLOB of each half of a record (see halves.go).
// Bytes are kept exactly, whatever their encoding.
const headersV1 byte = 1

// errBadHeaders reports a header BLOB this package did not write.
var errBadHeaders = errors.New("malformed header blob")

// encodeHeaders returns the stored form of hs, nil when hs is empty.
func encodeHeaders(hs []store.Header) []byte {
	if len(hs) == 0 {
		return nil
	}
	n := 1
	for _, h := range hs {
		n += 2*binary.MaxVarintLen64 + len(h.Name) + len(h.Value)
	}
	b := make([]byte, 1, n)
	b[0] = headersV1
	for _, h := range hs {
		b = binary.AppendUvarint(b, uint64(len(h.Name)))
		b = append(b, h.Name...)
		b = binary.AppendUvarint(b, uint64(len(h.Value)))
		b = append(b, h.Value...)
	}
	return b
}

// decodeHeaders parses the stored form; nil or empty input is no headers.
func decodeHeaders(b []byte) ([]store.Header, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if b[0] != headersV1 {
		return nil, fmt.Errorf("%w: version %d", errBadHeaders, b[0])
	}
	var hs []store.Header
	for rest := b[1:]; len(rest) > 0; {
		var h store.Header
		var err error
		if h.Name, rest, err = cutField(rest); err != nil {
			return nil, err
		}
		if h.Value, rest, err = cutField(rest); err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	return hs, nil
}

// cutField splits one length-prefixed string off the front of b.
func cutField(b []byte) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return "", nil, fmt.Errorf("%w: bad length", errBadHeaders)
	}
	b = b[k:]
	if n > uint64(len(b)) {
		return "", nil, fmt.Errorf("%w: length %d exceeds data", errBadHeaders, n)
	}
	return string(b[:n]), b[n:], nil
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// toNanos converts t to Unix nanoseconds, clamping times beyond the int64
// range (years before 1678 or after 2262) to its ends.
func toNanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// fromNanos is the inverse of toNanos, in UTC.
func fromNanos(n int64) time.Time {
	return time.Unix(0, n).UTC()
}

// orNow returns t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// boolInt stores a bool as 0 or 1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
