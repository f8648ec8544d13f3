package wire

import "io"

// Idle keeps up to a fixed number of idle connections for reuse; both of the relay's
// connection pools (this package's Pool and relay-client's pool of app connections)
// hold their spares in one.
type Idle[C io.Closer] chan C

// NewIdle returns an Idle holding up to max connections.
func NewIdle[C io.Closer](max int) Idle[C] { return make(Idle[C], max) }

// Take returns an idle connection, if there is one.
func (q Idle[C]) Take() (c C, ok bool) {
	select {
	case c = <-q:
		return c, true
	default:
		return c, false
	}
}

// Keep holds c for reuse, or closes it when the Idle is full.
func (q Idle[C]) Keep(c C) {
	select {
	case q <- c:
	default:
		c.Close()
	}
}

// CloseAll closes the connections held.
func (q Idle[C]) CloseAll() {
	for {
		c, ok := q.Take()
		if !ok {
			return
		}
		c.Close()
	}
}
