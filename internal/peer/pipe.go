package peer

import (
	"io"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/yamux"
)

// pipe copies bytes both ways between a and b until both directions ended, then closes
// both. A direction that reaches EOF half-closes its destination (see closeWrite) and
// leaves the other direction running; a direction that fails (a reset, a lost link)
// closes both ends at once, which ends the other direction too.
func pipe(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		half(b, a)
	}()
	half(a, b)
	wg.Wait()
	_ = a.Close()
	_ = b.Close()
}

// half copies src to dst and aborts both on failure.
func half(dst, src net.Conn) {
	if _, err := io.Copy(dst, src); err != nil {
		abort(dst)
		abort(src)
		return
	}
	closeWrite(dst)
}

// abort ends c for this side at once: a deadline in the past wakes the other
// direction's blocked Read or Write (a yamux stream's Close alone would leave its Read
// waiting for the peer's FIN), then Close.
func abort(c net.Conn) {
	_ = c.SetDeadline(aLongTimeAgo)
	_ = c.Close()
}

// aLongTimeAgo is a deadline in the past.
var aLongTimeAgo = time.Unix(1, 0)

// closeWrite ends c's write side and leaves its read side open: CloseWrite where c has
// one (TCP, Unix, TLS connections), Close on a yamux stream, whose Close sends FIN and
// keeps reading until the peer's FIN. Any other conn is closed outright.
func closeWrite(c net.Conn) {
	switch c := c.(type) {
	case interface{ CloseWrite() error }:
		_ = c.CloseWrite()
	case *yamux.Stream:
		_ = c.Close()
	default:
		_ = c.Close()
	}
}
