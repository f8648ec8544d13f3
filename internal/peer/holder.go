package peer

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/proto"
)

// Defaults of HolderConfig and DialerConfig.
const (
	// DefaultMaxSplices bounds the splices one peer runs at once through this node:
	// the server's per-tunnel in-flight cap (256), so one ingress node can fill one
	// tunnel but not more. Each splice holds two 32 KiB copy buffers and two yamux
	// windows of up to 256 KiB: 256 splices are at most ~145 MiB in the worst case,
	// about 16 MiB when bodies are small.
	DefaultMaxSplices = 256
	// DefaultHandshakeTimeout bounds the whole handshake, and the wait for a Splice
	// frame on a new stream. Peers are on one internal network: a round trip is well
	// under a millisecond, so 3 s is generous and still fails a silent peer quickly.
	DefaultHandshakeTimeout = 3 * time.Second
	// MaxHandshakes bounds the conns a Holder authenticates at once; more are closed
	// at once. Nodes dial each other rarely (one link per ordered pair, redialed after a
	// failure), so 64 serves a cluster of 64 nodes restarting together, and whoever
	// reaches the port without the secret holds at most 64 conns for a handshake
	// deadline each.
	MaxHandshakes = 64
)

// OpenFunc opens a stream to the client session client holding tunnel at generation
// gen. It returns an error wrapping ErrNotHere when no such session holds the tunnel
// here, ErrBusy when the session refuses another stream. The conn should support
// half-close: a CloseWrite method, or a yamux stream (see the package doc). It should
// return promptly: a splice waits for it, and Holder.Close waits for the splice.
type OpenFunc func(tunnel string, gen int64, client string) (net.Conn, error)

// HolderConfig configures a Holder.
type HolderConfig struct {
	Node             string        // this node's id
	Secret           []byte        // the cluster secret
	Open             OpenFunc      // opens a stream of a client session
	MaxSplices       int           // per peer; 0 means DefaultMaxSplices
	HandshakeTimeout time.Duration // 0 means DefaultHandshakeTimeout
	Log              io.Writer     // yamux diagnostics; nil discards them
}

// Holder is the accepting side of peer links: it authenticates the nodes that dial it
// and splices their streams onto client sessions. It never listens: give it conns
// (ServeConn) or a listener of yours (Serve).
type Holder struct {
	cfg HolderConfig
	tls *linkTLS

	mu      sync.Mutex
	closed  bool
	conns   map[net.Conn]struct{} // conns in their handshake
	inbound map[string]*inbound   // by dialer node id: one session per ordered pair
	lns     map[net.Listener]struct{}
	wg      sync.WaitGroup // every goroutine the Holder started
}

// inbound is the session a peer dialed, with its splices in progress.
type inbound struct {
	sess   *yamux.Session
	active atomic.Int64
}

// NewHolder returns a Holder.
func NewHolder(cfg HolderConfig) (*Holder, error) {
	if !validNode(cfg.Node) || len(cfg.Secret) == 0 || cfg.Open == nil {
		return nil, fmt.Errorf("new holder: node id, secret and open function are required")
	}
	if cfg.MaxSplices <= 0 {
		cfg.MaxSplices = DefaultMaxSplices
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	lt, err := newLinkTLS(cfg.Secret)
	if err != nil {
		return nil, fmt.Errorf("new holder: %w", err)
	}
	return &Holder{cfg: cfg, tls: lt, conns: map[net.Conn]struct{}{}, inbound: map[string]*inbound{},
		lns: map[net.Listener]struct{}{}}, nil
}

// Serve accepts conns on l and serves each in its own goroutine until l fails or the
// Holder is closed, which also closes l. It returns ErrClosed after Close.
func (h *Holder) Serve(l net.Listener) error {
	if !h.track(func() { h.lns[l] = struct{}{} }) {
		_ = l.Close()
		return ErrClosed
	}
	for {
		conn, err := l.Accept()
		if err != nil {
			if h.isClosed() {
				return ErrClosed
			}
			return fmt.Errorf("peer: accept: %w", err)
		}
		if !h.track(func() { h.wg.Add(1) }) {
			_ = conn.Close()
			return ErrClosed
		}
		go func() {
			defer h.wg.Done()
			_ = h.ServeConn(conn)
		}()
	}
}

// ServeConn runs the handshake on conn, then serves the peer's splices until the link
// ends. It owns conn. A second link from the same peer replaces the first.
func (h *Holder) ServeConn(conn net.Conn) error {
	full := false
	if !h.track(func() {
		if full = len(h.conns) >= MaxHandshakes; !full {
			h.conns[conn] = struct{}{}
			h.wg.Add(1)
		}
	}) {
		_ = conn.Close()
		return ErrClosed
	}
	if full {
		_ = conn.Close()
		return fmt.Errorf("peer: accept link: %w: %d handshakes in progress", ErrBusy, MaxHandshakes)
	}
	defer h.wg.Done()
	raw := conn
	conn = tls.Server(raw, h.tls.server) // its handshake runs inside the deadline of ours
	peer, err := acceptHandshake(conn, h.cfg.Secret, h.cfg.Node, h.cfg.HandshakeTimeout)
	h.track(func() { delete(h.conns, raw) })
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("peer: accept link: %w", err)
	}
	// The dialer is the yamux server and the acceptor the yamux client: roles only
	// decide stream id parity, and proto.Client's accept backlog (256) suits the side
	// that accepts many streams, where proto.Server's is 1.
	sess, err := proto.Client(conn, h.cfg.Log)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("peer: accept link from %s: %w", peer, err)
	}
	in := &inbound{sess: sess}
	if !h.register(peer, in) {
		_ = sess.Close()
		return ErrClosed
	}
	defer h.unregister(peer, in)
	return h.serveStreams(peer, in)
}

