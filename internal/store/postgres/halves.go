package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// The fields of a record that no query filters on are packed into two bytea
// values, one per half of the record (records.request, and records.response
// or responses.response), so that recording a delivery binds few parameters
// and a row stays small. Bytes are kept exactly, whatever their encoding.
//
// The request half is a version byte, then host, raw query, protocol and
// remote address as strings, the body size as a varint, its digest as a
// string, a truncated flag and the headers.
//
// The response half is a version byte, then the error code as a string, the
// body size as a varint, its digest as a string, a truncated flag, the
// duration and the attempts as varints, duplicate and resigned flags, a flag
// for a verification followed, when set, by its provider as a string, an OK
// flag and its reason as a string, then the headers.
//
// Headers are a uvarint count, then each name and value as a string. A
// string is a uvarint length and its bytes; a varint is a zigzag varint; a
// flag is one byte, 0 or 1.
const halfV1 byte = 1

// errBadHalf reports a half this package did not write.
var errBadHalf = errors.New("malformed record half")

// encodeRequest packs the request half of r.
func encodeRequest(r *store.Record) []byte {
	var w halfWriter
	w.b = make([]byte, 0, 64+len(r.Host)+len(r.RawQuery)+len(r.Body.SHA256)+headersLen(r.Headers))
	w.b = append(w.b, halfV1)
	w.strings(r.Host, r.RawQuery, r.Proto, r.RemoteAddr)
	w.varint(r.Body.Size)
	w.strings(r.Body.SHA256)
	w.flags(r.Body.Truncated)
	w.headers(r.Headers)
	return w.b
}

// decodeRequest unpacks a request half into r.
func decodeRequest(b []byte, r *store.Record) error {
	d, err := newHalfReader(b)
	if err != nil {
		return err
	}
	r.Host, r.RawQuery, r.Proto, r.RemoteAddr = d.string(), d.string(), d.string(), d.string()
	r.Body.Size, r.Body.SHA256, r.Body.Truncated = d.varint(), d.string(), d.flag()
	r.Headers = d.headers()
	return d.end()
}

// encodeResponse packs the response half of r.
func encodeResponse(r *store.Record) []byte {
	var w halfWriter
	w.b = make([]byte, 0, 64+len(r.ErrorCode)+len(r.RespBody.SHA256)+headersLen(r.RespHeaders))
	w.b = append(w.b, halfV1)
	w.strings(r.ErrorCode)
	w.varint(r.RespBody.Size)
	w.strings(r.RespBody.SHA256)
	w.flags(r.RespBody.Truncated)
	w.varint(int64(r.Duration))
	w.varint(int64(r.Attempts))
	w.flags(r.Duplicate, r.Resigned, r.Verification != nil)
	if v := r.Verification; v != nil {
		w.strings(v.Provider)
		w.flags(v.OK)
		w.strings(v.Reason)
	}
	w.headers(r.RespHeaders)
	return w.b
}

// decodeResponse unpacks a response half into r.
func decodeResponse(b []byte, r *store.Record) error {
	d, err := newHalfReader(b)
	if err != nil {
		return err
	}
	r.ErrorCode = d.string()
	r.RespBody.Size, r.RespBody.SHA256, r.RespBody.Truncated = d.varint(), d.string(), d.flag()
	r.Duration, r.Attempts = time.Duration(d.varint()), int(d.varint())
	r.Duplicate, r.Resigned = d.flag(), d.flag()
	r.Verification = nil
	if d.flag() {
		r.Verification = &store.Verification{Provider: d.string(), OK: d.flag(), Reason: d.string()}
	}
	r.RespHeaders = d.headers()
	return d.end()
}

// verifiedColumn is the value of the verified column the Verified filter
// reads: NULL without a verification, else whether it passed.
func verifiedColumn(v *store.Verification) *bool {
	if v == nil {
		return nil
	}
	return &v.OK
}

func headersLen(hs []store.Header) int {
	n := 0
	for _, h := range hs {
		n += 2*binary.MaxVarintLen64 + len(h.Name) + len(h.Value)
	}
	return n
}

// halfWriter appends the fields of a half in order.
type halfWriter struct{ b []byte }

func (w *halfWriter) strings(ss ...string) {
	for _, s := range ss {
		w.b = binary.AppendUvarint(w.b, uint64(len(s)))
		w.b = append(w.b, s...)
	}
}

func (w *halfWriter) varint(v int64) { w.b = binary.AppendVarint(w.b, v) }

func (w *halfWriter) flags(fs ...bool) {
	for _, f := range fs {
		if f {
			w.b = append(w.b, 1)
		} else {
			w.b = append(w.b, 0)
		}
	}
}

func (w *halfWriter) headers(hs []store.Header) {
	w.b = binary.AppendUvarint(w.b, uint64(len(hs)))
	for _, h := range hs {
		w.strings(h.Name, h.Value)
	}
}

// halfReader reads the fields of a half in order. The first failure sticks:
// later reads return zero values.
type halfReader struct {
	b   []byte
	err error
}

func newHalfReader(b []byte) (*halfReader, error) {
	if len(b) == 0 || b[0] != halfV1 {
		return nil, fmt.Errorf("%w: no version %d header", errBadHalf, halfV1)
	}
	return &halfReader{b: b[1:]}, nil
}

func (d *halfReader) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", errBadHalf, what)
	}
	d.b = nil
}

func (d *halfReader) uvarint(what string) uint64 {
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *halfReader) string() string {
	n := d.uvarint("string length")
	if n > uint64(len(d.b)) {
		d.fail("string")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *halfReader) varint() int64 {
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.fail("number")
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *halfReader) flag() bool {
	if len(d.b) == 0 || d.b[0] > 1 {
		d.fail("flag")
		return false
	}
	f := d.b[0] == 1
	d.b = d.b[1:]
	return f
}

// headers reads a header list; each header takes at least two bytes, which
// bounds the count before anything is allocated.
func (d *halfReader) headers() []store.Header {
	n := d.uvarint("header count")
	if n > uint64(len(d.b))/2 {
		d.fail("header count")
		return nil
	}
	if n == 0 {
		return nil
	}
	hs := make([]store.Header, n)
	for i := range hs {
		hs[i] = store.Header{Name: d.string(), Value: d.string()}
	}
	if d.err != nil {
		return nil
	}
	return hs
}

// end reports the first failure, or trailing bytes.
func (d *halfReader) end() error {
	if d.err == nil && len(d.b) > 0 {
		d.fail("trailing bytes")
	}
	return d.err
}
