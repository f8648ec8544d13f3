package faultsuite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// Headers the suite's senders and app speak.
const (
	// SendHeader carries the sender's id of a request.
	SendHeader = "X-Fault-Send"
	// answerHeader asks the app for a status; delayHeader for a pause before it answers.
	answerHeader = "X-Fault-Answer"
	delayHeader  = "X-Fault-Delay"
	// appMark is set by the app on every answer, so a sender knows the app wrote it.
	appMark = "X-Fault-App"
	// respSizeHeader asks for an answer body of that many bytes (default
	// defaultRespSize), respPaceHeader for writing it over that many milliseconds.
	respSizeHeader = "X-Fault-Resp-Size"
	respPaceHeader = "X-Fault-Resp-Pace"
	// breakHeader makes the app break its answer (see appBreaks).
	breakHeader = "X-Fault-Break"
	// stallHeader makes the app stop reading the body after stallAfter bytes for that
	// many milliseconds (or until the test ends).
	stallHeader = "X-Fault-Stall"
	// trickleHeader makes the app read the body at that many bytes a second.
	trickleHeader = "X-Fault-Trickle"
)

// stallAfter is how much of a body the app reads before a stall.
const stallAfter = 64 << 10

// defaultRespSize is the answer body's size when the sender asks for none.
const defaultRespSize = 32

// answerBody is the deterministic answer body of send id.
func answerBody(id string, size int) []byte { return body(id+"/answer", size) }

// app is the local app behind the tunnel: it reads every body to its end, hashing it,
// and remembers what it read.
type app struct {
	url string
	srv *httptest.Server

	quit chan struct{} // closed when the test ends: stalls give up

	mu         sync.Mutex
	started    int // requests whose head the app has read
	got        []Received
	incomplete int // requests whose body ended in an error
	cond       *sync.Cond
}

// startApp serves the app on a loopback listener until the test ends.
func startApp(t *testing.T, readBuffer int) *app {
	a := &app{quit: make(chan struct{})}
	a.cond = sync.NewCond(&a.mu)
	a.srv = httptest.NewUnstartedServer(http.HandlerFunc(a.serve))
	if readBuffer > 0 {
		a.srv.Listener.Close()
		a.srv.Listener = smallBufferListener(t, readBuffer)
	}
	a.srv.Start()
	a.url = a.srv.URL
	t.Cleanup(func() {
		close(a.quit)
		a.srv.Close()
	})
	return a
}

func (a *app) serve(w http.ResponseWriter, r *http.Request) {
	// A client that stalls mid-body must not hang the app (and the test) for ever.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(scaled(3 * time.Minute)))
	a.mu.Lock()
	a.started++
	a.mu.Unlock()
	a.cond.Broadcast()
	h := sha256.New()
	n, err := a.read(h, r)
	if err != nil {
		a.mu.Lock()
		a.incomplete++
		a.mu.Unlock()
		return
	}
	status := http.StatusOK
	if s, err := strconv.Atoi(r.Header.Get(answerHeader)); err == nil {
		status = s
	}
	if ms, err := strconv.Atoi(r.Header.Get(delayHeader)); err == nil {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	brk := appBreaks[r.Header.Get(breakHeader)]
	if brk != nil {
		status = 0 // no answer worth the name
	}
	a.record(Received{Send: r.Header.Get(SendHeader), RequestID: r.Header.Get(proto.HeaderRequestID),
		ReplayOf: r.Header.Get(proto.HeaderReplayOf), Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Status: status})
	if brk != nil {
		brk(w)
		return
	}
	a.answer(w, r, status)
}

// errAppQuit ends a stalled read when the test ends.
var errAppQuit = errors.New("faultsuite: app stopped")

// read copies the request body into h, stalling midway when asked.
func (a *app) read(h io.Writer, r *http.Request) (int64, error) {
	if rate, _ := strconv.Atoi(r.Header.Get(trickleHeader)); rate > 0 {
		return a.trickle(h, r.Body, rate)
	}
	ms, _ := strconv.Atoi(r.Header.Get(stallHeader))
	if ms <= 0 {
		return io.Copy(h, r.Body)
	}
	n, err := io.CopyN(h, r.Body, stallAfter)
	if err != nil {
		return n, nil // a body shorter than stallAfter: all read
	}
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
	case <-a.quit:
		return n, errAppQuit
	}
	m, err := io.Copy(h, r.Body)
	return n + m, err
}

