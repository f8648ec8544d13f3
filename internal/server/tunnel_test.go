package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

func TestBodiesByteExact(t *testing.T) {
	srv, _, _ := setupWith(t, func(c *server.Config) { c.BodyLimit = 100 << 20 })
	sizes := []int64{0, 1, 1 << 10, 64<<10 + 1, 1 << 20, 64 << 20}
	if testing.Short() {
		sizes = sizes[:5]
	}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			want, _ := sha(pattern(n))
			req, _ := http.NewRequest("POST", srv.URL+"/t/myapp/upload", pattern(n))
			req.ContentLength = n
			s := decodeSeen(t, mustDo(t, req))
			if s.SHA256 != want || s.Len != n {
				t.Errorf("upload: backend got %d bytes sha %s, want %d sha %s", s.Len, s.SHA256, n, want)
			}
			resp := mustDo(t, mustRequest(t, "GET", fmt.Sprintf("%s/t/myapp/download?n=%d", srv.URL, n), nil))
			defer resp.Body.Close()
			if got, gotN := sha(resp.Body); got != want || gotN != n {
				t.Errorf("download: got %d bytes sha %s, want %d sha %s", gotN, got, n, want)
			}
		})
	}
}

func TestChunkedUpload(t *testing.T) {
	srv, _, _ := setup(t)
	body := io.MultiReader(strings.NewReader("part one,"), pattern(300<<10))
	want, n := sha(io.MultiReader(strings.NewReader("part one,"), pattern(300<<10)))
	req := mustRequest(t, "POST", srv.URL+"/t/myapp/chunked", io.NopCloser(body)) // unknown length: chunked
	s := decodeSeen(t, mustDo(t, req))
	if s.SHA256 != want || s.Len != n {
		t.Fatalf("chunked upload: got %d bytes sha %s, want %d sha %s", s.Len, s.SHA256, n, want)
	}
}

// TestRequestReachesAppAsSent runs over both forwarding paths: the proxy (no store, body
// streamed) and the direct stream path (recorded, body read first).
func TestRequestReachesAppAsSent(t *testing.T) {
	t.Run("proxy", func(t *testing.T) { testRequestAsSent(t, nil) })
	t.Run("direct", func(t *testing.T) { testRequestAsSent(t, relaytest.WithStore(t, nil)) })
}

func testRequestAsSent(t *testing.T, mutate func(*server.Config)) {
	srv, _, _ := setupWith(t, mutate)
	body := `{"id":"evt_1","type":"message.created"}`
	req := mustRequest(t, "PATCH", srv.URL+"/t/myapp/webhooks/chat%2Fx?b=2&a=1&a=%20", strings.NewReader(body))
	req.Header["x-mga-signature"] = []string{"sha256=abc"} // sent lowercase on the wire
	req.Header.Add("X-Dup", "1")
	req.Header.Add("X-Dup", "2")
	req.Header.Set("X-Forwarded-For", "6.6.6.6")
	req.Header.Set("Connection", "X-Hop")
	req.Header.Set("X-Hop", "drop me")
	req.Header.Set("X-Want-Status", "418")
	resp := mustDo(t, req)
	if resp.StatusCode != 418 {
		t.Errorf("status = %d, want the app's 418", resp.StatusCode)
	}
	if got := resp.Header.Values("X-Multi"); strings.Join(got, ",") != "one,two" {
		t.Errorf("response X-Multi = %q, want one,two", got)
	}
	s := decodeSeen(t, resp)
	checks := []struct{ name, got, want string }{
		{"method", s.Method, "PATCH"},
		{"uri", s.URI, "/webhooks/chat%2Fx?b=2&a=1&a=%20"},
		{"host", s.Host, strings.TrimPrefix(srv.URL, "http://")},
		{"signature", s.Header.Get("X-Mga-Signature"), "sha256=abc"},
		{"dup", strings.Join(s.Header.Values("X-Dup"), ","), "1,2"},
		{"xff", s.Header.Get("X-Forwarded-For"), "127.0.0.1"},
		{"xf-proto", s.Header.Get("X-Forwarded-Proto"), "http"},
		{"xf-host", s.Header.Get("X-Forwarded-Host"), strings.TrimPrefix(srv.URL, "http://")},
		{"hop", s.Header.Get("X-Hop"), ""},
		{"tunnel header", s.Header.Get(proto.HeaderTunnel), ""},
		{"content-length", s.Header.Get("Content-Length"), fmt.Sprint(len(body))},
		{"user-agent", s.Header.Get("User-Agent"), "Go-http-client/1.1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if id := s.Header.Get(proto.HeaderRequestID); len(id) != 26 {
		t.Errorf("request id = %q, want a 26-char id", id)
	}
	if want, _ := sha(strings.NewReader(body)); s.SHA256 != want {
		t.Errorf("body sha = %s, want %s", s.SHA256, want)
	}
}

func TestHostForm(t *testing.T) {
	srv, _, _ := setup(t)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]
	req := mustRequest(t, "GET", srv.URL+"/deep/path?q=1", nil)
	req.Host = "myapp.localhost" + port
	s := decodeSeen(t, mustDo(t, req))
	if s.URI != "/deep/path?q=1" || s.Host != "myapp.localhost"+port {
		t.Fatalf("host form: app saw %s on host %s", s.URI, s.Host)
	}
	req = mustRequest(t, "GET", srv.URL+"/t/myapp", nil)
	if s := decodeSeen(t, mustDo(t, req)); s.URI != "/" {
		t.Fatalf("/t/myapp forwarded as %q, want /", s.URI)
	}
}

