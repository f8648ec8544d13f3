package client

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
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

// TestPipeExpectContinue: the app's 100 reaches the relay before the body is sent, and an
// app refusing the body answers without it, ending the stream.
func TestPipeExpectContinue(t *testing.T) {
	app := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/refuse" {
			w.WriteHeader(http.StatusExpectationFailed)
			return
		}
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%d", n)
	}))
	e := startRelayEnd(t, map[string]string{"app": app})
	st := e.open(t)
	head := "POST /%s HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
	st.send(t, fmt.Sprintf(head, "take"))
	if resp, _ := st.answer(t); resp.StatusCode != http.StatusContinue {
		t.Fatalf("first answer %d, want 100 before the body", resp.StatusCode)
	}
	st.send(t, "hello")
	if resp, body := st.answer(t); resp.StatusCode != 200 || body != "5" {
		t.Fatalf("final answer %d %q", resp.StatusCode, body)
	}
	st.send(t, fmt.Sprintf(head, "refuse"))
	// The early answer says the stream ends: a relay that keeps streams open would send
	// the body first, and its sender, never asked for it, would wait.
	if resp, _ := st.answer(t); resp.StatusCode != http.StatusExpectationFailed || !resp.Close {
		t.Fatalf("refused: %d, Connection: close %v", resp.StatusCode, resp.Close)
	}
	if !st.closed(t) {
		t.Fatal("the stream stays open with the body never sent")
	}
}

func TestPipeUpgrade(t *testing.T) {
	url := serveConns(t, func(c net.Conn) {
		br := bufioReader(c)
		if _, _, err := readRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		io.Copy(c, br)
	})
	e := startRelayEnd(t, map[string]string{"app": url})
	st := e.open(t)
	st.send(t, "GET /ws HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	if resp, _ := st.answer(t); resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Upgrade") != "echo" {
		t.Fatalf("answer %d %v", resp.StatusCode, resp.Header)
	}
	for _, msg := range []string{"ping", strings.Repeat("z", 300<<10)} {
		st.send(t, msg)
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(st.br, got); err != nil || string(got) != msg {
			t.Fatalf("echo of %d bytes: %v", len(msg), err)
		}
	}
	st.Close()
	waitFor(t, "the upgraded exchange to end", func() bool { return inflight(e.f) == 0 })
	if !strings.Contains(e.lines(), "GET    /ws  101") {
		t.Errorf("request line: %q", e.lines())
	}
}

func TestPipeErrors(t *testing.T) {
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	dead.Close()
	a := startApp(t, func(string, []byte) string { return okAnswer })
	junk := serveConns(t, func(c net.Conn) {
		_, _, _ = readRequest(bufioReader(c))
		io.WriteString(c, "SSH-2.0-not-http\r\n\r\n")
		c.Close()
	})
	e := startRelayEnd(t, map[string]string{"gone": "http://" + dead.Addr().String(), "app": a.URL, "junk": junk})
	tests := []struct {
		name, req string
		code      proto.Code
		closes    bool
	}{
		{"unreachable", "GET / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: gone\r\n\r\n", proto.CodeLocalUnreachable, false},
		{"unreachable streamed", "POST / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: gone\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			proto.CodeLocalUnreachable, true},
		{"app answers garbage", "GET / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: junk\r\n\r\n", proto.CodeLocalBadResponse, false},
		{"unknown tunnel", "GET / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: nosuch\r\n\r\n", proto.CodeTunnelNotFound, true},
		{"garbage", "HELLO THERE\r\n\r\n", proto.CodeBadRequest, true},
		{"bad coding", "POST / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nTransfer-Encoding: gzip\r\n\r\n", proto.CodeBadRequest, true},
		{"head too large", "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("a", wire.MaxRequestHead) + "\r\n\r\n", proto.CodeBadRequest, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := e.open(t)
			go io.WriteString(st, tt.req) // a head too large is answered before it is all sent
			resp, body := st.answer(t)
			var eb struct{ Error proto.Error }
			if err := json.Unmarshal([]byte(body), &eb); err != nil || resp.StatusCode != tt.code.Status() ||
				resp.Header.Get(proto.HeaderError) != string(tt.code) || eb.Error.Code != tt.code ||
				resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("got %d %v %q, want %d %s", resp.StatusCode, resp.Header, body, tt.code.Status(), tt.code)
			}
			if tt.closes != st.closed(t) {
				t.Fatalf("stream closed: %v, want %v", !tt.closes, tt.closes)
			}
		})
	}
}

// TestPipeRelayGivesUp: when the relay closes the stream of a request the app never
// answers, the app's connection is closed, not kept, and nothing stays in flight.
func TestPipeRelayGivesUp(t *testing.T) {
	appSawEOF := make(chan struct{}, 2)
	url := serveConns(t, func(c net.Conn) {
		br := bufioReader(c)
		if _, _, err := readRequest(br); err != nil {
			return
		}
		if _, err := br.ReadByte(); err == io.EOF {
			appSawEOF <- struct{}{}
		}
	})
	e := startRelayEnd(t, map[string]string{"app": url})
	for _, req := range []string{
		"GET / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
	} {
		st := e.open(t)
		st.send(t, req)
		waitFor(t, "the request to be in flight", func() bool { return inflight(e.f) == 1 })
		st.Close()
		select {
		case <-appSawEOF:
		case <-time.After(5 * time.Second):
			t.Fatal("the app's connection is still open after the relay gave up")
		}
		waitFor(t, "nothing in flight", func() bool { return inflight(e.f) == 0 })
	}
}

func inflight(f *forwarder) int {
	f.inflight.mu.Lock()
	defer f.inflight.mu.Unlock()
	return f.inflight.n
}

// waitFor polls cond until it holds, for at most 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func serveHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String()
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

// TestPipeStreamedKeepsStream: an app that answers the moment it has read a streamed body
// may answer before the pipe has noted the body as sent; the stream must still serve the
// next request.
func TestPipeStreamedKeepsStream(t *testing.T) {
	a := startApp(t, func(string, []byte) string { return okAnswer })
	e := startRelayEnd(t, map[string]string{"app": a.URL})
	st := e.open(t)
	for i := range 200 {
		st.send(t, "POST /c HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n0\r\n\r\n")
		if got := st.rawAnswer(t, "POST"); got != okAnswer {
			t.Fatalf("request %d: relay got %q", i, got)
		}
	}
}