// track runs f under the lock unless the Holder is closed, and reports whether it ran.
func (h *Holder) track(f func()) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	f()
	return true
}

func (h *Holder) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// register makes in the session of peer, closing the one it replaces.
func (h *Holder) register(peer string, in *inbound) bool {
	var old *inbound
	ok := h.track(func() {
		old = h.inbound[peer]
		h.inbound[peer] = in
	})
	if old != nil {
		_ = old.sess.Close()
	}
	return ok
}

func (h *Holder) unregister(peer string, in *inbound) {
	h.mu.Lock()
	if h.inbound[peer] == in {
		delete(h.inbound, peer)
	}
	h.mu.Unlock()
	_ = in.sess.Close()
}

// serveStreams accepts the peer's streams until the session ends, refusing those over
// MaxSplices with busy at once.
func (h *Holder) serveStreams(peer string, in *inbound) error {
	for {
		st, err := in.sess.AcceptStream()
		if err != nil {
			if errors.Is(err, yamux.ErrSessionShutdown) || h.isClosed() {
				return nil
			}
			return fmt.Errorf("peer: link from %s: %w", peer, err)
		}
		if in.active.Add(1) > int64(h.cfg.MaxSplices) {
			in.active.Add(-1)
			refuse(st, CodeBusy, fmt.Sprintf("%d splices in progress for %s", h.cfg.MaxSplices, peer))
			continue
		}
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			defer in.active.Add(-1)
			h.splice(st)
		}()
	}
}

// splice serves one stream: Splice frame, open, SpliceOK, pipe.
func (h *Holder) splice(st *yamux.Stream) {
	_ = st.SetReadDeadline(time.Now().Add(h.cfg.HandshakeTimeout))
	req, err := ReadSplice(st)
	if err != nil {
		abort(st)
		return
	}
	_ = st.SetReadDeadline(time.Time{})
	client, err := h.cfg.Open(req.Tunnel, req.Generation, req.Client)
	if err != nil {
		code := CodeNotHere
		if errors.Is(err, ErrBusy) {
			code = CodeBusy
		}
		refuse(st, code, err.Error())
		return
	}
	if ys, ok := client.(*yamux.Stream); ok {
		client = &Stream{Stream: ys} // a lost client session is a failure, not an EOF
	}
	if err := writeFrame(st, FrameSpliceOK, SpliceOK{}); err != nil {
		abort(st)
		abort(client)
		return
	}
	pipe(&Stream{Stream: st}, client)
}

// refuse answers a stream with a SpliceError and closes it. The frame is small and a
// fresh stream's send window is 256 KiB, so the write does not wait for the peer.
func refuse(st *yamux.Stream, code, msg string) {
	_ = st.SetWriteDeadline(time.Now().Add(time.Second))
	_ = writeFrame(st, FrameSpliceError, SpliceError{Code: code, Message: msg})
	_ = st.Close()
}

// Close ends every link and splice and returns when every goroutine the Holder started
// has returned. Listeners given to Serve are closed.
func (h *Holder) Close() error {
	h.mu.Lock()
	h.closed = true
	for l := range h.lns {
		_ = l.Close()
	}
	for c := range h.conns {
		_ = c.Close()
	}
	sessions := make([]*yamux.Session, 0, len(h.inbound))
	for _, in := range h.inbound {
		sessions = append(sessions, in.sess)
	}
	h.mu.Unlock()
	for _, s := range sessions {
		_ = s.Close()
	}
	h.wg.Wait()
	return nil
}
