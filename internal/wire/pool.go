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
	idle Idle[*Conn]
	// HeadLimit caps a response head (status line and headers, 1xx heads included);
	// a larger one fails the exchange with ErrHeadTooLarge. 0: no limit.
	HeadLimit int64
}

// NewPool returns a pool keeping up to max idle connections made by dial.
func NewPool(max int, dial func() (net.Conn, error)) *Pool {
	return &Pool{dial: dial, idle: NewIdle[*Conn](max)}
}

func (p *Pool) get() (c *Conn, fresh bool, err error) {
	if c, ok := p.idle.Take(); ok {
		return c, false, nil
	}
	nc, err := p.dial()
	if err != nil {
		return nil, true, err
	}
	hl := &headLimit{r: nc, n: -1}
	return &Conn{Conn: nc, head: hl, br: bufio.NewReaderSize(hl, 8<<10), bw: bufio.NewWriterSize(nc, 8<<10)}, true, nil
}

// Put returns c for reuse once its response has been read to the end.
func (p *Pool) Put(c *Conn) {
	if !c.detach() {
		c.Conn.Close()
		return
	}
	p.idle.Keep(c)
}

// CloseIdle closes the idle connections.
func (p *Pool) CloseIdle() { p.idle.CloseAll() }

// ErrTimeout is returned when the response head does not arrive in time.
var ErrTimeout = errors.New("wire: response timeout")

// RoundTrip writes h and reads the response head (skipping 1xx), waiting at most
// timeout for it (0: no limit). A request sent on an idle connection that turns out to
// be dead is sent once more on a fresh one: the body is in memory, so that is safe.
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
		resp, err := c.exchange(h, req, timeout, p.HeadLimit)
		if err == nil {
			return c, resp, nil
		}
		c.Close()
		if fresh || attempt > 0 || errors.Is(err, ErrTimeout) || errors.Is(err, ErrHeadTooLarge) || req.Context().Err() != nil {
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

// ErrHeadTooLarge is returned when a response head is over the pool's HeadLimit.
var ErrHeadTooLarge = errors.New("wire: response head too large")

// headLimit lets n more bytes be read (n < 0: no limit).
type headLimit struct {
	r io.Reader
	n int64
}

func (l *headLimit) Read(p []byte) (int, error) {
	if l.n == 0 {
		return 0, ErrHeadTooLarge
	}
	if l.n > 0 && int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	if l.n > 0 {
		l.n -= int64(n)
	}
	return n, err
}
