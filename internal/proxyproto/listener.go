package proxyproto

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// DefaultTimeout is how long a trusted peer has to send its header.
const DefaultTimeout = 5 * time.Second

// Config says whose headers to read.
type Config struct {
	// Trusted are the balancers' addresses: conns from them must begin with a header,
	// conns from elsewhere are served as they are. Empty: Wrap returns its listener.
	Trusted []netip.Prefix
	// Timeout bounds the wait for a header; 0 means DefaultTimeout.
	Timeout time.Duration
}

// trusts reports whether addr is in one of the trusted prefixes.
func (c Config) trusts(addr net.Addr) bool {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return false
	}
	for _, p := range c.Trusted {
		if p.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// Wrap returns ln whose conns from trusted peers read their PROXY header first and
// report its client as their RemoteAddr.
func Wrap(ln net.Listener, cfg Config) net.Listener {
	if len(cfg.Trusted) == 0 {
		return ln
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &listener{Listener: ln, cfg: cfg}
}

type listener struct {
	net.Listener
	cfg Config
}

// Accept returns the next conn; it never reads from it.
func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || !l.cfg.trusts(c.RemoteAddr()) {
		return c, err
	}
	return &Conn{Conn: c, timeout: l.cfg.Timeout}, nil
}

// Conn is a conn from a trusted peer: its header is read once, on the first Read or
// RemoteAddr.
type Conn struct {
	net.Conn
	timeout time.Duration
	once    sync.Once
	client  net.Addr // nil: the header named none, keep the peer's
	err     error

	mu       sync.Mutex
	deadline time.Time // the read deadline the conn's user set last
	failed   error     // err, once the header failed: Write refuses too
}

// header reads the header once, within the timeout or the user's read deadline,
// whichever comes first, and then puts the user's deadline back.
func (c *Conn) header() error {
	c.once.Do(func() {
		c.mu.Lock()
		user := c.deadline
		c.mu.Unlock()
		d := time.Now().Add(c.timeout)
		if !user.IsZero() && user.Before(d) {
			d = user
		}
		_ = c.Conn.SetReadDeadline(d)
		c.client, c.err = readHeader(c.Conn)
		if err := c.Conn.SetReadDeadline(user); err != nil && c.err == nil {
			c.err = err
		}
		if c.err != nil {
			c.mu.Lock()
			c.failed = c.err
			c.mu.Unlock()
		}
	})
	return c.err
}

// Write writes unless the header failed: nothing is sent back to a peer that broke the
// protocol, not even an HTTP server's 400.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	err := c.failed
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// SetReadDeadline sets the read deadline, kept across the header's own.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.keep(t)
	return c.Conn.SetReadDeadline(t)
}

// SetDeadline sets both deadlines, the read one kept across the header's own.
func (c *Conn) SetDeadline(t time.Time) error {
	c.keep(t)
	return c.Conn.SetDeadline(t)
}

func (c *Conn) keep(t time.Time) {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
}

// Read reads after the header; a conn whose header failed fails every Read.
func (c *Conn) Read(p []byte) (int, error) {
	if err := c.header(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// RemoteAddr is the client the header named, else the peer's address.
func (c *Conn) RemoteAddr() net.Addr {
	if c.header() == nil && c.client != nil {
		return c.client
	}
	return c.Conn.RemoteAddr()
}

// Peer is the address of the balancer itself.
func (c *Conn) Peer() net.Addr { return c.Conn.RemoteAddr() }

// Unwrap is the underlying conn.
func (c *Conn) Unwrap() net.Conn { return c.Conn }
