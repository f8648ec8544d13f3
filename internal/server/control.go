package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/internal/muxlog"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// upgrader keeps idle tunnels cheap: it reads through the 4 KiB buffer net/http already
// has for the connection (large yamux frames bypass it), and borrows its 32 KiB write
// buffer from a pool only while a message is written, so an idle session holds neither.
var upgrader = websocket.Upgrader{
	HandshakeTimeout: proto.HandshakeTimeout,
	WriteBufferSize:  32 << 10,
	WriteBufferPool:  &sync.Pool{},
}

// session is one connected client: a yamux session over a websocket.
type session struct {
	srv      *Server
	ident    Identity // who the session's token speaks for
	owner    string   // ident.Owner
	remote   string
	id       string // names the session to other nodes (cluster leases, splices)
	mux      *yamux.Session
	ctl      net.Conn // control stream
	bindings []*binding
	// clientID and label name the client instance (Hello); see attach.
	clientID, label string
	ctlMu           sync.Mutex // one frame at a time on ctl after the handshake
	endOnce         sync.Once
	overruns        atomic.Int64 // streams the client went on sending on after their close (see linger)
}

// serveConnect authenticates a client, upgrades to a websocket and runs its session until
// it ends or the server closes.
func (s *Server) serveConnect(w http.ResponseWriter, r *http.Request) {
	if v := r.Header.Get(proto.HeaderVersion); v != strconv.Itoa(proto.Version) {
		msg := fmt.Sprintf("server speaks protocol %d, client speaks %q: use a matching relay-client", proto.Version, v)
		writeError(w, proto.CodeVersionMismatch, msg, "")
		return
	}
	ident, ok := s.identify(bearer(r))
	if !ok {
		writeError(w, proto.CodeBadToken, "missing or unknown token", "")
		return
	}
	// Rates and the open-session cap count per token, team member or not; names and
	// records are the owner's (see grant).
	if !s.admitSession(w, r, ident.TokenID) {
		return
	}
	if !s.owners.open(ident.TokenID, s.cfg.SessionsPerToken) {
		setRetryAfter(w, wire.RetryAfter*time.Second)
		writeError(w, proto.CodeTooManySessions,
			fmt.Sprintf("this token has %d sessions open already (the limit)", s.cfg.SessionsPerToken), "")
		return
	}
	defer s.owners.close(ident.TokenID)
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	if !s.work.add() {
		ws.Close() // the server is closing
		return
	}
	defer s.work.done()
	sess := &session{srv: s, ident: ident, owner: ident.Owner, remote: r.RemoteAddr, id: store.NewID(s.cfg.Now())}
	if err := sess.run(s.ctx, proto.NetConn(ws)); err != nil {
		s.log.Info("session ended", "owner", ident.Owner, "token", ident.TokenID, "remote", r.RemoteAddr, "err", err)
	}
}

func (ss *session) run(ctx context.Context, conn net.Conn) error {
	defer conn.Close()
	// The handshake has deadlines of its own; yamux's log lines go to ours at debug level.
	mux, err := proto.Server(conn, muxlog.Writer(ss.srv.log, "owner", ss.owner, "remote", ss.remote))
	if err != nil {
		return err
	}
	ss.mux = mux
	defer ss.end()
	if err := ss.handshake(ctx); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	release, ok := ss.srv.hold(ss.ident.TokenID, ss.revoked)
	if !ok {
		ss.revoked()
		return errRevoked
	}
	defer release()
	ss.srv.sessions.Add(1)
	defer ss.srv.sessions.Add(-1)
	stop := context.AfterFunc(ctx, ss.shuttingDown) // server closing: end the session
	defer stop()
	go ss.refuseStreams()
	ss.watchControl()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.New("connection closed")
}

// watchControl blocks until the session is over: the client closed the control
// stream, or the mux died (its streams close with it), or end was called. Waiting here,
// in the connect handler's goroutine, keeps an idle session at four goroutines: this
// one and yamux's receive and send loops, and the connection's pinger. The read returns
// once: end stops it with a deadline before it closes the mux, so it never runs into
// yamux's spin while a session shuts down (see proto's liveConn).
func (ss *session) watchControl() {
	var b [1]byte
	_, _ = ss.ctl.Read(b[:])
	ss.end()
}

// refuseStreams ends the session when its client opens a stream of its own: only the
// server opens streams after the control stream, and a stream nobody accepts would hold
// its window of data until the session ends.
func (ss *session) refuseStreams() {
	st, err := ss.mux.AcceptStream()
	if err != nil {
		return // the session is over
	}
	ss.srv.log.Warn("client opened a stream; ending its session", "owner", ss.owner, "remote", ss.remote)
	_ = st.Close()
	ss.end()
}

func (ss *session) handshake(ctx context.Context) error {
	actx, cancel := context.WithTimeout(ctx, proto.HandshakeTimeout)
	defer cancel()
	ctl, err := ss.mux.AcceptStreamWithContext(actx)
	if err != nil {
		return fmt.Errorf("accept control stream: %w", err)
	}
	ss.ctl = ctl
	_ = ctl.SetDeadline(time.Now().Add(proto.HandshakeTimeout))
	var hello proto.Hello
	if err := proto.ReadExpect(ctl, proto.FrameHello, &hello); err != nil {
		return err
	}
	welcome, perr := ss.admit(ctx, &hello)
	if perr != nil {
		_ = proto.WriteFrame(ctl, proto.FrameError, perr)
		return perr
	}
	if err := proto.WriteFrame(ctl, proto.FrameWelcome, welcome); err != nil {
		return err // run's deferred end takes the tunnels offline again
	}
	_ = ctl.SetDeadline(time.Time{})
	ss.announce()
	ss.tellClientsChanged()
	for _, b := range ss.bindings { // once per session, and only for one the client has
		ss.srv.startDrain(b)
	}
	for _, t := range welcome.Tunnels {
		ss.srv.log.Info("tunnel online", "tunnel", t.Name, "owner", ss.owner, "remote", ss.remote,
			"client_version", cmp.Or(hello.SoftwareVersion, "unknown"))
	}
	return nil
}

