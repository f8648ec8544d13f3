package client

// Failures and give-ups: the client's own error answers, the relay going away, stuck apps.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/wire"
	"github.com/hookrelay/hookrelay/proto"
)

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
// answers, the app's connection is closed, not kept, and nothing stays in flight. The
// relay may give up before the request reached the app: the connection then ends
// before a whole request came, which counts the same.
func TestPipeRelayGivesUp(t *testing.T) {
	appSawEOF := make(chan struct{}, 2)
	url := serveConns(t, func(c net.Conn) {
		br := bufioReader(c)
		_, _, err := readRequest(br)
		for err == nil {
			_, err = br.ReadByte() // the app never answers: it reads until the connection ends
		}
		appSawEOF <- struct{}{}
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
