package client

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPipeStuckAppEndsExchange: the relay gives up (closes the stream) on a large body an
// app never reads; the exchange ends once the write to the app stalls, and nothing is
// left in flight.
func TestPipeStuckAppEndsExchange(t *testing.T) {
	stop := make(chan struct{})
	url := serveConns(t, func(c net.Conn) {
		if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
			<-stop
		}
	})
	t.Cleanup(func() { close(stop) })
	e := startRelayEnd(t, map[string]string{"app": url})
	e.f.stall = 200 * time.Millisecond
	st := e.open(t)
	go func() {
		fmt.Fprintf(st, "POST / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\nContent-Length: %d\r\n\r\n", 64<<20)
		io.Copy(st, io.LimitReader(zeros{}, 64<<20))
	}()
	waitFor(t, "in flight", func() bool { return inflight(e.f) == 1 })
	st.Close()
	waitFor(t, "the exchange to end", func() bool { return inflight(e.f) == 0 })
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
