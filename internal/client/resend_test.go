package client

// App connections: reuse, sending a request again, never pooling a dirty connection.

import (
	"bufio"
	"io"
	"net"
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

// TestPipePostNotResent: an app that reads a POST on a kept-alive connection and closes
// it without answering may have acted on it: the relay gets an error, the app never gets
// the POST twice.
func TestPipePostNotResent(t *testing.T) {
	var posts atomic.Int32
	url := serveConns(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			head, _, err := readRequest(br)
			if err != nil {
				return
			}
			if strings.HasPrefix(head, "POST") && posts.Add(1) == 1 {
				return // handled, then the connection dies unanswered
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		}
	})
	e := startRelayEnd(t, map[string]string{"app": url})
	st := e.open(t)
	st.send(t, "GET / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\n\r\n")
	st.rawAnswer(t, "GET")
	st.send(t, "POST /hook HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nContent-Length: 5\r\n\r\nhello")
	if got := st.rawAnswer(t, "POST"); !strings.Contains(got, "local_bad_response") {
		t.Fatalf("relay got %q, want the local_bad_response error", got)
	}
	if n := posts.Load(); n != 1 {
		t.Fatalf("the app got the POST %d times", n)
	}
}

// TestPipeExtraBytesNotPooled: an app that sends more than its answer's framing says (a
// body on a HEAD answer) leaves bytes that must not become the next request's answer.
func TestPipeExtraBytesNotPooled(t *testing.T) {
	url := serveConns(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			head, _, err := readRequest(br)
			if err != nil {
				return
			}
			if strings.HasPrefix(head, "HEAD") {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 38\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
				continue
			}
			io.WriteString(c, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	e := startRelayEnd(t, map[string]string{"app": url})
	st := e.open(t)
	st.send(t, "HEAD / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\n\r\n")
	if got := st.rawAnswer(t, "HEAD"); !strings.HasPrefix(got, "HTTP/1.1 200") {
		t.Fatalf("HEAD answered %q", got)
	}
	other := e.open(t)
	other.send(t, "POST /x HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nContent-Length: 1\r\n\r\na")
	if got := other.rawAnswer(t, "POST"); !strings.HasPrefix(got, "HTTP/1.1 201") {
		t.Fatalf("POST got another answer's bytes: %q", got)
	}
}
