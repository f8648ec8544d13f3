package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// errBodyTimeout marks a request body that did not arrive in time (408 body_timeout).
var errBodyTimeout = errors.New("server: request body too slow")

// timedBody enforces the body read deadline on the sender's connection: the body must
// start within grace and then average rate bytes a second, counted from the end of the
// head. A stalled sender's read fails instead of holding a goroutine, buffers and, once
// admitted, a tunnel slot. The deadline is lifted at the end of the body, so it never
// cuts a sender waiting for a slow app's answer.
type timedBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	grace time.Duration
	rate  int64
	n     int64
	done  bool
	// expired is set when the deadline cut the body off; the app, if it answers, did
	// not get the whole request.
	expired atomic.Bool
}

// timeBody puts the body deadline on r when its connection supports read deadlines (a
// replay's request has no connection, and no deadline). It returns the timed body, or
// nil.
func (s *Server) timeBody(w http.ResponseWriter, r *http.Request) *timedBody {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	tb := &timedBody{ReadCloser: r.Body, rc: http.NewResponseController(w), start: time.Now(),
		grace: s.cfg.BodyTimeout, rate: s.cfg.BodyMinRate}
	if tb.rc.SetReadDeadline(tb.deadline()) != nil {
		return nil
	}
	r.Body = tb
	return tb
}

// bodyExpired reports whether d's request body was cut off by its deadline.
func (d *delivery) bodyExpired() bool { return d.timer != nil && d.timer.expired.Load() }

// deadline is when the bytes read so far, and the next one, should have arrived by.
func (b *timedBody) deadline() time.Time {
	allowed := time.Duration(float64(b.n+1) / float64(b.rate) * float64(time.Second))
	return b.start.Add(b.grace + allowed)
}

func (b *timedBody) Read(p []byte) (int, error) {
	if b.done {
		return b.ReadCloser.Read(p)
	}
	_ = b.rc.SetReadDeadline(b.deadline())
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		b.done = true
		b.expired.Store(true)
		return n, fmt.Errorf("read request body after %d bytes: %w", b.n, errBodyTimeout)
	case err != nil:
		b.lift()
	}
	return n, err
}

// lift clears the deadline: the body is over, and the connection's next reads are the
// server's own (the next request, or noticing the sender went away).
func (b *timedBody) lift() {
	b.done = true
	_ = b.rc.SetReadDeadline(time.Time{})
}

func (b *timedBody) Close() error {
	if !b.done {
		b.lift()
	}
	return b.ReadCloser.Close()
}
