package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// binding is a tunnel served by a session: the HTTP transport whose connections are
// yamux streams of that session, and the proxy that uses it. Streams are kept alive and
// reused between requests like pooled TCP connections.
type binding struct {
	tunnel    *tunnel
	sess      *session
	transport *http.Transport
	proxy     *httputil.ReverseProxy
	streams   *wire.Pool // streams of the direct path, kept alive between requests
	client    clientOf
	busy      atomic.Int32 // deliveries and copies in flight to it, on a shared tunnel
	// lease is the cluster lease of the tunnel held by the session, of this node or (sess
	// nil) of another node; nil without a cluster. A reconcile may renew it (leaseBook).
	lease atomic.Pointer[Lease]
}

func newBinding(s *Server, ss *session, t *tunnel, cfg tunnelConfig, c clientOf) *binding {
	return newBindingVia(s, ss, t, cfg, c, ss.openStream)
}

// newBindingVia makes a binding whose streams come from open: streams of a local
// session, or splices to a session on another node.
func newBindingVia(s *Server, ss *session, t *tunnel, cfg tunnelConfig, c clientOf, open func() (net.Conn, error)) *binding {
	b := &binding{tunnel: t, sess: ss, client: c}
	b.streams = wire.NewPool(wire.PoolMaxIdle, wire.PoolIdleTimeout, open)
	b.streams.HeadLimit = s.cfg.ResponseHeadLimit
	b.transport = &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return open()
		},
		MaxIdleConns:          wire.PoolMaxIdle, // the direct path's limits, for the same reasons
		MaxIdleConnsPerHost:   wire.PoolMaxIdle,
		IdleConnTimeout:       wire.PoolIdleTimeout,
		ResponseHeaderTimeout: cfg.timeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true, // never touch Accept-Encoding or decode bodies
		WriteBufferSize:       32 << 10,
		ReadBufferSize:        32 << 10,
	}
	b.proxy = &httputil.ReverseProxy{
		Rewrite:      b.rewrite,
		Transport:    b.transport,
		BufferPool:   wire.BufferPool{},
		ErrorHandler: b.proxyError,
		ErrorLog:     slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	// Limits: a response head over the cap fails the exchange (502 bad_response); a
	// response to a body cut off by its deadline is not passed on (408 body_timeout).
	b.transport.MaxResponseHeaderBytes = s.cfg.ResponseHeadLimit
	b.proxy.ModifyResponse = checkBody
	return b
}

// forwardKey is the context key of the *delivery a request is forwarded for.
type forwardKey struct{}

func deliveryOf(r *http.Request) *delivery { return r.Context().Value(forwardKey{}).(*delivery) }

// rewrite sends the request to the tunnel exactly as received: same request target bytes,
// Host, headers and body, with the changes of the forwarding contract (wire.ForwardHead),
// as the direct path makes them.
func (b *binding) rewrite(pr *httputil.ProxyRequest) {
	d := deliveryOf(pr.In)
	out := pr.Out
	out.URL.Scheme, out.URL.Host = "http", b.tunnel.name
	wire.SetRawPath(out.URL, d.path)
	out.URL.RawQuery = d.query
	var head wire.Head
	wire.ForwardHead(&head, pr.In, "", d.relay(), nil)
	head.SetOn(out)
	// The proxy cloned the trailer map before the body was read; the sender's trailer
	// values land in the inbound map at the body's end, which is before the transport
	// writes the trailer section from this one.
	out.Trailer = pr.In.Trailer
}

// checkBody fails a response that came after the sender's body was cut off by its
// deadline: the app answered a request it did not get whole.
func checkBody(resp *http.Response) error {
	if deliveryOf(resp.Request).bodyExpired() {
		return fmt.Errorf("forward: %w", errBodyTimeout)
	}
	return nil
}

// proxyError answers a request the tunnel could not complete.
func (b *binding) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	b.fail(w, deliveryOf(r), err)
}

// fail answers a delivery the tunnel could not complete, on either forwarding path.
func (b *binding) fail(w http.ResponseWriter, d *delivery, err error) {
	code := classify(err, b.gone())
	if d.bodyExpired() {
		// The deadline's read error also cancels the request's context: the sender is
		// still there, and is told why.
		code = proto.CodeBodyTimeout
	}
	d.fail(code, err)
	if code == "" {
		return // the sender went away; nobody to answer
	}
	if code == proto.CodeTunnelOffline && d.shared != nil && d.shared.retry {
		d.fate = passed // this client is gone: the next one takes it
		return
	}
	if cfg := b.tunnel.config(); code == proto.CodeTunnelOffline && d.requeueable(cfg) {
		// The client left while this request was on its way: a queue tunnel keeps it
		// for the next client, like any request that arrives offline.
		d.code, d.fate = "", requeued
		writeQueued(w, d, cfg.queueStatus)
		return
	}
	id := d.id
	if code == proto.CodeTunnelOffline {
		id = "" // answered like any offline or unknown name (see Server.publicID)
	}
	writeError(w, code, errorMessage(code, b.tunnel.name), id)
}

// classify maps a forwarding error to the code answered to the sender; "" when the sender
// itself went away.
func classify(err error, gone bool) proto.Code {
	var maxErr *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &maxErr):
		return proto.CodeBodyTooLarge
	case errors.Is(err, errBodyTimeout):
		return proto.CodeBodyTimeout
	case errors.Is(err, wire.ErrHeadTooLarge), headTooLarge(err):
		return proto.CodeBadResponse
	case errors.Is(err, context.Canceled):
		return ""
	case errors.Is(err, errRemoteBusy):
		return proto.CodeTunnelBusy
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, wire.ErrTimeout):
		return proto.CodeLocalTimeout
	case gone, errors.Is(err, yamux.ErrSessionShutdown), errors.Is(err, yamux.ErrStreamsExhausted),
		errors.Is(err, errRemoteOffline):
		return proto.CodeTunnelOffline
	}
	return proto.CodeLocalUnreachable
}

// gone reports whether b's session is over; a binding through the cluster never is
// (its splice errors say when its node is out of reach).
func (b *binding) gone() bool { return b.sess != nil && b.sess.mux.IsClosed() }

// headTooLarge recognizes http.Transport's error for a response head over
// MaxResponseHeaderBytes, which it gives as text only.
func headTooLarge(err error) bool {
	return err != nil && strings.Contains(err.Error(), "server response headers exceeded")
}

func errorMessage(code proto.Code, name string) string {
	switch code {
	case proto.CodeBodyTimeout:
		return "the request body did not arrive in time"
	case proto.CodeBadResponse:
		return "the client of tunnel " + name + " sent a response head over the limit"
	case proto.CodeBodyTooLarge:
		return "request body is over the tunnel's limit"
	case proto.CodeLocalTimeout:
		return "the local app of tunnel " + name + " did not answer in time"
	case proto.CodeTunnelOffline: // also the answer for a name nobody owns
		return "tunnel " + name + " is offline or does not exist"
	case proto.CodeTunnelBusy:
		return "tunnel " + name + " has too many requests in flight"
	}
	return "the tunnel could not reach its local app"
}
