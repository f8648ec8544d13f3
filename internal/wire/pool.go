package wire

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"
)

// Conn is a kept-alive connection with its buffers.
type Conn struct {
	net.Conn
	head *headLimit // bounds the bytes read for a response head
	br   *bufio.Reader
	bw   *bufio.Writer
	stop func() bool // detaches the connection from the request's context
}

// Close closes the connection.
func (c *Conn) Close() error {
	c.detach()
	return c.Conn.Close()
}

// detach stops watching the request's context; false if it already fired, which has
// poisoned the connection's deadline.
func (c *Conn) detach() bool {
	if c.stop == nil {
		return true
	}
	ok := c.stop()
	c.stop = nil
	return ok
}

// watch makes the end of ctx unblock every read and write on c, so a request whose
// sender went away does not wait forever on an app that never answers.
func (c *Conn) watch(ctx context.Context) {
	c.stop = context.AfterFunc(ctx, func() { _ = c.Conn.SetDeadline(time.Unix(1, 0)) })
}

// Pool keeps idle connections to one peer.
type Pool struct {
	dial func() (net.Conn, error)
	idle *Idle[*Conn]
	// HeadLimit caps a response head (status line and headers, 1xx heads included);
	// a larger one fails the exchange with ErrHeadTooLarge. 0: no limit.
	HeadLimit int64
}

// Idle limits of a Pool: relay-server keeps up to PoolMaxIdle idle streams per tunnel
// for the direct path, each for up to PoolIdleTimeout. A stream holds its 8 KiB read and
// write buffers and yamux's state while idle, so a burst that opened hundreds (up to the
// tunnel's in-flight limit) leaves only what steady traffic reuses, and not for long.
const (
	PoolMaxIdle     = 32
	PoolIdleTimeout = 60 * time.Second
)

// NewPool returns a pool keeping up to max idle connections made by dial, each for up
// to idleTimeout.
func NewPool(max int, idleTimeout time.Duration, dial func() (net.Conn, error)) *Pool {
	return &Pool{dial: dial, idle: NewIdle[*Conn](max, idleTimeout)}
}

func (p *Pool) get() (c *Conn, fresh bool, err error) {
	for {
		c, ok := p.idle.Take()
		if !ok {
			break
		}
		if c.clean() {
			return c, false, nil
		}
		c.Close()
	}
	nc, err := p.dial()
	if err != nil {
		return nil, true, err
	}
	hl := &headLimit{r: nc, n: -1}
	return &Conn{Conn: nc, head: hl, br: bufio.NewReaderSize(hl, 8<<10), bw: bufio.NewWriterSize(nc, 8<<10)}, true, nil
}

// Put returns c for reuse once its response has been read to the end. A connection
// holding bytes its response did not account for is closed instead: they would be read
// as the answer to the next request.
func (p *Pool) Put(c *Conn) {
	if !c.detach() || c.br.Buffered() > 0 {
		c.Conn.Close()
		return
	}
	p.idle.Keep(c)
}

// clean reports whether an idle connection can carry a request: its peer sent nothing
// since its last response (a late or unasked response would be taken for the next
// answer) and did not close it. It reads with a deadline in the past, which returns at
// once with what the connection holds, if anything.
func (c *Conn) clean() bool {
	if c.br.Buffered() > 0 {
		return false
	}
	_ = c.SetReadDeadline(aLongTimeAgo)
	_, err := c.br.Peek(1)
	_ = c.SetReadDeadline(time.Time{})
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// aLongTimeAgo is a deadline in the past: reads return at once.
var aLongTimeAgo = time.Unix(1, 0)

// CloseIdle closes the idle connections.
func (p *Pool) CloseIdle() { p.idle.CloseAll() }

// ErrTimeout is returned when the response head does not arrive in time.
var ErrTimeout = errors.New("wire: response timeout")

// RoundTrip writes h and reads the response head (skipping 1xx), waiting at most
// timeout for it (0: no limit). A request sent on an idle connection that turns out to
// be dead is sent once more on a fresh one when MayResend allows: h carries the whole
// body, so it can be written again.
// The caller copies the response, then Puts the connection back or closes it.
// The request's context bounds the whole exchange, the response body included, until
// the connection is Put back or closed.
func (p *Pool) RoundTrip(h *Head, req *http.Request, timeout time.Duration) (*Conn, *http.Response, error) {
	for attempt := 0; ; attempt++ {
		if err := req.Context().Err(); err != nil {
			return nil, nil, err
		}
		c, fresh, err := p.get()
		if err != nil {
			return nil, nil, err
		}
		c.watch(req.Context())
		before := c.head.read
		resp, err := c.exchange(h, req, timeout, p.HeadLimit)
		if err == nil {
			return c, resp, nil
		}
		c.Close()
		// The peer is a tunnel client: it answers every request it has read (see proto),
		// so a request that got nothing back never reached the app.
		a := Attempt{N: attempt, Err: err, Got: c.head.read > before, Buffered: true, Reused: !fresh,
			Aborted: req.Context().Err() != nil, Method: req.Method}
		if !MayResend(a) {
			return nil, nil, err
		}
	}
}

func (c *Conn) exchange(h *Head, req *http.Request, timeout time.Duration, headLimit int64) (*http.Response, error) {
	h.Write(c.bw)
	if err := c.bw.Flush(); err != nil {
		return nil, err
	}
	if timeout > 0 {
		_ = c.SetReadDeadline(time.Now().Add(timeout))
		defer c.SetReadDeadline(time.Time{})
	}
	if headLimit > 0 {
		// What the buffer already holds was read under an earlier limit; what it reads
		// ahead of the head's end (up to its size) is part of the body.
		c.head.n = headLimit + int64(c.br.Size())
		defer func() { c.head.n = -1 }()
	}
	for {
		resp, err := http.ReadResponse(c.br, req)
		if err != nil && c.head.n == 0 {
			return nil, ErrHeadTooLarge
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, ErrTimeout
		}
		if err != nil || resp.StatusCode >= 200 {
			return resp, err
		}
	}
}

// ErrHeadTooLarge is returned when a message head is over its limit: the pool's
// HeadLimit, or the one given to HeadReader.Next.
var ErrHeadTooLarge = errors.New("wire: message head too large")

// headLimit lets n more bytes be read (n < 0: no limit) and counts what was read.
type headLimit struct {
	r    io.Reader
	n    int64
	read int64
}

func (l *headLimit) Read(p []byte) (int, error) {
	if l.n == 0 {
		return 0, ErrHeadTooLarge
	}
	if l.n > 0 && int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	if l.n > 0 {
		l.n -= int64(n)
	}
	return n, err
}
