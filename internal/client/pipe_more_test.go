package client

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPipeRetriesClosedIdleConn: an app that closes each connection after answering,
// without saying so, leaves dead connections in the pool; a buffered request is sent again
// on a new one, a streamed request never takes a dead one.
func TestPipeRetriesClosedIdleConn(t *testing.T) {
	a := &app{}
	a.URL = serveConns(t, func(c net.Conn) {
		a.conns.Add(1)
		if _, _, err := readRequest(bufio.NewReader(c)); err == nil {
			io.WriteString(c, okAnswer)
		}
	})
	e := startRelayEnd(t, map[string]string{"app": a.URL})
	st := e.open(t)
	for i, req := range []string{
		"GET /1 HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\n\r\n",
		"POST /2 HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nContent-Length: 2\r\n\r\nhi",
		"POST /3 HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
		"GET /4 HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\n\r\n",
	} {
		time.Sleep(10 * time.Millisecond) // let the app's close arrive: the case under test
		st.send(t, req)
		if got := st.rawAnswer(t, "GET"); got != okAnswer {
			t.Fatalf("request %d: %q", i+1, got)
		}
	}
	if n := a.conns.Load(); n != 4 {
		t.Errorf("%d app connections, want one per request", n)
	}
}

// TestPipeStreamsEvents: a response the app sends a piece at a time reaches the relay a
// piece at a time.
func TestPipeStreamsEvents(t *testing.T) {
	next := make(chan struct{})
	app := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-next:
			case <-r.Context().Done():
				return
			}
		}
	}))
	e := startRelayEnd(t, map[string]string{"app": app})
	st := e.open(t)
	st.send(t, "GET /events HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\n\r\n")
	resp, err := http.ReadResponse(st.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		line, err := br.ReadString('\n')
		if err != nil || line != fmt.Sprintf("data: %d\n", i) {
			t.Fatalf("event %d: %q %v (held back?)", i, line, err)
		}
		br.ReadString('\n')
		next <- struct{}{}
	}
}

func TestPipeReportsRequests(t *testing.T) {
	a := startApp(t, func(string, []byte) string { return "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n" })
	e := startRelayEnd(t, map[string]string{"app": a.URL})
	st := e.open(t)
	st.send(t, "PUT /things/1?x=y HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\n\r\n")
	st.rawAnswer(t, "PUT")
	waitFor(t, "the request line", func() bool { return strings.Contains(e.lines(), "\n") })
	if line := e.lines(); !strings.Contains(line, "  PUT    /things/1?x=y  201  ") {
		t.Errorf("text line %q", line)
	}
	e.f.report.json = true
	st.send(t, "DELETE /x HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\n\r\n")
	st.rawAnswer(t, "DELETE")
	waitFor(t, "the JSON line", func() bool { return strings.Count(e.lines(), "\n") == 2 })
	var ev map[string]any
	last := strings.Split(strings.TrimSpace(e.lines()), "\n")[1]
	if err := json.Unmarshal([]byte(last), &ev); err != nil || ev["event"] != "request" || ev["method"] != "DELETE" ||
		ev["path"] != "/x" || ev["status"] != 201.0 || ev["tunnel"] != "app" || ev["duration_ms"] == nil {
		t.Errorf("JSON line %q: %v", last, err)
	}
}

// TestStreamsAbortEndsStuckExchange: stopping a session ends an exchange even when the
// app reads nothing of a large body and never answers.
func TestStreamsAbortEndsStuckExchange(t *testing.T) {
	stop := make(chan struct{})
	url := serveConns(t, func(c net.Conn) {
		if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
			<-stop // read the request line, then nothing
		}
	})
	t.Cleanup(func() { close(stop) })
	e := startRelayEnd(t, map[string]string{"app": url})
	st := e.open(t)
	go func() {
		fmt.Fprintf(st, "POST / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nContent-Length: %d\r\n\r\n", 64<<20)
		io.Copy(st, io.LimitReader(zeros{}, 64<<20))
	}()
	waitFor(t, "the request to be in flight", func() bool { return inflight(e.f) == 1 })
	time.Sleep(100 * time.Millisecond) // let the copy fill the app's socket
	done := make(chan struct{})
	go func() {
		e.mux.Close()
		e.s.abort()
		e.f.inflight.wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("stopping the session waits on an app that reads nothing")
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestPipeBigBodies moves bodies larger than every buffer both ways, framed by length
// and chunked.
func TestPipeBigBodies(t *testing.T) {
	app := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		w.Header().Set("X-Sum", fmt.Sprintf("%x %d", h.Sum(nil), n))
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", fmt.Sprint(n))
		}
		io.Copy(w, io.LimitReader(rand.NewChaCha8([32]byte{1}), n))
	}))
	e := startRelayEnd(t, map[string]string{"app": app})
	st := e.open(t)
	const size = 5<<20 + 7
	body := make([]byte, size)
	rand.NewChaCha8([32]byte{1}).Read(body)
	want := fmt.Sprintf("%x %d", sha256.Sum256(body), size)
	for _, chunked := range []bool{false, true} {
		req, _ := http.NewRequest("POST", "http://h/up?chunked="+map[bool]string{true: "1"}[chunked], bytes.NewReader(body))
		req.Header.Set("X-Hookrelay-Tunnel", "app")
		if chunked {
			req.ContentLength, req.Body = -1, io.NopCloser(bytes.NewReader(body))
		}
		go req.Write(st)
		resp, got := st.answer(t)
		if resp.Header.Get("X-Sum") != want || got != string(body) || chunked != (len(resp.TransferEncoding) > 0) {
			t.Fatalf("chunked %v: app saw %s, relay got %d bytes (%v), want %s", chunked, resp.Header.Get("X-Sum"), len(got),
				resp.TransferEncoding, want)
		}
	}
}

// TestPipeHTTPSTarget: an https app is reached over TLS, on kept-alive connections.
func TestPipeHTTPSTarget(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "tls %v %s", r.TLS != nil, r.URL.Path)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	e := startRelayEnd(t, nil)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	e.f.appTLS = &tls.Config{RootCAs: roots}
	setTarget(t, e.f, "secure", srv.URL+"/p")
	st := e.open(t)
	for range 2 {
		st.send(t, "GET /x HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: secure\r\n\r\n")
		if resp, body := st.answer(t); resp.StatusCode != 200 || body != "tls true /p/x" {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d TLS connections for 2 requests, want 1", n)
	}
}

// TestPipeEarlyAnswer: an app that answers before reading a large body, and closes, gets
// its answer to the relay; the stream, its request body unread, ends after it.
func TestPipeEarlyAnswer(t *testing.T) {
	url := serveConns(t, func(c net.Conn) {
		if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
			io.WriteString(c, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbig")
		}
	})
	e := startRelayEnd(t, map[string]string{"app": url})
	st := e.open(t)
	go func() {
		fmt.Fprintf(st, "POST / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nContent-Length: %d\r\n\r\n", 8<<20)
		io.Copy(st, io.LimitReader(zeros{}, 8<<20))
	}()
	if resp, body := st.answer(t); resp.StatusCode != http.StatusRequestEntityTooLarge || body != "big" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	if !st.closed(t) {
		t.Fatal("the stream stays open with the request body unread")
	}
	waitFor(t, "nothing in flight", func() bool { return inflight(e.f) == 0 })
}
