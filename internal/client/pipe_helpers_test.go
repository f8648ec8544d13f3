package client

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

// relayEnd is the relay-server's end of a real session over loopback TCP, with a
// forwarder serving the client's end: tests open streams and write requests on them as
// relay-server does.
type relayEnd struct {
	mux *yamux.Session
	f   *forwarder
	s   *streams
	out bytes.Buffer // the client's request lines
}

func startRelayEnd(t testing.TB, tunnels map[string]string) *relayEnd {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	cc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc := <-accepted
	clientMux, err := proto.Client(cc, nil)
	if err != nil {
		t.Fatal(err)
	}
	serverMux, err := proto.Server(sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &relayEnd{mux: serverMux}
	e.f = newForwarder(&reporter{out: &e.out}, 64)
	for name, raw := range tunnels {
		setTarget(t, e.f, name, raw)
	}
	e.s = newStreams(e.f)
	served := make(chan struct{})
	go func() { e.s.serve(clientMux); close(served) }()
	t.Cleanup(func() {
		_ = serverMux.Close()
		_ = clientMux.Close()
		<-served
		e.s.abort()
		e.s.wait()
		e.f.inflight.wait()
		e.f.close()
	})
	return e
}

// lines returns the client's request lines so far.
func (e *relayEnd) lines() string {
	e.f.report.mu.Lock()
	defer e.f.report.mu.Unlock()
	return e.out.String()
}

// stream is a stream opened by the relay, with a reader for the answers.
type stream struct {
	net.Conn
	br *bufio.Reader
}

func (e *relayEnd) open(t testing.TB) *stream {
	t.Helper()
	st, err := e.mux.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &stream{Conn: st, br: bufio.NewReader(st)}
}

// send writes raw request bytes on the stream.
func (s *stream) send(t testing.TB, raw string) {
	t.Helper()
	if _, err := io.WriteString(s, raw); err != nil {
		t.Fatalf("write request: %v", err)
	}
}

// rawAnswer reads one response from the stream, head and body, as the bytes that came.
func (s *stream) rawAnswer(t testing.TB, method string) string {
	t.Helper()
	_ = s.SetReadDeadline(time.Now().Add(10 * time.Second))
	var raw strings.Builder
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			t.Fatalf("read response head: %v (got %q)", err, raw.String()+line)
		}
		raw.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw.String())), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("parse response head %q: %v", raw.String(), err)
	}
	var body []byte
	switch {
	case method == "HEAD" || resp.StatusCode < 200 || resp.StatusCode == 204 || resp.StatusCode == 304:
	case len(resp.TransferEncoding) > 0:
		body, err = readChunks(s.br)
	case resp.ContentLength >= 0:
		body = make([]byte, resp.ContentLength)
		_, err = io.ReadFull(s.br, body)
	default:
		body, err = io.ReadAll(s.br)
	}
	if err != nil {
		t.Fatalf("read response body: %v", err)
	}
	return raw.String() + string(body)
}

// answer reads one response from the stream, its body read whole.
func (s *stream) answer(t *testing.T) (*http.Response, string) {
	t.Helper()
	_ = s.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(s.br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response body: %v", err)
	}
	return resp, string(body)
}

// closed reports whether the client ended the stream.
func (s *stream) closed(t *testing.T) bool {
	t.Helper()
	_ = s.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := s.br.ReadByte()
	return err == io.EOF
}

// app is a local app on 127.0.0.1:0 that answers each request with answer(head, body);
// it counts its connections and keeps the last request it got, as received.
type app struct {
	URL   string
	conns atomic.Int32
	mu    sync.Mutex
	last  string
}

func startApp(t testing.TB, answer func(head string, body []byte) string) *app {
	t.Helper()
	a := &app{}
	a.URL = serveConns(t, func(c net.Conn) {
		a.conns.Add(1)
		br := bufio.NewReader(c)
		for {
			head, body, err := readRequest(br)
			if err != nil {
				return
			}
			a.mu.Lock()
			a.last = head + string(body)
			a.mu.Unlock()
			if _, err := io.WriteString(c, answer(head, body)); err != nil {
				return
			}
		}
	})
	return a
}

func (a *app) got() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// serveConns runs serve for every connection to a listener on 127.0.0.1:0 and returns
// its URL; connections close when serve returns.
func serveConns(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// readRequest reads a request head as received and its body: Content-Length bytes, or
// chunks through the trailer section's end, as received.
func readRequest(br *bufio.Reader) (head string, body []byte, err error) {
	var h strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", nil, err
		}
		h.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	head = h.String()
	lower := strings.ToLower(head)
	if strings.Contains(lower, "transfer-encoding: chunked") {
		body, err = readChunks(br)
		return head, body, err
	}
	if i := strings.Index(lower, "content-length: "); i >= 0 {
		n, _ := strconv.Atoi(strings.TrimSpace(head[i+16 : i+16+strings.Index(head[i+16:], "\r\n")]))
		body = make([]byte, n)
		_, err = io.ReadFull(br, body)
	}
	return head, body, err
}

// readChunks reads a chunked body as received, through the trailer section's end.
func readChunks(br *bufio.Reader) ([]byte, error) {
	var b bytes.Buffer
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return nil, err
		}
		b.Write(line)
		if chunksDone(b.Bytes()) {
			return b.Bytes(), nil
		}
	}
}

// chunksDone reports whether b is a whole chunked body.
func chunksDone(b []byte) bool {
	br := bufio.NewReader(bytes.NewReader(b))
	var out bytes.Buffer
	return wire.CopyBody(bufio.NewWriter(&out), br, wire.Framing{Kind: wire.FramedChunked}) == nil && br.Buffered() == 0
}

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

func setTarget(t testing.TB, f *forwarder, name, raw string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	f.set(name, u)
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
