package client

import (
	"crypto/tls"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/internal/route/targets"
	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// forwarder serves the requests arriving from the relay by passing them to local apps,
// a stream at a time (see pipe). It keeps one pool of kept-alive connections per app.
type forwarder struct {
	report   *reporter
	maxIdle  int
	appTLS   *tls.Config // for https apps; nil: the system's roots
	mu       sync.RWMutex
	routes   map[string]*route   // tunnel name -> its local apps
	pools    map[string]*appPool // scheme://host:port -> kept-alive connections
	inflight counter             // requests being served, upgraded ones included
	stall    time.Duration       // appStall; shorter in tests
}

// target is a local app of a tunnel.
type target struct {
	url    *url.URL
	prefix string // the app's path, put before every request's path
	pool   *appPool
	name   string
}

// connect takes a connection to the app; none for a path no per-path target covers.
func (t *target) connect() (*appConn, error) {
	if t.pool == nil {
		return nil, targets.ErrNoTarget
	}
	return t.pool.get()
}

// route is where a tunnel's requests go: its one app, or with per-path targets the app
// whose prefix covers the request's path (package route/targets).
type route struct {
	only *target            // a plain tunnel's app: no choice to make
	set  *targets.Set       // per-path targets; nil for a plain tunnel
	by   map[string]*target // per-path: the app of each prefix
	none *target            // per-path: a path no prefix covers (no app: no_local_target)
}

// pick returns the app for a request target (path and query, as the relay sent them).
func (rt *route) pick(requestTarget []byte) *target {
	if rt.only != nil {
		return rt.only
	}
	t, err := rt.set.Pick(string(requestTarget))
	if err != nil {
		return rt.none
	}
	return rt.by[t.Prefix]
}

func newForwarder(report *reporter, maxIdle int) *forwarder {
	return &forwarder{report: report, maxIdle: maxIdle, routes: make(map[string]*route),
		pools: make(map[string]*appPool), stall: appStall}
}

// set makes u the one app of tunnel name.
func (f *forwarder) set(name string, u *url.URL) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[name] = &route{only: f.newTarget(name, u)}
}

// setTargets gives tunnel name the apps of a per-path target set.
func (f *forwarder) setTargets(name string, set *targets.Set) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rt := &route{set: set, by: make(map[string]*target), none: &target{url: &url.URL{}, name: name}}
	for _, t := range set.Targets() {
		rt.by[t.Prefix] = f.newTarget(name, t.URL)
	}
	f.routes[name] = rt
}

// newTarget is app u of tunnel name, sharing the pool of connections to its address.
// f.mu is held.
func (f *forwarder) newTarget(name string, u *url.URL) *target {
	key := u.Scheme + "://" + dialAddr(u)
	pool := f.pools[key]
	if pool == nil {
		pool = newAppPool(u, f.maxIdle, f.appTLS)
		f.pools[key] = pool
	}
	return &target{url: u, prefix: strings.TrimSuffix(u.EscapedPath(), "/"), pool: pool, name: name}
}

// route returns how tunnel name's requests are sent, nil for a tunnel not served.
func (f *forwarder) route(name []byte) *route {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.routes[string(name)]
}

func (f *forwarder) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pools {
		p.closeIdle()
	}
}

// end closes the books on an exchange: the request line for the user, one fewer in flight.
func (f *forwarder) end(j *job, status int) {
	f.report.request(j.req.start, j.t.name, j.req.method, j.req.uri, status, time.Since(j.req.start))
	f.inflight.add(-1)
}

// streams serves the streams of one session, and can cut them all short.
type streams struct {
	f      *forwarder
	wg     sync.WaitGroup
	mu     sync.Mutex
	pipes  map[*pipe]struct{}
	closed bool
}

func newStreams(f *forwarder) *streams {
	return &streams{f: f, pipes: make(map[*pipe]struct{})}
}

// serve accepts the session's streams until it ends, serving each in its own goroutine.
func (s *streams) serve(mux *yamux.Session) {
	for {
		st, err := mux.AcceptStream()
		if err != nil {
			return
		}
		p := newPipe(s.f, st)
		if !s.add(p) {
			_ = st.Close()
			return
		}
		go func() {
			defer s.remove(p)
			p.serve()
		}()
	}
}

func (s *streams) add(p *pipe) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.pipes[p] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *streams) remove(p *pipe) {
	s.mu.Lock()
	delete(s.pipes, p)
	s.mu.Unlock()
	s.wg.Done()
}

// abort ends every exchange in flight, even one waiting on an app that reads nothing:
// each stream stops being read and written, and each app connection in use is closed.
// It does not wait for the streams' goroutines; wait does.
func (s *streams) abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for p := range s.pipes {
		_ = p.st.SetDeadline(aLongTimeAgo)
		p.abort()
	}
}

// wait waits for the goroutines of the streams to finish, after abort.
func (s *streams) wait() { s.wg.Wait() }

// appendError appends the relay's error answer for code (see wire.AppendErrorResponse),
// ending the stream after it when closing.
func appendError(b []byte, code proto.Code, msg, requestID string, closing bool) []byte {
	return wire.AppendErrorResponse(b, code, msg, requestID, closing)
}

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
