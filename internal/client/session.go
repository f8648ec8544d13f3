package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/internal/muxlog"
	"github.com/hookrelay/hookrelay/proto"
)

// writeBuffers lends websocket write buffers for the length of a message.
var writeBuffers = &sync.Pool{}

// runOnce runs one session. connected reports whether the handshake succeeded.
func (c *Client) runOnce(ctx context.Context) (connected bool, err error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	mux, err := proto.Client(conn, muxlog.Writer(c.log)) // yamux's log lines, at debug level
	if err != nil {
		return false, err
	}
	defer mux.Close()
	ctl, welcome, err := c.handshake(mux)
	if err != nil {
		return false, err
	}
	c.online(welcome)
	return true, c.serve(ctx, mux, ctl)
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	u := *c.cfg.Server
	u.Scheme = map[string]string{"https": "wss", "http": "ws"}[u.Scheme]
	u.Path = strings.TrimSuffix(u.Path, "/") + proto.ConnectPath
	h := http.Header{}
	h.Set("Authorization", "Bearer "+c.cfg.Token)
	h.Set(proto.HeaderVersion, strconv.Itoa(proto.Version))
	d := websocket.Dialer{HandshakeTimeout: proto.HandshakeTimeout, ReadBufferSize: 4 << 10,
		WriteBufferSize: 32 << 10, WriteBufferPool: writeBuffers, Proxy: http.ProxyFromEnvironment,
		TLSClientConfig: c.cfg.TLS}
	ws, resp, err := d.DialContext(ctx, u.String(), h)
	if err != nil {
		return nil, dialError(resp, err)
	}
	return proto.NetConn(ws), nil // the handshake has deadlines of its own
}

// dialError explains a failed upgrade, marking what retrying cannot fix as permanent.
func dialError(resp *http.Response, err error) error {
	if resp == nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer resp.Body.Close()
	var body struct{ Error proto.Error }
	_ = json.NewDecoder(io.LimitReader(resp.Body, proto.MaxFrameSize)).Decode(&body)
	if body.Error.Code == "" {
		err = fmt.Errorf("connect: server answered %s", resp.Status)
	} else {
		err = classifyError(&body.Error)
	}
	if d, ok := retryAfter(resp.Header.Get("Retry-After")); ok && !errors.Is(err, ErrPermanent) {
		return &waitError{err: err, wait: d}
	}
	return err
}

// waitError is a refusal that said how long to wait before the next try.
type waitError struct {
	err  error
	wait time.Duration
}

func (e *waitError) Error() string { return e.err.Error() }
func (e *waitError) Unwrap() error { return e.err }

// retryAfter reads a Retry-After of delay-seconds (the relay's form; an HTTP date is
// ignored), capped at proto.MaxBackoff: the server asks for a pause, not for silence.
func retryAfter(v string) (time.Duration, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, false
	}
	return min(time.Duration(n)*time.Second, proto.MaxBackoff), true
}

// nextWait is how long Run waits before the next try: the backoff with jitter, or
// longer when the server's refusal asked for it, or a moment when the server ended the
// session because it is stopping.
func nextWait(backoff time.Duration, err error) time.Duration {
	if pe, ok := errors.AsType[*proto.Error](err); ok && pe.Code == proto.CodeShuttingDown {
		return time.Duration(rand.Int64N(int64(proto.ShutdownReconnect) + 1)) // proto's step 7
	}
	wait := jitter(backoff)
	if we, ok := errors.AsType[*waitError](err); ok {
		wait = max(wait, we.wait)
	}
	return wait
}

// classifyError wraps a server-sent error, as permanent when retrying cannot help.
func classifyError(e *proto.Error) error {
	switch e.Code {
	case proto.CodeBadToken, proto.CodeVersionMismatch, proto.CodeNameTaken, proto.CodeBadName,
		proto.CodeTooManyTunnels, proto.CodeBadRequest, proto.CodeReplaced, proto.CodeTokenRevoked:
		return fmt.Errorf("%w: %w", ErrPermanent, e)
	case proto.CodeShuttingDown:
		return fmt.Errorf("server ended the session: %w", e)
	}
	return fmt.Errorf("server refused: %w", e)
}

