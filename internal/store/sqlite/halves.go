package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hookrelay/hookrelay/internal/store"
)

// Bodies up to these sizes are stored in the record's row (records.body
// and records.resp_body), larger ones in request_bodies and
// response_bodies. A small body then costs no statement and no page of its
// own, and the row stays within a page (SQLite moves the part of a row
// beyond about 4 KiB to overflow pages, which an UPDATE rewrites).
const (
	inlineRequestMax  = 2048
	inlineResponseMax = 1024
)

// The fields of a record that no query filters on are stored in two BLOBs,
// one per half of the record, so that the row has few columns: inserting
// binds fewer arguments and Complete's UPDATE copies fewer columns.
//
// records.request holds, after a version byte: host, raw query, protocol
// and remote address as strings, the body size as a varint, its digest as a
// string and a truncated flag, then the headers in the encodeHeaders form up
// to the end of the BLOB.
//
// records.response holds, after a version byte: the error code as a
// string, the body size as a varint, its digest as a string, a truncated
// flag, a flag set when the body is in response_bodies (rather than in
// records.resp_body), the duration and the attempts as varints, a
// duplicate flag, a flag for a verification followed, when set, by its
// provider as a string, an OK flag and its reason as a string, then the
// headers up to the end.
//
// Version 2 of records.response adds, after the duplicate flag, a resigned
// flag (Record.Resigned). Both versions are read; the response half is
// written as version 2, the request half as version 1.
//
// A string is a uvarint length and its bytes; a varint is a zigzag varint
// (binary.AppendVarint); a flag is one byte, 0 or 1.
const (
	halfV1 byte = 1
	halfV2 byte = 2
)

// errBadHalf reports a request or response BLOB this package did not write.
var errBadHalf = errors.New("malformed record blob")

// requestHalf is the stored form of the request fields in records.request.
type requestHalf struct {
	host, rawQuery, proto, remoteAddr string
	bodySize                          int64
	bodySHA256                        string
	bodyTruncated                     bool
	headers                           []byte // encodeHeaders form
}

func requestHalfOf(r *store.Record) requestHalf {
	return requestHalf{host: r.Host, rawQuery: r.RawQuery, proto: r.Proto, remoteAddr: r.RemoteAddr,
		bodySize: r.Body.Size, bodySHA256: r.Body.SHA256, bodyTruncated: r.Body.Truncated,
		headers: encodeHeaders(r.Headers)}
}

func (h requestHalf) encode() []byte {
	b := make([]byte, 0, 1+5*binary.MaxVarintLen64+1+len(h.host)+len(h.rawQuery)+len(h.proto)+
		len(h.remoteAddr)+len(h.bodySHA256)+len(h.headers))
	b = append(b, halfV1)
	b = appendString(b, h.host)
	b = appendString(b, h.rawQuery)
	b = appendString(b, h.proto)
	b = appendString(b, h.remoteAddr)
	b = binary.AppendVarint(b, h.bodySize)
	b = appendString(b, h.bodySHA256)
	b = appendFlag(b, h.bodyTruncated)
	return append(b, h.headers...)
}

// decodeRequestHalf parses records.request into r.
func decodeRequestHalf(b []byte, r *store.Record) error {
	d, err := newHalfReader(b, halfV1)
	if err != nil {
		return err
	}
	r.Host, r.RawQuery, r.Proto, r.RemoteAddr = d.string(), d.string(), d.string(), d.string()
	r.Body.Size, r.Body.SHA256, r.Body.Truncated = d.varint(), d.string(), d.flag()
	if d.err != nil {
		return d.err
	}
	r.Headers, err = decodeHeaders(d.b)
	return err
}

// responseHalf is the stored form of the response fields in
// records.response.
type responseHalf struct {
	errorCode     string
	bodySize      int64
	bodySHA256    string
	bodyTruncated bool
	bodyApart     bool // the body is in response_bodies
	duration      int64
	attempts      int64
	duplicate     bool
	resigned      bool
	verified      bool // a verification was made; the three fields below hold it
	provider      string
	verifyOK      bool
	verifyReason  string
	headers       []byte // encodeHeaders form
}

