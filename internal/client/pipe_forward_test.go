package client

// Forwarding: requests reach the app as received, answers reach the relay as the app framed them.

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
	"sync"
	"sync/atomic"
	"testing"
)

const okAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-App: 1\r\n\r\nok"

func TestPipeForwardsAsReceived(t *testing.T) {
	a := startApp(t, func(string, []byte) string { return okAnswer })
	e := startRelayEnd(t, map[string]string{"app": a.URL + "/base/"})
	st := e.open(t)
	req := "POST /hook?x=1 HTTP/1.1\r\nHost: hook.example\r\nX-Hookrelay-Tunnel: app\r\nx-lower: v\r\n" +
		"Connection: X-Hop\r\nX-Hop: gone\r\nX-Forwarded-For: 1.2.3.4\r\nContent-Length: 4\r\n\r\nbody"
	want := "POST /base/hook?x=1 HTTP/1.1\r\nHost: hook.example\r\nx-lower: v\r\nX-Forwarded-For: 1.2.3.4\r\n" +
		"Content-Length: 4\r\n\r\nbody"
	for i := range 3 {
		st.send(t, req)
		if got := st.rawAnswer(t, "POST"); got != okAnswer {
			t.Fatalf("request %d: relay got %q, want %q", i, got, okAnswer)
		}
		if got := a.got(); got != want {
			t.Fatalf("request %d: app got\n%q\nwant\n%q", i, got, want)
		}
	}
	if n := a.conns.Load(); n != 1 {
		t.Errorf("%d app connections for 3 requests in a row, want 1 kept alive", n)
	}
}

// TestPipeResponseFraming: each way a response body is framed reaches the relay as the
// app sent it; a body delimited by the connection's end also ends the stream.
func TestPipeResponseFraming(t *testing.T) {
	tests := []struct {
		name, method, answer, want string
	}{
		{"length", "GET", okAnswer, okAnswer},
		{"chunked with trailers", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n" +
			"3;ext\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n" +
			"3;ext\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\n"},
		{"head", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"},
		{"204", "GET", "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n", "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n"},
		{"304", "GET", "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"},
		{"app closes after", "GET", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
			"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"early hints first", "GET", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + okAnswer,
			"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + okAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startApp(t, func(string, []byte) string { return tt.answer })
			e := startRelayEnd(t, map[string]string{"app": a.URL})
			st := e.open(t)
			for range 2 {
				st.send(t, tt.method+" / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\n\r\n")
				got := ""
				if strings.HasPrefix(tt.want, "HTTP/1.1 103") {
					got = st.rawAnswer(t, tt.method)
				}
				if got += st.rawAnswer(t, tt.method); got != tt.want {
					t.Fatalf("relay got\n%q\nwant\n%q", got, tt.want)
				}
			}
		})
	}
}

// TestPipeCloseDelimited: a body that ends when the app closes reaches the relay whole,
// announced with Connection: close, and the stream ends after it.
func TestPipeCloseDelimited(t *testing.T) {
	body := strings.Repeat("x", 100<<10)
	url := serveConns(t, func(c net.Conn) {
		if _, _, err := readRequest(bufioReader(c)); err == nil {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n"+body)
		}
	})
	e := startRelayEnd(t, map[string]string{"app": url})
	st := e.open(t)
	st.send(t, "GET / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\n\r\n")
	got, err := io.ReadAll(st.br)
	if want := "HTTP/1.1 200 OK\r\nX-A: 1\r\nConnection: close\r\n\r\n" + body; err != nil || string(got) != want {
		t.Fatalf("relay got %d bytes (%v), want %d ending the stream", len(got), err, len(want))
	}
}

func TestPipeChunkedRequest(t *testing.T) {
	a := startApp(t, func(string, []byte) string { return okAnswer })
	e := startRelayEnd(t, map[string]string{"app": a.URL})
	st := e.open(t)
	chunks := "4\r\nwiki\r\n5;x=y\r\npedia\r\n0\r\nX-Checksum: 7\r\n\r\n"
	st.send(t, "POST /c HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"+chunks)
	if got := st.rawAnswer(t, "POST"); got != okAnswer {
		t.Fatalf("relay got %q", got)
	}
	want := "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n" + chunks
	if got := a.got(); got != want {
		t.Fatalf("app got\n%q\nwant\n%q", got, want)
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

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

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

// TestPipeConcurrentStreams: many streams at once each get their own answers, over app
// connections kept alive between them.
func TestPipeConcurrentStreams(t *testing.T) {
	a := startApp(t, func(head string, body []byte) string {
		return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	})
	e := startRelayEnd(t, map[string]string{"app": a.URL})
	const streams, each = 16, 25
	var wg sync.WaitGroup
	for i := range streams {
		st := e.open(t)
		wg.Go(func() {
			for k := range each {
				body := fmt.Sprintf("%d-%d-%s", i, k, strings.Repeat("p", k*100))
				fmt.Fprintf(st, "POST / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				resp, err := http.ReadResponse(st.br, nil)
				if err != nil {
					t.Errorf("stream %d request %d: %v", i, k, err)
					return
				}
				got, err := io.ReadAll(resp.Body)
				if err != nil || resp.StatusCode != 200 || string(got) != body {
					t.Errorf("stream %d request %d: %d %q %v", i, k, resp.StatusCode, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := a.conns.Load(); n > streams+4 {
		t.Errorf("%d app connections for %d streams: not kept alive", n, streams)
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