// trickle copies body into h at rate bytes a second, a tenth of a second's worth at a
// time, until the body ends or the test does.
func (a *app) trickle(h io.Writer, body io.Reader, rate int) (int64, error) {
	var n int64
	step := max(rate/10, 1)
	for {
		m, err := io.CopyN(h, body, int64(step))
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-a.quit:
			return n, errAppQuit
		}
	}
}

// appBreaks are the ways the app can fail to answer, by breakHeader value.
var appBreaks = map[string]func(http.ResponseWriter){
	// reset: the connection is reset (RST) without a byte of answer.
	"reset": func(w http.ResponseWriter) {
		conn := hijack(w)
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	},
	// close: the connection is closed without a byte of answer.
	"close": func(w http.ResponseWriter) { _ = hijack(w).Close() },
	// garbage: bytes that are not HTTP, then close.
	"garbage": func(w http.ResponseWriter) {
		conn := hijack(w)
		_, _ = io.WriteString(conn, "this is not HTTP at all\r\n\r\n")
		_ = conn.Close()
	},
	// half: a 200 with Content-Length 4096, 100 bytes of it, then the connection ends.
	"half": func(w http.ResponseWriter) {
		w.Header().Set("Content-Length", "4096")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(make([]byte, 100))
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	},
}

func hijack(w http.ResponseWriter) net.Conn {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	return conn
}

// answer writes the send's answer body, paced when asked.
func (a *app) answer(w http.ResponseWriter, r *http.Request, status int) {
	size := defaultRespSize
	if n, err := strconv.Atoi(r.Header.Get(respSizeHeader)); err == nil {
		size = n
	}
	b := answerBody(r.Header.Get(SendHeader), size)
	w.Header().Set(appMark, r.Header.Get(SendHeader))
	w.Header().Set("Content-Type", "application/octet-stream")
	ms, _ := strconv.Atoi(r.Header.Get(respPaceHeader))
	if ms <= 0 {
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		_, _ = w.Write(b)
		return
	}
	w.WriteHeader(status)
	rc := http.NewResponseController(w)
	pause := time.Duration(ms) * time.Millisecond / time.Duration(len(b)/(16<<10)+1)
	for len(b) > 0 {
		n := min(len(b), 16<<10)
		if _, err := w.Write(b[:n]); err != nil {
			return
		}
		_ = rc.Flush()
		b = b[n:]
		time.Sleep(pause)
	}
}

// record notes a delivery before its answer goes out: the relay may be killed while the
// answer is on its way, and the app did read the request.
func (a *app) record(r Received) {
	a.mu.Lock()
	a.got = append(a.got, r)
	a.mu.Unlock()
	a.cond.Broadcast()
}

// received is a copy of what the app has read so far.
func (a *app) received() []Received {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Received(nil), a.got...)
}

// incompleteCount is how many requests ended before their body did.
func (a *app) incompleteCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.incomplete
}

// waitFor waits until ok accepts what the app has read, or timeout passes.
func (a *app) waitFor(timeout time.Duration, ok func([]Received) bool) bool {
	deadline := time.Now().Add(timeout)
	stop := time.AfterFunc(timeout, func() { // under the lock, so no waiter misses it
		a.mu.Lock()
		a.cond.Broadcast()
		a.mu.Unlock()
	})
	defer stop.Stop()
	a.mu.Lock()
	defer a.mu.Unlock()
	for !ok(a.got) {
		if time.Now().After(deadline) {
			return false
		}
		a.cond.Wait()
	}
	return true
}

// startedCount is how many requests the app has begun to read.
func (a *app) startedCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.started
}

// awaitStarted waits until the app has begun to read n requests, or timeout passes.
func (a *app) awaitStarted(n int, timeout time.Duration) bool {
	return a.waitFor(timeout, func([]Received) bool { return a.started >= n })
}

// hasAll reports whether the app has read every send in ids.
func hasAll(ids map[string]bool) func([]Received) bool {
	return func(got []Received) bool {
		seen := make(map[string]bool, len(ids))
		for _, r := range got {
			if ids[r.Send] {
				seen[r.Send] = true
			}
		}
		return len(seen) == len(ids)
	}
}

// smallBufferListener listens on loopback with SO_RCVBUF set before any connection is
// accepted, so accepted connections inherit it (and advertise a window to match).
func smallBufferListener(t *testing.T, size int) net.Listener {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, size)
		})
		return errors.Join(err, serr)
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("app listener: %v", err)
	}
	return ln
}