func responseHalfOf(r *store.Record) responseHalf {
	h := responseHalf{errorCode: r.ErrorCode, bodySize: r.RespBody.Size, bodySHA256: r.RespBody.SHA256,
		bodyTruncated: r.RespBody.Truncated, bodyApart: len(r.RespBody.Data) > inlineResponseMax,
		duration: int64(r.Duration), attempts: int64(r.Attempts),
		duplicate: r.Duplicate, resigned: r.Resigned, headers: encodeHeaders(r.RespHeaders)}
	if v := r.Verification; v != nil {
		h.verified, h.provider, h.verifyOK, h.verifyReason = true, v.Provider, v.OK, v.Reason
	}
	return h
}

func (h responseHalf) encode() []byte {
	b := make([]byte, 0, 1+8*binary.MaxVarintLen64+4+len(h.errorCode)+len(h.bodySHA256)+
		len(h.provider)+len(h.verifyReason)+len(h.headers))
	b = append(b, halfV2)
	b = appendString(b, h.errorCode)
	b = binary.AppendVarint(b, h.bodySize)
	b = appendString(b, h.bodySHA256)
	b = appendFlag(b, h.bodyTruncated)
	b = appendFlag(b, h.bodyApart)
	b = binary.AppendVarint(b, h.duration)
	b = binary.AppendVarint(b, h.attempts)
	b = appendFlag(b, h.duplicate)
	b = appendFlag(b, h.resigned)
	b = appendFlag(b, h.verified)
	if h.verified {
		b = appendString(b, h.provider)
		b = appendFlag(b, h.verifyOK)
		b = appendString(b, h.verifyReason)
	}
	return append(b, h.headers...)
}

// verifiedColumn is the value of records.verified, which the Verified
// filter reads: NULL without a verification, else 1 when it passed.
func (h responseHalf) verifiedColumn() any {
	if !h.verified {
		return nil
	}
	return int64(boolInt(h.verifyOK))
}

// decodeResponseHalf parses records.response into r. apart reports that
// the body is in response_bodies.
func decodeResponseHalf(b []byte, r *store.Record) (apart bool, err error) {
	d, err := newHalfReader(b, halfV2)
	if err != nil {
		return false, err
	}
	r.ErrorCode = d.string()
	r.RespBody.Size, r.RespBody.SHA256, r.RespBody.Truncated = d.varint(), d.string(), d.flag()
	apart = d.flag()
	r.Duration, r.Attempts, r.Duplicate = time.Duration(d.varint()), int(d.varint()), d.flag()
	r.Resigned = d.version >= halfV2 && d.flag()
	r.Verification = nil
	if d.flag() {
		r.Verification = &store.Verification{Provider: d.string(), OK: d.flag(), Reason: d.string()}
	}
	if d.err != nil {
		return false, d.err
	}
	r.RespHeaders, err = decodeHeaders(d.b)
	return apart, err
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendFlag(b []byte, f bool) []byte {
	return append(b, byte(boolInt(f)))
}

// halfReader reads the fields of a record BLOB in order. The first failure
// sticks: later reads return zero values and err keeps the failure.
type halfReader struct {
	b       []byte
	version byte
	err     error
}

// newHalfReader reads a BLOB of a version from halfV1 to latest.
func newHalfReader(b []byte, latest byte) (*halfReader, error) {
	if len(b) == 0 || b[0] < halfV1 || b[0] > latest {
		return nil, fmt.Errorf("%w: no version 1 to %d header", errBadHalf, latest)
	}
	return &halfReader{b: b[1:], version: b[0]}, nil
}

func (d *halfReader) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", errBadHalf, what)
	}
	d.b = nil
}

func (d *halfReader) string() string {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.fail("string")
		return ""
	}
	s := string(d.b[k : k+int(n)])
	d.b = d.b[k+int(n):]
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
