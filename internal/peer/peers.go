package peer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/proto"
)

// Defaults of DialerConfig.
const (
	// DefaultDialTimeout bounds a TCP dial to a peer (design: a host that is gone is
	// given up on after 1 s; its tunnels then follow their offline policy).
	DefaultDialTimeout = time.Second
	// SuspectFor is how long a peer whose dial failed is not dialed again: splices to it
	// fail at once with ErrSuspect. Each further failed dial doubles it, up to
	// MaxSuspectFor; a successful one resets it.
	SuspectFor    = 5 * time.Second
	MaxSuspectFor = 30 * time.Second
)

// DialerConfig configures Peers.
type DialerConfig struct {
	Node             string        // this node's id
	Secret           []byte        // the cluster secret
	DialTimeout      time.Duration // 0 means DefaultDialTimeout
	HandshakeTimeout time.Duration // 0 means DefaultHandshakeTimeout
	// Dial opens a connection to addr, over which Peers runs TLS and the handshake;
	// nil dials TCP.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	Log  io.Writer // yamux diagnostics; nil discards them
}

// Node names a peer: its id and the address it advertises.
type Node struct {
	ID   string
	Addr string
}

// Peers is the dialing side of peer links: one session per peer, dialed when a splice
// needs it and dialed again after it ended.
type Peers struct {
	cfg    DialerConfig
	tls    *linkTLS
	ctx    context.Context // canceled by Close: aborts dials in progress
	cancel context.CancelFunc
	now    func() time.Time

	mu     sync.Mutex
	closed bool
	links  map[string]*link
	calls  sync.WaitGroup // Splice calls in progress
}

