package client

import (
	"bufio"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// maxBuffered is the largest request (head and body) read whole before it goes to the
// app: such a request can be sent again when a kept-alive connection turns out dead.
const maxBuffered = 64 << 10

// aLongTimeAgo is a deadline in the past: it makes blocked reads and writes return.
var aLongTimeAgo = time.Unix(1, 0)

var errAborted = errors.New("the relay gave up on the request")

// pipe serves one stream of a session (see "Life of a request on the client" in doc.go).
// The relay writes HTTP/1.1 requests on it one after the other (proto, step 4); for
// each, the pipe reads the head, writes it to a kept-alive connection to the local app
// with the tunnel header and the hop-by-hop fields left out and the app's path prefix
// applied, copies the body as framed, and a second goroutine, the responder, copies the
// app's answer back byte for byte. Meanwhile the pipe watches the stream: the relay
// closing it (it gave up, its sender went away) aborts the exchange, so an app that
// never answers holds nothing for long.
type pipe struct {
	f     *forwarder
	st    net.Conn
	heads wire.HeadReader // reads the stream
	req   wire.Request
	job   job
	jobs  chan *job    // to the responder; nil until the first request
	done  chan outcome // from the responder

	mu      sync.Mutex
	app     *appConn // the app connection of the exchange in flight
	aborted bool     // the stream is dead: stop the exchange, answer nothing
}

// job is one exchange, handed from the pipe to the responder. The pipe fills it from
// the request's head; from then on the two goroutines share it: the pipe sends the body
// (body), the responder answers (app, cont), and both read the facts (req).
type job struct {
	t    *target
	app  *appConn // the app connection; nil when err says why there is none
	err  error
	req  requestFacts
	body requestBody
	cont continueState
}

// requestFacts are what answering and reporting need of the request's head, copied out
// of it: the head's bytes go back to the stream's reader before the exchange.
type requestFacts struct {
	method  string
	uri     string
	head    bool   // a HEAD request: no response body
	upgrade []byte // the protocol asked for, if any
	id      []byte // the relay's request id, for the client's own error answers
	close   bool   // the stream closes after this exchange
	start   time.Time
}

// bodyMode is how a request travels to the app.
type bodyMode uint8

const (
	// bodyBuffered: head and body were read whole from the stream first (at most
	// maxBuffered), so the request can be written again (see mayResend).
	bodyBuffered bodyMode = iota
	// bodyStreamed: the head goes first and the pipe copies the body as it arrives
	// (chunked, large, Expect: 100-continue, upgrades); it can be sent only once.
	bodyStreamed
)

// requestBody is the request on its way to the app.
type requestBody struct {
	mode bodyMode
	buf  *[]byte       // the head for the app, then, when buffered, the body: pooled
	end  chan struct{} // streamed: closed when the pipe stops sending the body
	sent atomic.Bool   // the whole request reached the app
}

// whole is a buffered request's bytes, head and body.
func (b *requestBody) whole() []byte { return *b.buf }

// continueState is where a request stands with Expect: 100-continue (RFC 9110 section
// 10.1.1). The relay's sender then sends the body only after a 100 Continue, or after
// its own wait; an app that gives a final answer first may never get the body, and the
// pipe must not wait for one. Set by both goroutines: the responder passes a 100 on, the
// pipe sees the body begin.
type continueState struct{ v atomic.Uint32 }

const (
	noExpect    = iota // no Expect: 100-continue (or no body to expect)
	awaiting100        // neither a 100 went to the relay nor did the body begin
	continued          // one of them happened: the body comes
)

func (c *continueState) reset(expect bool) {
	if expect {
		c.v.Store(awaiting100)
	} else {
		c.v.Store(noExpect)
	}
}

// expected reports whether the request asked for a 100 Continue.
func (c *continueState) expected() bool { return c.v.Load() != noExpect }

// proceed records that a 100 went to the relay or that the body began to come.
func (c *continueState) proceed() { c.v.CompareAndSwap(awaiting100, continued) }

// bodyMayNotCome reports whether the relay may never send the body: a final answer now
// would be one before the sender was told to go on.
func (c *continueState) bodyMayNotCome() bool { return c.v.Load() == awaiting100 }

// outcome is the responder's word on an exchange.
type outcome struct {
	upgraded bool // the app switched protocols: copy the stream to it until either ends
	close    bool // the stream must close
}

func newPipe(f *forwarder, st net.Conn) *pipe {
	return &pipe{f: f, st: st, heads: wire.NewHeadReader(bufio.NewReaderSize(st, 8<<10))}
}

// serve serves requests until the stream ends or must close.
func (p *pipe) serve() {
	for p.serveOne() {
	}
	if p.jobs != nil {
		close(p.jobs)
	}
	_ = p.st.Close()
}

// serveOne reads a request's head, refuses it or starts its exchange; false when the
// stream is done.
func (p *pipe) serveOne() bool {
	raw, err := p.heads.Next(wire.MaxRequestHead)
	if err != nil {
		if errors.Is(err, wire.ErrHeadTooLarge) {
			p.refuse(proto.CodeBadRequest, "request head too large")
		}
		return false
	}
	r := &p.req
	if err := r.Parse(raw); err != nil {
		p.heads.Release()
		p.refuse(proto.CodeBadRequest, "cannot parse the request: "+err.Error())
		return false
	}
	rt := p.f.route(r.Tunnel)
	if rt == nil {
		name := string(r.Tunnel)
		p.heads.Release()
		p.refuse(proto.CodeTunnelNotFound, "this client does not serve tunnel "+name)
		return false
	}
	fr := r.Framing()
	return p.forward(p.startJob(rt.pick(r.Target)), fr)
}

// startJob fills the job for the request just parsed, its head for the app included, and
// releases the request's head.
func (p *pipe) startJob(t *target) *job {
	r, j := &p.req, &p.job
	j.t, j.app, j.err = t, nil, nil
	j.req = requestFacts{method: methodString(r.Method), uri: string(r.Target), head: string(r.Method) == "HEAD",
		upgrade: append(j.req.upgrade[:0], r.Upgrade...), id: append(j.req.id[:0], r.ID...), close: r.Close,
		start: time.Now()}
	j.cont.reset(r.Expect)
	j.body.buf, j.body.end = getBuf(), nil
	j.body.sent.Store(false)
	*j.body.buf = r.AppendHead((*j.body.buf)[:0], t.prefix, t.url.Host)
	p.heads.Release()
	return j
}

// readsWhole reports whether a request is read whole before it goes to the app: a
// small one with a length (or none), not waiting for a 100, not an upgrade.
func readsWhole(j *job, fr wire.Framing) bool {
	return fr.Kind != wire.FramedChunked && !j.cont.expected() && len(j.req.upgrade) == 0 &&
		int64(len(*j.body.buf))+fr.N <= maxBuffered
}

// forward sends the request to the app, buffered or streamed, with the responder
// answering; it reports whether the stream serves another request.
func (p *pipe) forward(j *job, fr wire.Framing) bool {
	p.f.inflight.add(1)
	if readsWhole(j, fr) {
		return p.forwardBuffered(j, fr.N)
	}
	return p.forwardStreamed(j, fr)
}

// forwardBuffered reads the body whole and hands the request to the responder, which
// writes it.
func (p *pipe) forwardBuffered(j *job, n int64) bool {
	out, err := readBody(*j.body.buf, p.heads.Reader(), n)
	*j.body.buf = out
	if err != nil { // the relay went away mid-body
		putBuf(j.body.buf)
		p.f.end(j, 0)
		return false
	}
	j.body.mode = bodyBuffered
	j.app, j.err = j.t.connect()
	p.handOff(j)
	return p.awaitAnswer(j, true, false)
}

// forwardStreamed hands the exchange to the responder first (the answer may start
// before the body is through: 100-continue), then writes the head and copies the body.
func (p *pipe) forwardStreamed(j *job, fr wire.Framing) bool {
	j.body.mode = bodyStreamed
	j.app, j.err = j.t.connect()
	j.body.end = make(chan struct{})
	if !p.handOff(j) {
		putBuf(j.body.buf)
		close(j.body.end)
		return p.awaitAnswer(j, false, false)
	}
	err := p.sendStreamed(j, fr)
	if err != nil && !wire.IsReadError(err) && wire.IsTimeout(err) {
		p.abort() // the app stopped reading: give the exchange up
	}
	close(j.body.end)
	return p.awaitAnswer(j, err == nil, err != nil && wire.IsReadError(err))
}

// sendStreamed writes the head and copies the body to the app as it arrives.
// An app that stops reading a streamed body makes the copy fail after appStall without
// progress, which ends the exchange: nothing else would, since the pipe does not read
// the stream (and so does not see the relay give up) while it is blocked writing.
func (p *pipe) sendStreamed(j *job, fr wire.Framing) error {
	w := getWriter(stallWriter{j.app, p.f.stall})
	defer putWriter(w)
	_, err := w.Write(*j.body.buf)
	putBuf(j.body.buf)
	if err != nil {
		return &wire.CopyError{Err: err}
	}
	if j.cont.expected() { // the body comes after a 100, or once the relay stops waiting for one
		if err := w.Flush(); err != nil {
			return &wire.CopyError{Err: err}
		}
		if _, err := p.heads.Reader().Peek(1); err != nil {
			return &wire.CopyError{Read: true, Err: err}
		}
		j.cont.proceed()
	}
	if err := wire.CopyBody(w, p.heads.Reader(), fr); err != nil {
		return err
	}
	_ = j.app.SetWriteDeadline(time.Time{})
	j.body.sent.Store(true)
	return nil
}

// appStall is how long a write of a streamed body to the app may make no progress.
const appStall = 30 * time.Second

// stallWriter gives every write to the app a time limit to go through.
type stallWriter struct {
	c     net.Conn
	limit time.Duration
}

func (w stallWriter) Write(b []byte) (int, error) {
	_ = w.c.SetWriteDeadline(time.Now().Add(w.limit))
	return w.c.Write(b)
}

// handOff gives the exchange to the responder, starting it for the first request; false
// when there is no app connection to send the request on.
func (p *pipe) handOff(j *job) bool {
	if j.app != nil && !p.attachApp(j.app) {
		j.app.Close()
		j.app, j.err = nil, errAborted
	}
	if p.jobs == nil {
		p.jobs, p.done = make(chan *job), make(chan outcome, 1)
		go p.respond()
	}
	ok := j.app != nil // read before the responder owns j
	p.jobs <- j
	return ok
}

// awaitAnswer waits for the responder to finish the exchange while it watches the
// stream: once the request is read whole (read), the next thing the relay does is either
// the next request or closing the stream, which aborts the exchange; dead says the
// stream already failed. An upgraded exchange copies the stream to the app here until
// either ends. It reports whether the stream serves another request.
func (p *pipe) awaitAnswer(j *job, read, dead bool) bool {
	var err error = io.ErrUnexpectedEOF
	if read {
		// Blocks until the relay writes again (the next request, sent only after this
		// answer, or an upgraded protocol's bytes) or the stream fails.
		_, err = p.heads.Reader().Peek(1)
		dead = err != nil
	}
	for {
		var oc outcome
		select {
		case oc = <-p.done: // answered before the stream failed: nothing to abort
		default:
			if dead {
				p.abort() // unblocks the responder wherever it waits on the app
			}
			oc = <-p.done
		}
		if !oc.upgraded {
			return !oc.close && err == nil
		}
		// A 101: the stream now carries the new protocol, relay to app, until either
		// side ends; the responder copies the other way and reports once more.
		if err == nil && !dead {
			_, _ = p.heads.Reader().WriteTo(j.app)
		}
		dead = true
		p.abort()
	}
}

// refuse answers a request the relay's client itself cannot serve, and closes the stream.
func (p *pipe) refuse(code proto.Code, msg string) {
	_, _ = p.st.Write(appendError(nil, code, msg, "", true))
}

// attachApp records the app connection of the exchange in flight, for abort to close;
// false if the stream is already dead.
func (p *pipe) attachApp(c *appConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.aborted {
		return false
	}
	p.app = c
	return true
}

// detachApp forgets c as the exchange's connection; false if the exchange was aborted,
// which leaves c unusable.
func (p *pipe) detachApp(c *appConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.app == c {
		p.app = nil
	}
	return !p.aborted
}

// abort marks the stream dead and closes the app connection of the exchange in flight,
// which makes every read and write on it return (a deadline would not do: the body copy
// sets a new one before each write).
func (p *pipe) abort() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.aborted = true
	if p.app != nil {
		_ = p.app.Close()
	}
}

func (p *pipe) isAborted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.aborted
}

// readBody appends n bytes of body from br to b.
func readBody(b []byte, br *bufio.Reader, n int64) ([]byte, error) {
	start := len(b)
	b = slices.Grow(b, int(n))[:start+int(n)]
	_, err := io.ReadFull(br, b[start:])
	return b, err
}

var (
	bufs    = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}
)

func getBuf() *[]byte { return bufs.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) <= maxBuffered+8<<10 {
		bufs.Put(b)
	}
}

func getWriter(w io.Writer) *bufio.Writer {
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

func putWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	writers.Put(bw)
}

// methodString returns the method as a string, without allocating for common ones.
func methodString(m []byte) string {
	switch string(m) {
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "PATCH":
		return "PATCH"
	case "DELETE":
		return "DELETE"
	case "HEAD":
		return "HEAD"
	case "OPTIONS":
		return "OPTIONS"
	}
	return string(m)
}
