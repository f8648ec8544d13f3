package client

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/hookrelay/hookrelay/internal/route/targets"
	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// max1xx bounds the informational responses passed on before the final one.
const max1xx = 16

// respond is the responder: it answers the exchanges the pipe hands over, one at a time.
func (p *pipe) respond() {
	for j := range p.jobs {
		p.done <- p.answer(j)
	}
}

// answer copies the app's response to the exchange onto the stream, or the relay's error
// answer when there is none, and reports the request.
func (p *pipe) answer(j *job) outcome {
	bw := getWriter(p.st)
	defer putWriter(bw)
	status, oc := p.passResponse(j, bw)
	p.f.end(j, status)
	return oc
}

// passResponse passes the app's response on: status line and head with the hop-by-hop
// fields left out, body as framed. It returns the status, for the request line.
func (p *pipe) passResponse(j *job, bw *bufio.Writer) (int, outcome) {
	if j.err != nil {
		return p.answerError(j, bw, j.err)
	}
	resp, err := p.sendAndReadHead(j, bw)
	if j.body.mode == bodyBuffered {
		putBuf(j.body.buf)
		j.body.buf = nil
	}
	c := j.app
	if err != nil {
		p.closeApp(c)
		return p.answerError(j, bw, badAnswer{err})
	}
	if resp.Status == 101 {
		return p.switchProtocols(j, bw)
	}
	status, fr := resp.Status, resp.Framing(j.req.head)
	// A final answer to Expect: 100-continue before any body: the relay's sender may not
	// send the body at all, so the stream ends after this answer (see bodySent), and the
	// relay must hear so now, or it would send the body to keep the stream in use.
	early := j.cont.bodyMayNotCome()
	closing := j.req.close || fr.Kind == wire.FramedEOF || early
	_, _ = bw.Write(resp.AppendHead(bw.AvailableBuffer(), closing))
	c.heads.Release()
	if err := wire.CopyBody(bw, c.heads.Reader(), fr); err != nil {
		p.closeApp(c)
		p.stopStream()
		return status, outcome{close: true}
	}
	return status, p.finish(j, c, closing, !resp.Close && fr.Kind != wire.FramedEOF)
}

// earlyAnswerGrace is how long the rest of a streamed body may take to reach an app
// that answered before reading all of it.
const earlyAnswerGrace = 5 * time.Second

// finish ends an exchange whose response went through: the app connection goes back to
// the pool if it can serve again (keep), and the stream ends if it must (closing) or if
// the app answered before the request's body was through.
func (p *pipe) finish(j *job, c *appConn, closing, keep bool) outcome {
	if !p.bodySent(j, c) {
		closing, keep = true, false
	}
	if closing {
		p.stopStream()
	}
	if p.detachApp(c) && keep {
		j.t.pool.put(c) // from here on c, and c.resp, are another exchange's
	} else {
		c.Close()
	}
	return outcome{close: closing}
}

// bodySent reports whether the request's body reached the app whole. An app may answer
// before the pipe is through with a streamed body: if the relay sends no body after a
// final answer to Expect: 100-continue, the pipe stops waiting for it; otherwise the body
// still comes, and the pipe gets earlyAnswerGrace to pass it on.
func (p *pipe) bodySent(j *job, c *appConn) bool {
	if j.body.sent.Load() || j.body.mode == bodyBuffered {
		return j.body.sent.Load()
	}
	if j.cont.bodyMayNotCome() {
		_ = c.SetWriteDeadline(aLongTimeAgo)
		p.stopStream() // the pipe waits for a body that will not come
		return false
	}
	_ = c.SetWriteDeadline(time.Now().Add(earlyAnswerGrace))
	<-j.body.end
	if !j.body.sent.Load() {
		return false
	}
	_ = c.SetWriteDeadline(time.Time{}) // the connection may serve again
	return true
}

// mayResend reports whether a request whose attempt n failed may be written again on a
// new connection to the app: wire.MayResend decides, for both hops.
func (p *pipe) mayResend(j *job, n int, got bool, err error) bool {
	return wire.MayResend(wire.Attempt{
		N: n, Err: err, Got: got, Buffered: j.body.mode == bodyBuffered, Reused: j.app.reused,
		Aborted: p.isAborted(), Reached: j.body.sent.Load(), Method: j.req.method,
	})
}

// sendAndReadHead sends a buffered request, or waits on a streamed one, and reads the
// final response head, passing 1xx responses on; a failed attempt is made again when
// mayResend says so.
func (p *pipe) sendAndReadHead(j *job, bw *bufio.Writer) (*wire.Response, error) {
	for n := 0; ; n++ {
		resp, got, err := p.tryOnce(j, bw)
		if !p.mayResend(j, n, got, err) {
			return resp, err
		}
		p.closeApp(j.app)
		if j.app, err = j.t.pool.connect(); err != nil {
			return nil, err
		}
		if !p.attachApp(j.app) {
			return nil, errAborted
		}
	}
}

