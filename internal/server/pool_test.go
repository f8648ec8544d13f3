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
	"github.com/hookrelay/hookrelay/internal/server"
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

// TestBareLFTrailerRejectedAtOnce: an app whose chunked answer ends its trailer section
// with a bare LF gets no further than relay-client, whose framing is no looser than
// relay-server's: the sender's answer fails at once instead of waiting for the relay's
// timeout (30 s) on a body the server cannot see the end of.
func TestBareLFTrailerRejectedAtOnce(t *testing.T) {
	for _, tc := range []struct{ name, tail string }{
		{"empty trailer", "0\r\n\n"},
		{"trailer field", "0\r\nX-Sum: 1\n\r\n"},
		{"last line", "0\r\nX-Sum: 1\r\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := relaytest.StartServer(t, "", nil)
			app := rawApp(t, func(c net.Conn) {
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n%s", tc.tail)
				_, _ = io.Copy(io.Discard, c) // keep the connection open
			})
			relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "lf", Target: relaytest.Target(t, app)})
			hc := &http.Client{Timeout: 20 * time.Second} // the relay would wait 30 s
			start := time.Now()
			resp, err := hc.Get(srv.URL + "/t/lf/")
			if err != nil {
				if strings.Contains(err.Error(), "Client.Timeout") {
					t.Fatalf("the sender waited %v for the answer: %v", time.Since(start), err)
				}
				t.Fatalf("GET: %v", err)
			}
			_, err = io.ReadAll(resp.Body) // a relay error, or the app's answer cut short
			resp.Body.Close()
			switch {
			case err != nil && strings.Contains(err.Error(), "Client.Timeout"):
				t.Fatalf("the sender waited %v for the end of the answer: %v", time.Since(start), err)
			case err == nil && resp.StatusCode < 500:
				t.Fatalf("the sender got a whole %d answer whose framing the relay does not accept", resp.StatusCode)
			}
			t.Logf("the sender got %d (%s), body error %v, after %v", resp.StatusCode,
				resp.Header.Get("X-Hookrelay-Error"), err, time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestResponseTrailersPass: an app's response trailers reach the sender, announced ones
// (with their Trailer header) and unannounced ones alike, on every forwarding path.
func TestResponseTrailersPass(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Trailer", "X-Sum")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "body")
		w.(http.Flusher).Flush()
		w.Header().Set("X-Sum", "42")
		w.Header().Set(http.TrailerPrefix+"X-Late", "yes")
	}))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "trl", Target: relaytest.Target(t, app)})
	for _, tc := range []struct {
		name string
		te   string
	}{{"direct path", ""}, {"proxy path", "trailers"}} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+"/t/trl/", strings.NewReader("x"))
			if tc.te != "" {
				req.Header.Set("TE", tc.te)
			}
			resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if _, ok := resp.Trailer["X-Sum"]; !ok {
				t.Errorf("Trailer header lost: announced trailers %v", resp.Trailer)
			}
			b, err := io.ReadAll(resp.Body)
			if err != nil || string(b) != "body" {
				t.Fatalf("body %q, %v", b, err)
			}
			if got := resp.Trailer.Get("X-Sum"); got != "42" {
				t.Errorf("trailer X-Sum = %q, want 42 (trailers %v)", got, resp.Trailer)
			}
			if got := resp.Trailer.Get("X-Late"); got != "yes" {
				t.Errorf("unannounced trailer X-Late = %q, want yes (trailers %v)", got, resp.Trailer)
			}
		})
	}
}

// TestExpectEarlyAnswer: a sender that sends Expect: 100-continue and waits for it gets
// the app's early final answer (401 before the body) at once, without sending its body
// and without the relay's 100 Continue. The sender here has no expect timer: it waits
// for an answer as long as it takes. (A tunnel that verifies signatures reads the body
// first, and so answers 100 Continue itself: it is not covered here.)
func TestExpectEarlyAnswer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		mutate func(*testing.T) func(*server.Config)
		verify []string
	}{
		{"small body", 1 << 10, nil, nil},
		{"large body", 3 << 20, nil, nil},
		{"recorded small", 1 << 10, func(t *testing.T) func(*server.Config) { return relaytest.WithStore(t, nil) }, nil},
		{"recorded large", 3 << 20, func(t *testing.T) func(*server.Config) { return relaytest.WithStore(t, nil) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mutate func(*server.Config)
			if tc.mutate != nil {
				mutate = tc.mutate(t)
			}
			srv := relaytest.StartServer(t, "", mutate)
			app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Connection", "close")
				http.Error(w, "no", http.StatusUnauthorized) // before reading the body
			}))
			relaytest.StartClient(t, srv.URL, relaytest.Token,
				client.Tunnel{Name: "exp", Target: relaytest.Target(t, app), Verify: tc.verify})
			c, err := net.Dial("tcp", srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fmt.Fprintf(c, "POST /t/exp/hook HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", tc.size)
			_ = c.SetReadDeadline(time.Now().Add(time.Minute))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("no answer without the body: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d (%s), want the app's 401 before any body", resp.StatusCode, resp.Header.Get("X-Hookrelay-Error"))
			}
		})
	}
}