// admit grants the Hello and makes the session's bindings live, before the client hears
// so: it may send traffic the moment it reads Welcome. One admission at a time per
// owner: two sessions connecting at once would otherwise both count the names held, or
// the clients attached, before either claims, and pass the cap together.
func (ss *session) admit(ctx context.Context, h *proto.Hello) (*proto.Welcome, *proto.Error) {
	defer ss.srv.owners.lockGrants(ss.owner)()
	welcome, perr := ss.srv.grant(ctx, ss, h)
	if perr != nil {
		return nil, perr
	}
	return welcome, ss.activate()
}

// activate attaches the session's bindings to their tunnels, each in the place of an
// older session of the same client (see tunnel.attach), which it ends. Every tunnel is
// checked for room first, so that a refused session replaces nobody.
func (ss *session) activate() *proto.Error {
	max := ss.srv.cfg.ClientsPerTunnel
	for _, b := range ss.bindings {
		if b.tunnel.room(b, max) != nil {
			return tooManyClients(b.tunnel.name, max)
		}
	}
	for _, b := range ss.bindings {
		old, err := b.tunnel.attach(b, max)
		if err != nil {
			return tooManyClients(b.tunnel.name, max)
		}
		for _, o := range old {
			o.sess.replace()
		}
	}
	return nil
}

func tooManyClients(name string, max int) *proto.Error {
	return &proto.Error{Code: proto.CodeTooManyClients,
		Message: fmt.Sprintf("tunnel %s has %d clients attached already (the limit)", name, max)}
}

// replace ends a session whose names a newer session of the same owner took over.
func (ss *session) replace() {
	e := &proto.Error{Code: proto.CodeReplaced, Message: "another client with the same token (or of the same team) took over this tunnel"}
	if ss.clientID != "" {
		e.Message = "a newer session of this client (same client id) took over this tunnel"
	}
	ss.sayLast(e)
}

// errRevoked ends the session of a token revoked while it ran.
var errRevoked = errors.New("token revoked")

// revoked ends a session whose token was revoked, telling its client why.
func (ss *session) revoked() {
	ss.srv.log.Info("token revoked; ending its session", "owner", ss.owner, "token", ss.ident.TokenID, "remote", ss.remote)
	ss.sayLast(&proto.Error{Code: proto.CodeTokenRevoked, Message: "this token was revoked"})
}

// shuttingDown ends the session as the server closes, telling its client to reconnect
// at once (proto's step 7): behind a balancer, to another node.
func (ss *session) shuttingDown() {
	ss.sayLast(&proto.Error{Code: proto.CodeShuttingDown, Message: "the relay is shutting down"})
}

// sayLast writes the session's last frame, e, and ends it.
func (ss *session) sayLast(e *proto.Error) {
	ss.ctlMu.Lock()
	_ = ss.ctl.SetWriteDeadline(time.Now().Add(time.Second))
	_ = proto.WriteFrame(ss.ctl, proto.FrameError, e)
	ss.ctlMu.Unlock()
	ss.end()
}

// end takes the session's tunnels offline and closes the mux. Safe to call many times.
// The store hears of it last: nothing waits on a write while the session is half closed.
func (ss *session) end() {
	ss.endOnce.Do(func() {
		var gone []string
		var changed []*tunnel
		for _, b := range ss.bindings {
			switch was, offline := b.tunnel.detach(b); {
			case was && offline:
				gone = append(gone, b.tunnel.name)
			case was:
				changed = append(changed, b.tunnel)
			}
		}
		if ss.ctl != nil {
			_ = ss.ctl.SetReadDeadline(aLongTimeAgo) // watchControl returns now
		}
		for _, b := range ss.bindings {
			b.transport.CloseIdleConnections()
			b.streams.CloseIdle()
		}
		_ = ss.mux.Close()
		if ss.srv.cfg.Cluster != nil {
			ss.srv.releaseLeases(ss)
			ss.tellClientsChanged()
		}
		for _, name := range gone {
			ss.srv.log.Info("tunnel offline", "tunnel", name, "owner", ss.owner)
			ss.srv.touch(name)
		}
		for _, t := range changed {
			ss.srv.announce(t)
		}
	})
}

// aLongTimeAgo is a deadline in the past: it makes blocked reads and writes return.
var aLongTimeAgo = time.Unix(1, 0)

// urls returns the public URLs of tunnel name: path form first, then host form.
func (s *Server) urls(name string) []string {
	u, err := url.Parse(s.cfg.PublicURL)
	if err != nil {
		return []string{s.cfg.PublicURL + "/t/" + name + "/"}
	}
	host := name + "." + s.cfg.Domain
	if p := u.Port(); p != "" {
		host = net.JoinHostPort(host, p)
	}
	return []string{
		u.Scheme + "://" + u.Host + "/t/" + name + "/",
		u.Scheme + "://" + host + "/",
	}
}