func TestExpectContinue(t *testing.T) {
	srv, _, _ := setup(t)
	tr := &http.Transport{ExpectContinueTimeout: 5e9}
	defer tr.CloseIdleConnections()
	req := mustRequest(t, "POST", srv.URL+"/t/myapp/x", bytes.NewReader(make([]byte, 100<<10)))
	req.Header.Set("Expect", "100-continue")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if s := decodeSeen(t, resp); s.Len != 100<<10 {
		t.Fatalf("app got %d bytes, want %d", s.Len, 100<<10)
	}
}

func TestConcurrentRequestsOneTunnel(t *testing.T) {
	srv, _, _ := setup(t)
	const n = 1000
	tr := &http.Transport{MaxIdleConnsPerHost: 100, MaxConnsPerHost: 200}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf(`{"i":%d,"pad":"%s"}`, i, strings.Repeat("x", rand.IntN(2000)))
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/t/myapp/r/%d", srv.URL, i), strings.NewReader(body))
			resp, err := hc.Do(req)
			if err != nil {
				errs <- err
				return
			}
			var s seen
			err = json.NewDecoder(resp.Body).Decode(&s)
			resp.Body.Close()
			want, _ := sha(strings.NewReader(body))
			if err != nil || s.SHA256 != want || s.URI != fmt.Sprintf("/r/%d", i) {
				errs <- fmt.Errorf("request %d: status %d uri %q err %v", i, resp.StatusCode, s.URI, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func mustRequest(tb testing.TB, method, url string, body io.Reader) *http.Request {
	tb.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, body)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

// TestResponseHeadersAsSent: a response without Content-Type or Date reaches the sender
// without them; the relay adds nothing.
func TestResponseHeadersAsSent(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	bare := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		w.Header()["Content-Type"] = nil
		w.Header().Set("X-Only", "this")
		_, _ = w.Write([]byte("<html>sniff me</html>"))
	}))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "bare", Target: relaytest.Target(t, bare)})
	resp := mustDo(t, mustRequest(t, "GET", srv.URL+"/t/bare/", nil))
	defer resp.Body.Close()
	for _, h := range []string{"Content-Type", "Date"} {
		if v, ok := resp.Header[h]; ok {
			t.Errorf("sender got %s %q the app never sent", h, v)
		}
	}
	if resp.Header.Get("X-Only") != "this" {
		t.Errorf("app header lost")
	}
}

// TestDoubleSlashPath: a path starting with "//" reaches the app as sent, with the
// sender's Host, not as an absolute URL.
func TestDoubleSlashPath(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	app := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", r.RequestURI, r.Host) // no ServeMux: it would clean the path
	}))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "slash", Target: relaytest.Target(t, app)})
	resp := mustDo(t, mustRequest(t, "POST", srv.URL+"/t/slash//hooks//x%2Fy/../z?a=1", strings.NewReader("{}")))
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "//hooks//x%2Fy/../z?a=1 " + strings.TrimPrefix(srv.URL, "http://"); string(b) != want {
		t.Fatalf("app saw %q, want %q", b, want)
	}
}

// TestSenderCannotSpeakForRelay: a sender's own X-Hookrelay-* and X-Forwarded-* never
// reach the app, on the direct route (small body) and on the proxy route (a body over
// 64 KiB, chunked, Expect, TE) alike.
func TestSenderCannotSpeakForRelay(t *testing.T) {
	srv, _, _ := setup(t)
	big := strings.Repeat("b", 100<<10)
	tests := []struct {
		name  string
		body  io.Reader
		setup func(*http.Request)
	}{
		{"direct", strings.NewReader(`{"small":1}`), nil},
		{"body over 64 KiB", strings.NewReader(big), nil},
		{"chunked", readerOnly{strings.NewReader(big)}, nil},
		{"expect", strings.NewReader(`{"e":1}`), func(r *http.Request) { r.Header.Set("Expect", "100-continue") }},
		{"te trailers", strings.NewReader(`{"t":1}`), func(r *http.Request) { r.Header.Set("TE", "trailers") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := mustRequest(t, "POST", srv.URL+"/t/myapp/hook", tt.body)
			if _, ok := tt.body.(readerOnly); ok {
				req.ContentLength = -1
			}
			req.Header.Set("X-Hookrelay-Verified", "stripe; ok")
			req.Header.Set("X-Hookrelay-Replay-Of", "01forged")
			req.Header["x-hookrelay-tunnel"] = []string{"other"}
			req.Header.Set("X-Hookrelay-Anything", "forged")
			req.Header.Set("X-Forwarded-For", "6.6.6.6")
			req.Header.Set("X-Forwarded-Host", "forged.example")
			req.Header.Set("Forwarded", "for=6.6.6.6")
			if tt.setup != nil {
				tt.setup(req)
			}
			s := decodeSeen(t, mustDo(t, req))
			h := s.Header
			if h.Get(proto.HeaderVerified) != "" || h.Get(proto.HeaderReplayOf) != "" || h.Get("X-Hookrelay-Anything") != "" ||
				h.Get(proto.HeaderTunnel) != "" || h.Get(proto.HeaderRequestID) == "" {
				t.Errorf("relay headers at the app: %v", h)
			}
			if h.Get("X-Forwarded-For") != "127.0.0.1" || h.Get("X-Forwarded-Host") != s.Host || h.Get("Forwarded") != "" {
				t.Errorf("forwarding headers at the app: %v", h)
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
