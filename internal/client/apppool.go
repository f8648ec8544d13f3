package client

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/hookrelay/hookrelay/internal/wire"
)

const (
	// idleTimeout closes a kept-alive app connection unused for this long, as
	// http.Transport's IdleConnTimeout did; see wire.Idle.
	idleTimeout = 90 * time.Second
	// DefaultMaxIdlePerTarget caps the idle connections kept to each local app: a burst
	// may open many more, the pool keeps only these (and only for idleTimeout).
	DefaultMaxIdlePerTarget = 64
	// staleAfter is how long an idle connection may rest before a request that cannot be
	// sent twice checks that the app has not closed it (see appConn.stale).
	staleAfter = time.Second
)

// appPool keeps idle kept-alive connections to one local app.
type appPool struct {
	addr string      // host:port
	tls  *tls.Config // nil for http
	dial *net.Dialer
	idle *wire.Idle[*appConn]
}

// appConn is a connection to a local app with its read buffer and head parser.
type appConn struct {
	net.Conn
	heads  wire.HeadReader
	resp   wire.Response
	reused bool      // it served a request before
	since  time.Time // when it went idle
}

// newAppPool returns the pool of the app at u; an https app's connections are made with
// base (nil: the defaults, the system's roots).
func newAppPool(u *url.URL, maxIdle int, base *tls.Config) *appPool {
	p := &appPool{addr: dialAddr(u), idle: wire.NewIdle[*appConn](maxIdle, idleTimeout),
		dial: &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}}
	if u.Scheme == "https" {
		p.tls = base.Clone()
		if p.tls == nil {
			p.tls = &tls.Config{}
		}
		p.tls.ServerName = u.Hostname()
	}
	return p
}

// dialAddr is the address to dial for an app URL, with the scheme's port if it has none.
func dialAddr(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// get returns an idle connection, or a new one. Idle connections the app may have
// closed are checked first: a request that is not idempotent is never sent twice, so a
// connection found dead after the request went out fails it.
func (p *appPool) get() (*appConn, error) {
	for {
		c, ok := p.idle.Take()
		if !ok {
			return p.connect()
		}
		if !c.stale() {
			return c, nil
		}
		c.Close()
	}
}

// connect dials a new connection.
func (p *appPool) connect() (*appConn, error) {
	var nc net.Conn
	var err error
	if p.tls != nil {
		nc, err = (&tls.Dialer{NetDialer: p.dial, Config: p.tls}).Dial("tcp", p.addr)
	} else {
		nc, err = p.dial.Dial("tcp", p.addr)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to local app: %w", err)
	}
	return &appConn{Conn: nc, heads: wire.NewHeadReader(bufio.NewReaderSize(nc, 8<<10))}, nil
}

// put keeps c for another request, or closes it if the pool is full. A connection with
// bytes the response did not account for (a body on a HEAD answer, more than its
// Content-Length) would hand them to the next request as its answer: it is closed.
func (p *appPool) put(c *appConn) {
	if c.heads.Reader().Buffered() > 0 {
		c.Close()
		return
	}
	c.reused, c.since = true, time.Now()
	p.idle.Keep(c)
}

// closeIdle closes the idle connections.
func (p *appPool) closeIdle() { p.idle.CloseAll() }

// stale reports whether an idle connection may have been closed by the app or holds
// bytes nobody asked for (a late or extra response, which would be read as the next
// request's answer): the socket is asked. A TLS connection is also stale once it has
// rested staleAfter (the app's close_notify may wait, unread, in the TLS layer), and so
// is any connection where the socket cannot be asked.
func (c *appConn) stale() bool {
	if !canPeek {
		return true
	}
	if tc, ok := c.Conn.(*tls.Conn); ok {
		return time.Since(c.since) > staleAfter || peerGone(tc.NetConn())
	}
	return peerGone(c.Conn)
}
