package wire

import (
	"io"
	"sync"
	"time"
)

// Idle keeps up to a fixed number of idle connections for reuse, each for at most a
// fixed time; both of the relay's connection pools (this package's Pool and
// relay-client's pool of app connections) hold their spares in one.
//
// The most recently kept connection is reused first, so after a burst the spares beyond
// what the traffic needs go unused and expire: a timer, armed only while connections are
// held, closes each one that has idled past the limit. The pools check a connection for
// unread bytes before they reuse it; Idle knows nothing of that.
type Idle[C io.Closer] struct {
	max     int
	timeout time.Duration
	mu      sync.Mutex
	held    []idleConn[C] // oldest first
	timer   *time.Timer   // armed while held is not empty
}

type idleConn[C io.Closer] struct {
	c     C
	since time.Time
}

// NewIdle returns an Idle holding up to max connections, each for at most timeout.
func NewIdle[C io.Closer](max int, timeout time.Duration) *Idle[C] {
	return &Idle[C]{max: max, timeout: timeout}
}

// Take returns the most recently kept connection that has not expired, if there is one.
func (q *Idle[C]) Take() (c C, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if n := len(q.held); n > 0 && time.Since(q.held[n-1].since) < q.timeout {
		c = q.held[n-1].c
		q.held[n-1] = idleConn[C]{}
		q.held = q.held[:n-1]
		return c, true
	}
	return c, false
}

// Keep holds c for reuse, or closes it when the Idle is full.
func (q *Idle[C]) Keep(c C) {
	q.mu.Lock()
	if len(q.held) >= q.max {
		q.mu.Unlock()
		c.Close()
		return
	}
	q.held = append(q.held, idleConn[C]{c: c, since: time.Now()})
	if q.timer == nil {
		q.timer = time.AfterFunc(q.timeout, q.expire)
	}
	q.mu.Unlock()
}

// Len reports how many connections are held.
func (q *Idle[C]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.held)
}

// expire closes the connections idle past the timeout and re-arms the timer for the
// oldest one left.
func (q *Idle[C]) expire() {
	q.mu.Lock()
	now := time.Now()
	n := 0
	for n < len(q.held) && now.Sub(q.held[n].since) >= q.timeout {
		n++
	}
	old := make([]C, n)
	for i := range n {
		old[i] = q.held[i].c
	}
	q.held = append(q.held[:0], q.held[n:]...)
	clear(q.held[len(q.held):cap(q.held)])
	q.timer = nil
	if len(q.held) > 0 {
		q.timer = time.AfterFunc(q.timeout-now.Sub(q.held[0].since), q.expire)
	}
	q.mu.Unlock()
	for _, c := range old {
		c.Close()
	}
}

// CloseAll closes the connections held.
func (q *Idle[C]) CloseAll() {
	q.mu.Lock()
	held := q.held
	q.held = nil
	if q.timer != nil {
		q.timer.Stop()
		q.timer = nil
	}
	q.mu.Unlock()
	for _, h := range held {
		h.c.Close()
	}
}
