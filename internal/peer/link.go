package peer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/yamux"
)

// linkState is what a link can do for a splice right now.
type linkState int

const (
	linkIdle    linkState = iota // no session: the next splice dials
	linkDialing                  // a dial is in progress: splices wait for it
	linkUp                       // a live session
	linkSuspect                  // the last dial failed less than the backoff ago
)

// link is the session to one peer. At most one dial runs at a time; splices that need
// the session meanwhile wait for that dial's outcome.
type link struct {
	mu       sync.Mutex
	node     Node
	sess     *yamux.Session
	dialing  chan struct{} // closed when the dial in progress ends; nil when none
	dialErr  error         // the last dial's error
	until    time.Time     // end of the suspect period
	failures int           // consecutive failed dials
	closed   bool
}

// state returns the link's state at now. Hold mu.
func (l *link) state(now time.Time) linkState {
	switch {
	case l.dialing != nil:
		return linkDialing
	case l.sess != nil && !l.sess.IsClosed():
		return linkUp
	case now.Before(l.until):
		return linkSuspect
	}
	return linkIdle
}

func (l *link) setAddr(addr string) {
	l.mu.Lock()
	l.node.Addr = addr
	l.mu.Unlock()
}

func (l *link) suspect(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state(now) == linkSuspect
}

// session returns the live session, dialing it if needed.
func (l *link) session(ctx context.Context, p *Peers) (*yamux.Session, error) {
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, ErrClosed
		}
		switch l.state(p.now()) {
		case linkUp:
			defer l.mu.Unlock()
			return l.sess, nil
		case linkSuspect:
			defer l.mu.Unlock()
			return nil, fmt.Errorf("%w until %s: %w", ErrSuspect, l.until.Format(time.TimeOnly), l.dialErr)
		case linkIdle:
			l.startDial(p)
		}
		wait := l.dialing
		l.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if err := l.lastDial(wait); err != nil {
			return nil, err
		}
	}
}

// lastDial returns the error of the dial that closed done, if it failed.
func (l *link) lastDial(done chan struct{}) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sess == nil && l.dialErr != nil {
		return l.dialErr
	}
	return nil
}

// startDial dials in a goroutine of its own, so that a splice whose context ends does
// not abort a dial other splices wait for. Peers.Close cancels it. Hold mu.
func (l *link) startDial(p *Peers) {
	done := make(chan struct{})
	l.dialing = done
	node := l.node
	p.calls.Add(1)
	go func() {
		defer p.calls.Done()
		sess, err := p.dial(p.ctx, node)
		l.dialed(sess, err, p.now())
		close(done)
	}()
}

// dialed records a dial's outcome: the session, or a suspect period that doubles with
// each consecutive failure.
func (l *link) dialed(sess *yamux.Session, err error, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dialing = nil
	if l.closed && sess != nil {
		_ = sess.Close()
		sess, err = nil, ErrClosed
	}
	l.sess, l.dialErr = sess, err
	if err == nil {
		l.failures = 0
		return
	}
	l.failures++
	l.until = now.Add(backoff(l.failures))
}

// backoff is the suspect period after n consecutive failed dials.
func backoff(n int) time.Duration {
	d := SuspectFor
	for i := 1; i < n && d < MaxSuspectFor; i++ {
		d *= 2
	}
	return min(d, MaxSuspectFor)
}

// close ends the session; a dial in progress ends in Peers.Close, or finds the link
// closed.
func (l *link) close() {
	l.mu.Lock()
	l.closed = true
	sess := l.sess
	l.sess = nil
	l.mu.Unlock()
	if sess != nil {
		_ = sess.Close()
	}
}
