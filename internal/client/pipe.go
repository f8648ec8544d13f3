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

// pipe serves one stream of a session. The relay writes HTTP/1.1 requests on it one after
// the other (proto, step 4); for each, the pipe reads the head, writes it to a kept-alive
// connection to the local app with the tunnel header and the hop-by-hop fields left out
// and the app's path prefix applied, copies the body as framed, and a second goroutine,
// the responder, copies the app's answer back byte for byte. Meanwhile the pipe watches
// the stream: the relay closing it (it gave up, its sender went away) aborts the
// exchange, so an app that never answers holds nothing for long.
type pipe struct {
	f     *forwarder
	st    net.Conn
	heads wire.HeadReader // reads the stream
	req   wire.Request
	job   job
	jobs  chan *job    // to the responder; nil until the first wire.Request
	done  chan outcome // from the responder

	mu      sync.Mutex
	app     *appConn // the app connection of the exchange in flight
	aborted bool     // the stream is dead: stop the exchange, answer nothing
}

// job is a request handed to the responder.
type job struct {
	t         *target
	app       *appConn
	err       error         // no connection to the app: the error to answer
	buf       *[]byte       // holds out
	out       []byte        // the whole request when it can be sent again; nil when streamed
	sent      atomic.Bool   // the request reached the app whole
	whole     bool          // the request was read whole from the stream before the exchange
	bodyEnd   chan struct{} // closed when the pipe stops sending a streamed body
	expect    bool          // Expect: 100-continue, so the relay sends the body only after a 100
	went100   atomic.Bool   // a 100 Continue was passed on to the relay
	bodyBegun atomic.Bool   // the first bytes of an Expect request's body came
	head      bool          // a HEAD request: no response body
	upgrade   []byte        // the protocol asked for, if any
	id        []byte        // the relay's request id, for the client's own error answers
	close     bool          // the stream closes after this exchange
	method    string
	uri       string
	start     time.Time
}

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
	for p.next() {
	}
	if p.jobs != nil {
		close(p.jobs)
	}
	_ = p.st.Close()
}

// next serves one request; false when the stream is done.
func (p *pipe) next() bool {
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
	t := p.f.target(r.Tunnel)
	if t == nil {
		name := string(r.Tunnel)
		p.heads.Release()
		p.refuse(proto.CodeTunnelNotFound, "this client does not serve tunnel "+name)
		return false
	}
	fr := r.Framing()
	j := p.prepare(t)
	return p.exchange(j, fr)
}

// prepare fills the job for the request just parsed, its head for the app included, and
// releases the request's head.
func (p *pipe) prepare(t *target) *job {
	r, j := &p.req, &p.job
	j.t, j.app, j.err, j.out, j.whole, j.bodyEnd, j.expect = t, nil, nil, nil, false, nil, r.Expect
	j.sent.Store(false)
	j.went100.Store(false)
	j.bodyBegun.Store(false)
	j.head, j.close = string(r.Method) == "HEAD", r.Close
	j.upgrade = append(j.upgrade[:0], r.Upgrade...)
	j.id = append(j.id[:0], r.ID...)
	j.method, j.uri, j.start = methodString(r.Method), string(r.Target), time.Now()
	j.buf = getBuf()
	*j.buf = r.AppendHead((*j.buf)[:0], t.prefix, t.url.Host)
	p.heads.Release()
	return j
}

// exchange forwards the request's body and hands the exchange to the responder; it
// reports whether the stream serves another request.
func (p *pipe) exchange(j *job, fr wire.Framing) bool {
	p.f.inflight.add(1)
	if fr.Kind != wire.FramedChunked && !p.req.Expect && len(j.upgrade) == 0 && int64(len(*j.buf))+fr.N <= maxBuffered {
		out, err := readBody(*j.buf, p.heads.Reader(), fr.N)
		*j.buf = out
		if err != nil { // the relay went away mid-body
			putBuf(j.buf)
			p.f.end(j, 0)
			return false
		}
		j.out, j.whole = out, true
		j.app, j.err = j.t.pool.get()
		p.handOff(j)
		return p.await(j, true, false)
	}
	j.app, j.err = j.t.pool.get()
	j.bodyEnd = make(chan struct{})
	if !p.handOff(j) { // the answer may start before the body is through: 100-continue
		putBuf(j.buf)
		close(j.bodyEnd)
		return p.await(j, false, false)
	}
	err := p.sendStreamed(j, fr)
	if err != nil && !wire.IsReadError(err) && isTimeout(err) {
		p.abort() // the app stopped reading: give the exchange up
	}
	close(j.bodyEnd)
	return p.await(j, err == nil, err != nil && wire.IsReadError(err))
}

// sendStreamed writes the head and copies the body to the app as it arrives.
// An app that stops reading a streamed body makes the copy fail after appStall without
// progress, which ends the exchange: nothing else would, since the pipe does not read
// the stream (and so does not see the relay give up) while it is blocked writing.
func (p *pipe) sendStreamed(j *job, fr wire.Framing) error {
	w := getWriter(stallWriter{j.app, p.f.stall})
	defer putWriter(w)
	_, err := w.Write(*j.buf)
	putBuf(j.buf)
	if err != nil {
		return &wire.CopyError{Err: err}
	}
	if j.expect { // the body comes after a 100, or once the relay stops waiting for one
		if err := w.Flush(); err != nil {
			return &wire.CopyError{Err: err}
		}
		if _, err := p.heads.Reader().Peek(1); err != nil {
			return &wire.CopyError{Read: true, Err: err}
		}
		j.bodyBegun.Store(true)
	}
	if err := wire.CopyBody(w, p.heads.Reader(), fr); err != nil {
		return err
	}
	_ = j.app.SetWriteDeadline(time.Time{})
	j.sent.Store(true)
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
	if j.app != nil && !p.setApp(j.app) {
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

// await waits for the responder to finish the exchange while it watches the stream:
// once the request is read whole (read), the next thing the relay does is either the
// next request or closing the stream, which aborts the exchange; dead says the stream
// already failed. It reports whether the stream serves another request.
func (p *pipe) await(j *job, read, dead bool) bool {
	var err error = io.ErrUnexpectedEOF
	if read {
		_, err = p.heads.Reader().Peek(1)
		dead = err != nil
	}
	for {
		var oc outcome
		select {
		case oc = <-p.done:
		default:
			if dead {
				p.abort()
			}
			oc = <-p.done
		}
		if !oc.upgraded {
			return !oc.close && err == nil
		}
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

// setApp records the app connection of the exchange in flight; false if the stream is
// already dead.
func (p *pipe) setApp(c *appConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.aborted {
		return false
	}
	p.app = c
	return true
}

// release forgets c as the exchange's connection; false if the exchange was aborted,
// which leaves c unusable.
func (p *pipe) release(c *appConn) bool {
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
