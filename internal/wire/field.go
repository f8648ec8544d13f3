package wire

import (
	"fmt"
	"net/http"
)

// FieldError names the part of a request head that cannot be written as is.
type FieldError struct {
	Field  string // the header name, or "method", "target", "Host"
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("header %q: %s", e.Field, e.Reason) }

// CheckRequest reports the first part of a request head that would not survive being
// written on the wire byte for byte: a method or a header name that is not an RFC 9110
// token, a request target that is not origin-form or holds a space or control byte, a
// Host or header value holding CR, LF, NUL or another control byte (HTAB aside). Heads
// that net/http parsed pass; edited ones must be checked before they are forwarded, or
// a CR LF in an edit would end the head early and smuggle a second request.
func CheckRequest(method, target, host string, h http.Header) error {
	if !isToken(method) {
		return &FieldError{Field: "method", Reason: "not a token"}
	}
	if len(target) == 0 || target[0] != '/' || !visible(target) {
		return &FieldError{Field: "target", Reason: "want an origin-form path without spaces or control characters"}
	}
	if !validValue(host) {
		return &FieldError{Field: "Host", Reason: "control character in value"}
	}
	for k, vv := range h {
		if err := CheckField(k, vv...); err != nil {
			return err
		}
	}
	return nil
}

// CheckField checks one header name and its values (see CheckRequest).
func CheckField(name string, values ...string) error {
	if !isToken(name) {
		return &FieldError{Field: name, Reason: "the name must be token characters"}
	}
	for _, v := range values {
		if !validValue(v) {
			return &FieldError{Field: name, Reason: "CR, LF, NUL or another control character in the value"}
		}
	}
	return nil
}

// isToken reports whether s is an RFC 9110 token: a method or a header name.
func isToken[S ~string | ~[]byte](s S) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || !TokenChars[c] {
			return false
		}
	}
	return true
}

// validValue reports whether s holds no control byte but HTAB.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// visible reports whether s holds only visible bytes: no space, no control byte.
func visible(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// TokenChars marks the ASCII bytes allowed in an RFC 9110 token (a header name or a
// method); the checks of written heads and the codec read the same table.
var TokenChars = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