// tryOnce writes a buffered request and reads the response; got reports that something
// came back.
func (p *pipe) tryOnce(j *job, bw *bufio.Writer) (resp *wire.Response, got bool, err error) {
	c := j.app
	if j.body.mode == bodyBuffered {
		if _, err := c.Write(j.body.whole()); err != nil {
			return nil, false, fmt.Errorf("send request: %w", err)
		}
		j.body.sent.Store(true)
	}
	for n := 0; ; n++ {
		raw, err := c.heads.Next(wire.MaxResponseHead)
		if err != nil {
			return nil, got, fmt.Errorf("read response: %w", err)
		}
		got = true
		if err := c.resp.Parse(raw); err != nil {
			c.heads.Release()
			return nil, got, err
		}
		if !c.resp.Informational() {
			return &c.resp, got, nil
		}
		if n == max1xx {
			c.heads.Release()
			return nil, got, errors.New("too many 1xx responses")
		}
		if c.resp.Status == 100 {
			j.cont.proceed()
		}
		_, _ = bw.Write(c.resp.AppendHead(bw.AvailableBuffer(), false))
		c.heads.Release()
		if err := bw.Flush(); err != nil {
			return nil, got, fmt.Errorf("pass on a 1xx response: %w", err)
		}
	}
}

// switchProtocols passes a 101 on and copies the app's side of the new protocol to the
// stream, while the pipe copies the other side, until either ends.
func (p *pipe) switchProtocols(j *job, bw *bufio.Writer) (int, outcome) {
	c := j.app
	if len(j.req.upgrade) == 0 || !bytes.EqualFold(c.resp.Upgrade, j.req.upgrade) {
		err := fmt.Errorf("the app switched to protocol %q when %q was asked", c.resp.Upgrade, j.req.upgrade)
		c.heads.Release()
		p.closeApp(c)
		return p.answerError(j, bw, err)
	}
	_, _ = bw.Write(c.resp.AppendHead(bw.AvailableBuffer(), false))
	c.heads.Release()
	if err := bw.Flush(); err != nil {
		p.closeApp(c)
		p.stopStream()
		return 101, outcome{close: true}
	}
	p.done <- outcome{upgraded: true}
	_, _ = c.heads.Reader().WriteTo(p.st)
	p.stopStream()
	p.closeApp(c)
	return 101, outcome{close: true}
}

// answerError answers an exchange that got no response with the relay's error, the one the
// net/http path answered: local_unreachable, or local_timeout when connecting timed out.
// Nothing is answered when the relay gave up.
func (p *pipe) answerError(j *job, bw *bufio.Writer, err error) (int, outcome) {
	if p.isAborted() {
		return 0, outcome{close: true}
	}
	// The answer goes to the public sender: it names neither the app's address nor the
	// error's detail, which the client prints locally.
	code, msg := proto.CodeLocalUnreachable, "the local app is not reachable"
	var bad badAnswer
	switch {
	case wire.IsTimeout(err):
		code, msg = proto.CodeLocalTimeout, "the local app did not answer in time"
	case errors.As(err, &bad):
		code, msg = proto.CodeLocalBadResponse, "the local app gave no HTTP answer"
	case errors.Is(err, targets.ErrNoTarget):
		code, msg = proto.CodeNoLocalTarget, "this tunnel's client has no local target for the path"
	}
	p.f.report.appError(j.t.url, j.req.uri, err)
	closing := j.body.mode != bodyBuffered || j.req.close
	_, _ = bw.Write(appendError(bw.AvailableBuffer(), code, msg, string(j.req.id), closing))
	if bw.Flush() != nil || closing {
		p.stopStream()
		return code.Status(), outcome{close: true}
	}
	return code.Status(), outcome{}
}

// badAnswer is a failed exchange with an app connection that was open: the app reset or
// closed it, or wrote something that is not an HTTP response (local_bad_response rather
// than local_unreachable, which is for an app that cannot be connected to).
type badAnswer struct{ err error }

func (b badAnswer) Error() string { return b.err.Error() }
func (b badAnswer) Unwrap() error { return b.err }

// stopStream stops the pipe's reading of the stream: the stream is closing.
func (p *pipe) stopStream() { _ = p.st.SetReadDeadline(aLongTimeAgo) }

// closeApp closes an app connection that cannot serve again.
func (p *pipe) closeApp(c *appConn) {
	if c != nil {
		p.detachApp(c)
		c.Close()
	}
}