// NewPeers returns Peers.
func NewPeers(cfg DialerConfig) (*Peers, error) {
	if !validNode(cfg.Node) || len(cfg.Secret) == 0 {
		return nil, fmt.Errorf("new peers: node id and secret are required")
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.Dial == nil {
		cfg.Dial = dialTCP
	}
	lt, err := newLinkTLS(cfg.Secret)
	if err != nil {
		return nil, fmt.Errorf("new peers: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Peers{cfg: cfg, tls: lt, ctx: ctx, cancel: cancel, now: time.Now, links: map[string]*link{}}, nil
}

func dialTCP(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// Splice opens a stream to node and asks it for a splice. On success every byte
// written to the returned conn reaches the client session, and every byte the client
// writes can be read from it; CloseWrite half-closes. The error wraps ErrNotHere or
// ErrBusy when the node refused (nothing reached the client: a caller may look the
// tunnel up again and retry), ErrSuspect when the node's last dial failed within its
// suspect period, ErrUnreachable, ErrLinkLost, ErrHandshake, ErrRefused or ErrBadMAC otherwise.
func (p *Peers) Splice(ctx context.Context, node Node, req Splice) (net.Conn, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("splice %s: %w", req.Tunnel, err)
	}
	l, err := p.begin(node)
	if err != nil {
		return nil, err
	}
	defer p.calls.Done()
	sess, err := l.session(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("splice %s via %s: %w", req.Tunnel, node.ID, err)
	}
	st, err := openSplice(ctx, sess, req, p.cfg.HandshakeTimeout)
	if err != nil {
		return nil, fmt.Errorf("splice %s via %s: %w", req.Tunnel, node.ID, err)
	}
	return st, nil
}

// begin counts a call in and returns node's link, creating it.
func (p *Peers) begin(node Node) (*link, error) {
	if !validNode(node.ID) || node.Addr == "" {
		return nil, fmt.Errorf("splice: bad node %q at %q", node.ID, node.Addr)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	l := p.links[node.ID]
	if l == nil {
		l = &link{node: node}
		p.links[node.ID] = l
	}
	l.setAddr(node.Addr)
	p.calls.Add(1)
	return l, nil
}

// openSplice opens a stream on sess, sends req and waits for the answer.
func openSplice(ctx context.Context, sess *yamux.Session, req Splice, d time.Duration) (*Stream, error) {
	st, err := sess.OpenStream()
	if err != nil {
		return nil, fmt.Errorf("%w: open stream: %w", ErrLinkLost, err)
	}
	dl := time.Now().Add(d)
	if cd, ok := ctx.Deadline(); ok && cd.Before(dl) {
		dl = cd
	}
	_ = st.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { abort(st) })
	defer stop()
	if err := writeFrame(st, FrameSplice, req); err != nil {
		abort(st)
		return nil, fmt.Errorf("%w: %w", ErrLinkLost, err)
	}
	if err := readAnswer(st); err != nil {
		abort(st)
		return nil, linkErr(ctx, err)
	}
	_ = st.SetDeadline(time.Time{})
	return &Stream{Stream: st}, nil
}

// linkErr classifies an error of the Splice exchange.
func linkErr(ctx context.Context, err error) error {
	var se *SpliceError
	switch {
	case errors.As(err, &se):
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return fmt.Errorf("%w: %w", ErrLinkLost, err)
}

// Suspect reports whether id's last dial failed within its suspect period: the caller
// should treat the node as down (design: its tunnels follow their offline policy).
func (p *Peers) Suspect(id string) bool {
	p.mu.Lock()
	l := p.links[id]
	p.mu.Unlock()
	return l != nil && l.suspect(p.now())
}

// Forget closes the link to id and forgets it: for a node known to be gone for good
// (node ids are new at every process start, so links to old ids are never used again).
func (p *Peers) Forget(id string) {
	p.mu.Lock()
	l := p.links[id]
	delete(p.links, id)
	p.mu.Unlock()
	if l != nil {
		l.close()
	}
}

// Close closes every link, aborts dials in progress and returns when every Splice call
// has returned and every session's goroutines are gone. Streams already returned by
// Splice end with their session.
func (p *Peers) Close() error {
	p.mu.Lock()
	p.closed = true
	links := make([]*link, 0, len(p.links))
	for _, l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	p.cancel()
	for _, l := range links {
		l.close() // ends the splices waiting for an answer on it
	}
	p.calls.Wait()
	return nil
}

// Stream is a splice stream, on either side.
type Stream struct {
	*yamux.Stream
}

// Read reads from the stream. yamux ends every stream of a lost session with io.EOF,
// as if the peer had closed it; Read returns ErrLinkLost for those instead, so that a
// truncated transfer is never taken for a complete one.
func (s *Stream) Read(p []byte) (int, error) {
	n, err := s.Stream.Read(p)
	if err == io.EOF && s.Stream.Session().IsClosed() {
		err = ErrLinkLost
	}
	return n, err
}

// CloseWrite half-closes the stream: the holder sees EOF and passes it on to the client
// session; reading goes on until the client closes its side.
func (s *Stream) CloseWrite() error { return s.Stream.Close() }

// Close ends the stream for this side: blocked reads and writes return at once, and the
// holder sees EOF.
func (s *Stream) Close() error {
	abort(s.Stream)
	return nil
}

var _ net.Conn = (*Stream)(nil)

// dial connects to node, runs the handshake and starts the session.
func (p *Peers) dial(ctx context.Context, node Node) (*yamux.Session, error) {
	dctx, cancel := context.WithTimeout(ctx, p.cfg.DialTimeout)
	defer cancel()
	raw, err := p.cfg.Dial(dctx, node.Addr)
	if err != nil {
		return nil, fmt.Errorf("%w: dial %s at %s: %w", ErrUnreachable, node.ID, node.Addr, err)
	}
	conn := tls.Client(raw, p.tls.client) // its handshake runs inside the deadline of ours
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	err = dialHandshake(conn, p.cfg.Secret, p.cfg.Node, node.ID, p.cfg.HandshakeTimeout)
	if errors.Is(err, errPeerKey) {
		err = fmt.Errorf("%w: %w", ErrRefused, err)
	}
	if !stop() || err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("link to %s at %s: %w", node.ID, node.Addr, errors.Join(err, ctx.Err()))
	}
	sess, err := proto.Server(conn, p.cfg.Log) // see Holder.ServeConn for the roles
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("link to %s: %w", node.ID, err)
	}
	return sess, nil
}
