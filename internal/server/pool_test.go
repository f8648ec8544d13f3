package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
)

// lateResponse answers each request on br/w with "answer-<seq>", then, 300 ms later, writes
// an unasked second response "stale-<seq>" on the same connection.
func lateResponse(br *bufio.Reader, w io.Writer) error {
	req, err := http.ReadRequest(br)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, req.Body)
	seq := req.Header.Get("X-Seq")
	if _, err := fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\nanswer-%s", 7+len(seq), seq); err != nil {
		return err
	}
	time.AfterFunc(300*time.Millisecond, func() {
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\nstale-%s", 6+len(seq), seq)
	})
	return nil
}

// sendSeq posts request seq to url and returns the body of the answer.
func sendSeq(t *testing.T, url string, seq int) string {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader("ping"))
	req.Header.Set("X-Seq", fmt.Sprint(seq))
	hc := &http.Client{Timeout: time.Minute}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("request %d: %v", seq, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestLateAppResponseNotReused: an app that sends an unasked second response after its
// answer must not make the next sender get it: the connection it came on is not reused.
func TestLateAppResponseNotReused(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	app := rawApp(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for lateResponse(br, c) == nil {
		}
	})
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "late", Target: relaytest.Target(t, app)})
	for seq := 1; seq <= 3; seq++ {
		if got, want := sendSeq(t, srv.URL+"/t/late/", seq), fmt.Sprintf("answer-%d", seq); got != want {
			t.Fatalf("request %d got %q, want %q", seq, got, want)
		}
		time.Sleep(600 * time.Millisecond) // the late response arrives on the idle connection
	}
}

// TestLateStreamResponseNotReused: a tunnel client that writes an unasked second response
// on a stream after its answer must not make the next sender get it: relay-server does
// not reuse a stream holding bytes nobody asked for.
func TestLateStreamResponseNotReused(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	s, err := dialRaw(srv.URL, relaytest.Token, "latestream")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.mux.Close() })
	go func() {
		for {
			st, err := s.mux.AcceptStream()
			if err != nil {
				return
			}
			go func() {
				br := bufio.NewReader(st)
				for lateResponse(br, st) == nil {
				}
			}()
		}
	}()
	for seq := 1; seq <= 3; seq++ {
		if got, want := sendSeq(t, srv.URL+"/t/latestream/", seq), fmt.Sprintf("answer-%d", seq); got != want {
			t.Fatalf("request %d got %q, want %q", seq, got, want)
		}
		time.Sleep(600 * time.Millisecond)
	}
}
