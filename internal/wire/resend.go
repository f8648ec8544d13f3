package wire

import (
	"errors"
	"net"
)

// Attempt is what one try at an exchange came to: the input of MayResend.
type Attempt struct {
	N   int   // 0 for the first try
	Err error // nil: the response head was read
	// Got: something of a response came back. A peer that answered, even in part, has
	// seen the request.
	Got bool
	// Buffered: the whole request is in memory and can be written again (a streamed
	// body is gone once written).
	Buffered bool
	// Reused: the connection had carried an exchange before. A fresh one failing says
	// the peer is down, not that an idle connection went stale.
	Reused bool
	// Aborted: whoever wants the answer has gone.
	Aborted bool
	// Reached: the request may have reached the app. False when its write failed, or
	// when the peer is a tunnel client, which answers every request it has read (see
	// proto's doc), so silence on a reused stream means the request was never read.
	Reached bool
	Method  string
}

// MayResend reports whether a request whose try failed may be written again, once, on
// a new connection. It is the one rule for it, on both hops: relay-server to tunnel
// client, and relay-client to app. It may when the failure looks like a kept-alive
// connection the peer closed while it was idle (a race no check before reuse can
// close), and writing again cannot deliver the request twice: nothing came back, the
// request is in memory, the connection had served before, it was the first try, the
// answer is still wanted, the failure is not a timeout or an oversized head (a slow or
// broken peer has the request), and the request did not reach the app or its method
// is idempotent (RFC 9110 section 9.2.2): a webhook POST the app may have processed is
// never delivered twice.
func MayResend(a Attempt) bool {
	switch {
	case a.Err == nil || a.Got || !a.Buffered || !a.Reused:
		return false
	case a.N > 0 || a.Aborted || IsTimeout(a.Err) || errors.Is(a.Err, ErrHeadTooLarge):
		return false
	}
	return !a.Reached || Idempotent(a.Method)
}

// Idempotent reports whether a request with this method may be sent again (RFC 9110
// section 9.2.2; the ones http.Transport retries).
func Idempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return false
}

// IsTimeout reports whether err is a timeout: a deadline passed, or ErrTimeout.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, ErrTimeout) || errors.As(err, &ne) && ne.Timeout()
}
