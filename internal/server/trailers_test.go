package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
)

// TestTrailersPassFramingDoesNot: trailer fields pass both ways on the proxy route with
// their values; fields that can never be trailers (Content-Length, Transfer-Encoding,
// Host) are left out instead of failing the exchange.
func TestTrailersPassFramingDoesNot(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan http.Header, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			got <- nil
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		got <- req.Trailer
		io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n0\r\n"+
			"X-Sum: resp\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nHost: evil\r\n\r\n")
	}()
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "tr", Target: relaytest.Target(t, "http://"+ln.Addr().String())})
	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /t/tr/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n0\r\n"+
		"X-Sum: req\r\nContent-Length: 5\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || string(body) != "abc" {
		t.Fatalf("answer %d %q %v", resp.StatusCode, body, err)
	}
	if want := (http.Header{"X-Sum": {"resp"}}); !reflect.DeepEqual(resp.Trailer, want) {
		t.Errorf("sender got trailers %v, want %v", resp.Trailer, want)
	}
	if tr := <-got; !reflect.DeepEqual(tr, http.Header{"X-Sum": {"req"}}) {
		t.Errorf("app got trailers %v, want X-Sum: req", tr)
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
