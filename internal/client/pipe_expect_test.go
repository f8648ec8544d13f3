package client

// Expect: 100-continue, answers before the body is through, and upgrades.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

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
