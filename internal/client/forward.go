package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// forwarder serves requests arriving from the relay by proxying them to local apps. It
// keeps one keep-alive pool for all of them.
type forwarder struct {
	report    *reporter
	transport *http.Transport
	proxy     *httputil.ReverseProxy
	mu        sync.RWMutex
	targets   map[string]*url.URL   // tunnel name -> local app
	pools     map[string]*wire.Pool // local app host -> kept-alive connections of the direct path
	maxIdle   int
	inflight  counter // requests being served, upgraded ones included
}

func newForwarder(report *reporter, maxIdle int, log *slog.Logger) *forwarder {
	f := &forwarder{report: report, targets: make(map[string]*url.URL), pools: make(map[string]*wire.Pool), maxIdle: maxIdle}
	f.transport = &http.Transport{
		Proxy:                 nil, // the local app is local: never via HTTP_PROXY
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          maxIdle,
		MaxIdleConnsPerHost:   maxIdle,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true, // pass bodies and Accept-Encoding through untouched
		WriteBufferSize:       32 << 10,
		ReadBufferSize:        32 << 10,
	}
	f.proxy = &httputil.ReverseProxy{Rewrite: f.rewrite, Transport: f.transport,
		ErrorHandler: f.proxyError, BufferPool: wire.BufferPool{},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	return f
}

func (f *forwarder) set(name string, target *url.URL) {
	f.mu.Lock()
	f.targets[name] = target
	f.mu.Unlock()
}

func (f *forwarder) target(name string) *url.URL {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.targets[name]
}

func (f *forwarder) close() {
	f.transport.CloseIdleConnections()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pools {
		p.CloseIdle()
	}
}

type targetKey struct{}

func (f *forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.inflight.add(1)
	defer f.inflight.add(-1)
	name := r.Header.Get(proto.HeaderTunnel)
	target := f.target(name)
	if target == nil {
		writeError(w, proto.CodeTunnelNotFound, "this client does not serve tunnel "+name)
		return
	}
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	if body, ok := smallBody(r); ok && target.Scheme == "http" && wire.Eligible(r) {
		f.serveDirect(sw, r, target, body)
	} else {
		f.proxy.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), targetKey{}, target)))
	}
	f.report.request(start, name, r.Method, r.RequestURI, sw.status, time.Since(start))
}

// rewrite forwards the request exactly as the relay sent it: same request target (under
// the target's path, if any), Host, headers and body. The relay's X-Forwarded-* pass
// through; the tunnel header, which is ours, does not.
func (f *forwarder) rewrite(pr *httputil.ProxyRequest) {
	target := pr.In.Context().Value(targetKey{}).(*url.URL)
	out := pr.Out
	out.URL.Scheme, out.URL.Host = target.Scheme, target.Host
	path, _, _ := strings.Cut(pr.In.RequestURI, "?")
	wire.SetRawPath(out.URL, strings.TrimSuffix(target.Path, "/")+path)
	out.URL.RawQuery = pr.In.URL.RawQuery
	out.Host = pr.In.Host
	for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v, ok := pr.In.Header[h]; ok {
			out.Header[h] = v
		}
	}
	out.Header.Del(proto.HeaderTunnel)
}

func (f *forwarder) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return // the relay side went away
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		writeError(w, proto.CodeLocalTimeout, "the local app did not answer in time: "+err.Error())
		return
	}
	target := r.Context().Value(targetKey{}).(*url.URL)
	writeError(w, proto.CodeLocalUnreachable, fmt.Sprintf("cannot reach the local app at %s: %v", target, err))
}

func writeError(w http.ResponseWriter, code proto.Code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(proto.HeaderError, string(code))
	w.WriteHeader(code.Status())
	var body struct {
		Error proto.Error `json:"error"`
	}
	body.Error = proto.Error{Code: code, Message: msg}
	_ = json.NewEncoder(w).Encode(body)
}

// statusWriter remembers the status for the request log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	wire.KeepAppHeaders(w.Header())
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// counter counts requests in flight. Unlike a sync.WaitGroup it may be incremented while
// someone waits for zero, as a late request on a closing session is.
type counter struct {
	mu   sync.Mutex
	n    int
	zero *sync.Cond
}

func (c *counter) add(d int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += d
	if c.n == 0 && c.zero != nil {
		c.zero.Broadcast()
	}
}

func (c *counter) wait() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.zero == nil {
		c.zero = sync.NewCond(&c.mu)
	}
	for c.n > 0 {
		c.zero.Wait()
	}
}

// maxDirectBody is the largest body the direct path reads into memory first.
const maxDirectBody = 64 << 10

// smallBody reads a body of known length up to maxDirectBody; ok is false (and the body
// untouched) for anything else.
func smallBody(r *http.Request) ([]byte, bool) {
	if r.ContentLength < 0 || r.ContentLength > maxDirectBody {
		return nil, false
	}
	if r.ContentLength == 0 {
		return nil, true
	}
	b := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(r.Body, b); err != nil {
		return nil, false
	}
	r.Body = http.NoBody
	return b, true
}

// serveDirect sends the request to the local app over a kept-alive connection of the
// direct path (see package wire) and copies the answer back to the relay.
func (f *forwarder) serveDirect(w http.ResponseWriter, r *http.Request, target *url.URL, body []byte) {
	path, _, _ := strings.Cut(r.RequestURI, "?")
	t := strings.TrimSuffix(target.Path, "/") + path
	if r.URL.RawQuery != "" {
		t += "?" + r.URL.RawQuery
	}
	head := &wire.Head{Method: r.Method, Target: t, Host: r.Host, Header: r.Header, Skip: clientSkip,
		Body: body, HadLength: len(r.Header["Content-Length"]) > 0}
	pool := f.pool(target.Host)
	c, resp, err := pool.RoundTrip(head, r, 0)
	if err != nil {
		writeError(w, proto.CodeLocalUnreachable, fmt.Sprintf("cannot reach the local app at %s: %v", target, err))
		return
	}
	if err := wire.CopyResponse(w, resp); err != nil {
		c.Close()
		panic(http.ErrAbortHandler) // the relay must see the response cut short
	}
	if resp.Close {
		c.Close()
		return
	}
	pool.Put(c)
}

// clientSkip: the tunnel header is the relay's, not the app's.
var clientSkip = map[string]bool{proto.HeaderTunnel: true}

func (f *forwarder) pool(host string) *wire.Pool {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pools[host]
	if p == nil {
		d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
		p = wire.NewPool(f.maxIdle, func() (net.Conn, error) { return d.Dial("tcp", host) })
		f.pools[host] = p
	}
	return p
}