func (c *Client) handshake(mux *yamux.Session) (net.Conn, *proto.Welcome, error) {
	ctl, err := mux.OpenStream()
	if err != nil {
		return nil, nil, fmt.Errorf("open control stream: %w", err)
	}
	_ = ctl.SetDeadline(time.Now().Add(proto.HandshakeTimeout))
	if err := proto.WriteFrame(ctl, proto.FrameHello, c.hello()); err != nil {
		return nil, nil, err
	}
	var w proto.Welcome
	if err := proto.ReadExpect(ctl, proto.FrameWelcome, &w); err != nil {
		var pe *proto.Error
		if errors.As(err, &pe) {
			return nil, nil, classifyError(pe)
		}
		return nil, nil, fmt.Errorf("handshake: %w", err)
	}
	if len(w.Tunnels) != len(c.cfg.Tunnels) {
		return nil, nil, fmt.Errorf("handshake: %w: %d tunnels granted, %d asked", proto.ErrBadFrame, len(w.Tunnels), len(c.cfg.Tunnels))
	}
	_ = ctl.SetDeadline(time.Time{})
	return ctl, &w, nil
}

func (c *Client) hello() *proto.Hello {
	h := &proto.Hello{Version: proto.Version, Client: "relay-client", SoftwareVersion: c.cfg.Version,
		ClientID: c.cfg.ClientID, Label: c.cfg.Label}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, t := range c.cfg.Tunnels {
		h.Tunnels = append(h.Tunnels, proto.TunnelRequest{Name: c.names[i], Offline: t.Offline,
			Verify: t.Verify, VerifyMode: t.VerifyMode, Handshake: t.Handshake, Share: t.Share, Primary: t.Primary, Routes: t.Routes})
	}
	return h
}

// online records the granted names and tells the user where the tunnels are.
func (c *Client) online(w *proto.Welcome) {
	c.mu.Lock()
	for i, t := range w.Tunnels {
		c.names[i] = t.Name
		if set := c.cfg.Tunnels[i].Targets; set != nil {
			c.fwd.setTargets(t.Name, set)
		} else {
			c.fwd.set(t.Name, c.cfg.Tunnels[i].Target)
		}
	}
	c.state = StateOnline
	c.mu.Unlock()
	targets := make([]string, len(c.cfg.Tunnels))
	for i, t := range c.cfg.Tunnels {
		targets[i] = t.describe()
	}
	c.report.online(w, targets)
	if c.cfg.OnConnect != nil {
		c.cfg.OnConnect(w)
	}
}

// serve answers the session's streams until it ends. The control stream carries only
// errors from the server after the handshake; its end ends the session. A session that
// ends takes its exchanges with it at once: their app connections are closed and nothing
// waits for them, so the client can reconnect straight away.
func (c *Client) serve(ctx context.Context, mux *yamux.Session, ctl net.Conn) error {
	streams := newStreams(c.fwd)
	go streams.serve(mux)
	ctlErr := make(chan error, 1)
	go func() { ctlErr <- c.readControl(ctl) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-ctlErr:
	case <-mux.CloseChan():
		// The control stream may still hold the server's last word (say, "replaced"):
		// read it before deciding whether to reconnect.
		select {
		case err = <-ctlErr:
		case <-time.After(time.Second):
			err = errors.New("connection lost")
		}
	}
	_ = ctl.SetReadDeadline(aLongTimeAgo)
	streams.abort() // before the mux closes, so that no reader waits on it
	_ = mux.Close()
	return err
}

// readControl reads frames on the control stream until it ends: notices, the lists of
// attached clients, and the server's last word.
func (c *Client) readControl(ctl net.Conn) error {
	for {
		t, payload, err := proto.ReadFrame(ctl)
		if err == nil {
			err = c.control(t, payload)
		}
		if err != nil {
			var pe *proto.Error
			if errors.As(err, &pe) {
				return classifyError(pe)
			}
			return fmt.Errorf("connection lost: %w", err)
		}
	}
}

// control handles one frame of the control stream after the handshake.
func (c *Client) control(t proto.FrameType, payload []byte) error {
	switch t {
	case proto.FrameNotice:
		return nil
	case proto.FrameClients:
		var cl proto.Clients
		if err := json.Unmarshal(payload, &cl); err != nil {
			return fmt.Errorf("%w: clients: %v", proto.ErrBadFrame, err)
		}
		c.report.clients(&cl)
		if c.cfg.OnClients != nil {
			c.cfg.OnClients(&cl)
		}
		return nil
	case proto.FrameError:
		e := new(proto.Error)
		if err := json.Unmarshal(payload, e); err != nil {
			return fmt.Errorf("%w: %v", proto.ErrBadFrame, err)
		}
		return e
	}
	return fmt.Errorf("%w: unexpected %s frame", proto.ErrBadFrame, t)
}
