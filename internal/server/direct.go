package server

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// The direct path: a request whose body is already in memory (webhook-sized, read to be
// recorded before forwarding) is written straight onto a pooled yamux stream and its
// response read back there, without ReverseProxy and http.Transport. Upgrades, Expect,
// trailers and streamed bodies keep using the proxy, which handles them in full.

// direct reports whether r can take the direct path.
func direct(r *http.Request, d *delivery) bool {
	h := r.Header
	return d.inMemory && len(h["Upgrade"]) == 0 && len(h["Expect"]) == 0 && len(h["Te"]) == 0 && r.Trailer == nil
}

// streamConn is a stream kept alive between requests, with its buffers.
type streamConn struct {
	net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

// getStream takes an idle stream, or opens one; fresh reports which.
func (b *binding) getStream() (sc *streamConn, fresh bool, err error) {
	select {
	case sc := <-b.idle:
		return sc, false, nil
	default:
	}
	c, err := b.sess.mux.OpenStream()
	if err != nil {
		return nil, true, err
	}
	return &streamConn{Conn: c, br: bufio.NewReaderSize(c, 8<<10), bw: bufio.NewWriterSize(c, 8<<10)}, true, nil
}

func (b *binding) putStream(sc *streamConn) {
	select {
	case b.idle <- sc:
	default:
		sc.Close()
	}
}

// closeIdle closes the pooled streams of a binding going away.
func (b *binding) closeIdle() {
	for {
		select {
		case sc := <-b.idle:
			sc.Close()
		default:
			return
		}
	}
}

// serveDirect forwards r over a stream and copies the response to w.
func (b *binding) serveDirect(w http.ResponseWriter, r *http.Request, d *delivery) {
	sc, resp, err := b.roundTrip(r, d)
	if err != nil {
		code := classify(err, b.sess.mux)
		if errors.Is(err, errResponseTimeout) {
			code = proto.CodeLocalTimeout
		}
		d.fail(code, err)
		if cfg := b.tunnel.config(); code == proto.CodeTunnelOffline && d.requeueable(cfg) {
			d.code, d.requeued = "", true
			writeQueued(w, d, cfg.queueStatus)
			return
		}
		writeError(w, code, errorMessage(code, b.tunnel.name), d.id)
		return
	}
	if err := copyResponse(w, resp); err != nil {
		sc.Close()
		d.fail("", err)
		if _, ok := w.(*captureWriter); ok && r.Context().Value(http.ServerContextKey) != nil {
			panic(http.ErrAbortHandler) // tell the sender the response is cut short
		}
		return
	}
	if resp.Close {
		sc.Close()
		return
	}
	b.putStream(sc)
}

var errResponseTimeout = errors.New("server: local app did not answer in time")

// roundTrip writes the request and reads the response head, retrying once on a fresh
// stream when a pooled one turns out to be dead (the body is in memory, so resending is
// safe).
func (b *binding) roundTrip(r *http.Request, d *delivery) (*streamConn, *http.Response, error) {
	for attempt := 0; ; attempt++ {
		sc, fresh, err := b.getStream()
		if err != nil {
			return nil, nil, err
		}
		resp, err := b.exchange(sc, r, d)
		if err == nil {
			return sc, resp, nil
		}
		sc.Close()
		if fresh || attempt > 0 || errors.Is(err, errResponseTimeout) {
			return nil, nil, err
		}
	}
}

func (b *binding) exchange(sc *streamConn, r *http.Request, d *delivery) (*http.Response, error) {
	writeRequestHead(sc.bw, r, d, b.tunnel.name)
	sc.bw.Write(d.body)
	if err := sc.bw.Flush(); err != nil {
		return nil, err
	}
	timeout := b.tunnel.config().timeout
	_ = sc.SetReadDeadline(time.Now().Add(timeout))
	defer sc.SetReadDeadline(time.Time{})
	for {
		resp, err := http.ReadResponse(sc.br, r)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, errResponseTimeout
		}
		if err != nil || resp.StatusCode >= 200 {
			return resp, err
		}
	}
}

// hopHeaders are the hop-by-hop headers of RFC 9110 section 7.6.1, plus the relay's own.
var hopHeaders = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Content-Length": true, "X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true,
	proto.HeaderTunnel: true, proto.HeaderRequestID: true, proto.HeaderReplayOf: true, proto.HeaderVerified: true,
}

// responseHop are the hop-by-hop headers of a response (RFC 9110 section 7.6.1).
var responseHop = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// writeRequestHead writes what rewrite would have made of r: the request target and
// Host as received, the sender's headers minus hop-by-hop ones, and the relay's own.
func writeRequestHead(bw *bufio.Writer, r *http.Request, d *delivery, tunnel string) {
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(d.path)
	if d.query != "" {
		bw.WriteByte('?')
		bw.WriteString(d.query)
	}
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(r.Host)
	bw.WriteString("\r\n")
	named := connectionTokens(r.Header)
	for k, vv := range r.Header {
		if hopHeaders[k] || named[k] {
			continue
		}
		for _, v := range vv {
			writeHeader(bw, k, v)
		}
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		writeHeader(bw, "X-Forwarded-For", ip)
	}
	writeHeader(bw, "X-Forwarded-Host", r.Host)
	writeHeader(bw, "X-Forwarded-Proto", map[bool]string{true: "https", false: "http"}[r.TLS != nil])
	writeHeader(bw, proto.HeaderTunnel, tunnel)
	writeHeader(bw, proto.HeaderRequestID, d.id)
	if d.replayOf != "" {
		writeHeader(bw, proto.HeaderReplayOf, d.replayOf)
	}
	if d.verdict != "" {
		writeHeader(bw, proto.HeaderVerified, d.verdict)
	}
	if len(d.body) > 0 || len(r.Header["Content-Length"]) > 0 {
		writeHeader(bw, "Content-Length", strconv.Itoa(len(d.body)))
	}
	bw.WriteString("\r\n")
}

func writeHeader(bw *bufio.Writer, k, v string) {
	bw.WriteString(k)
	bw.WriteString(": ")
	bw.WriteString(v)
	bw.WriteString("\r\n")
}

// connectionTokens are the headers a Connection header names as hop-by-hop.
func connectionTokens(h http.Header) map[string]bool {
	vv := h["Connection"]
	if len(vv) == 0 {
		return nil
	}
	m := make(map[string]bool)
	for _, v := range vv {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				m[http.CanonicalHeaderKey(f)] = true
			}
		}
	}
	return m
}

// copyResponse writes resp to w: status, end-to-end headers and the body, flushed as it
// comes for streams of unknown length (server-sent events).
func copyResponse(w http.ResponseWriter, resp *http.Response) error {
	defer resp.Body.Close()
	named := connectionTokens(resp.Header)
	dst := w.Header()
	for k, vv := range resp.Header {
		if responseHop[k] || named[k] {
			continue
		}
		dst[k] = vv
	}
	w.WriteHeader(resp.StatusCode)
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	if resp.ContentLength >= 0 {
		_, err := io.CopyBuffer(w, resp.Body, *buf)
		return err
	}
	rc := http.NewResponseController(w)
	for {
		n, err := resp.Body.Read(*buf)
		if n > 0 {
			if _, werr := w.Write((*buf)[:n]); werr != nil {
				return werr
			}
			_ = rc.Flush()
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
