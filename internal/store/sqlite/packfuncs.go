package sqlite

import (
	"database/sql/driver"
	"fmt"

	"modernc.org/sqlite"
)

// SQL functions that migration 0003 uses to pack the columns of the old
// records table into the request and response BLOBs (see halves.go). They
// are registered with the driver for every connection it opens; the
// hookrelay_ prefix keeps them apart from any other user of the driver.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("hookrelay_request_half", 8, packRequestHalf)
	sqlite.MustRegisterDeterministicScalarFunction("hookrelay_response_half", 11, packResponseHalf)
}

// packRequestHalf(host, raw_query, proto, remote_addr, headers, body_size,
// body_sha256, body_truncated) returns the records.request BLOB.
func packRequestHalf(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
	var v sqlValues
	h := requestHalf{host: v.text(a[0]), rawQuery: v.text(a[1]), proto: v.text(a[2]),
		remoteAddr: v.text(a[3]), headers: v.blob(a[4]), bodySize: v.integer(a[5]),
		bodySHA256: v.text(a[6]), bodyTruncated: v.integer(a[7]) != 0}
	if v.err != nil {
		return nil, fmt.Errorf("hookrelay_request_half: %w", v.err)
	}
	return h.encode(), nil
}

// packResponseHalf(error_code, resp_headers, resp_body_size,
// resp_body_sha256, resp_body_truncated, duration_ns, attempts,
// verify_provider, verify_ok, verify_reason, duplicate) returns the
// records.response BLOB. The body of such a record is in response_bodies,
// if anywhere.
func packResponseHalf(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
	var v sqlValues
	h := responseHalf{errorCode: v.text(a[0]), headers: v.blob(a[1]), bodySize: v.integer(a[2]),
		bodySHA256: v.text(a[3]), bodyTruncated: v.integer(a[4]) != 0, bodyApart: true, duration: v.integer(a[5]),
		attempts: v.integer(a[6]), verified: a[7] != nil, provider: v.text(a[7]),
		verifyOK: v.integer(a[8]) != 0, verifyReason: v.text(a[9]), duplicate: v.integer(a[10]) != 0}
	if v.err != nil {
		return nil, fmt.Errorf("hookrelay_response_half: %w", v.err)
	}
	return h.encode(), nil
}

// sqlValues converts function arguments, keeping the first type mismatch.
// NULL converts to the zero value.
type sqlValues struct{ err error }

func (v *sqlValues) text(x driver.Value) string {
	switch s := x.(type) {
	case nil:
		return ""
	case string:
		return s
	case []byte:
		return string(s)
	}
	v.fail("text", x)
	return ""
}

func (v *sqlValues) blob(x driver.Value) []byte {
	switch b := x.(type) {
	case nil:
		return nil
	case []byte:
		return b
	case string:
		return []byte(b)
	}
	v.fail("blob", x)
	return nil
}

func (v *sqlValues) integer(x driver.Value) int64 {
	switch n := x.(type) {
	case nil:
		return 0
	case int64:
		return n
	}
	v.fail("integer", x)
	return 0
}

func (v *sqlValues) fail(want string, got driver.Value) {
	if v.err == nil {
		v.err = fmt.Errorf("want %s, got %T", want, got)
	}
}
