package server_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

// wantError checks a relay error answer: status, code header and JSON body.
func wantError(tb testing.TB, resp *http.Response, status int, code proto.Code) {
	tb.Helper()
	defer resp.Body.Close()
	var body struct{ Error proto.Error }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != status || resp.Header.Get(proto.HeaderError) != string(code) || body.Error.Code != code {
		tb.Fatalf("got %d %q (body code %q), want %d %q", resp.StatusCode, resp.Header.Get(proto.HeaderError),
			body.Error.Code, status, code)
	}
	if status == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
		tb.Errorf("503 without Retry-After")
	}
}

func TestRelayErrors(t *testing.T) {
	srv := relaytest.StartServer(t, "", func(c *server.Config) {
		c.Tunnels = map[string]server.TunnelSettings{
			"slow":  {Timeout: 200 * time.Millisecond},
			"small": {BodyLimit: 1024},
		}
	})
	be := backend(t)
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	slow := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String()
	dead.Close() // nothing listens there now: connection refused
	relaytest.StartClient(t, srv.URL, relaytest.Token,
		client.Tunnel{Name: "slow", Target: relaytest.Target(t, slow)},
		client.Tunnel{Name: "small", Target: relaytest.Target(t, be.URL)},
		client.Tunnel{Name: "gone", Target: relaytest.Target(t, deadURL)})
	relaytest.StartClient(t, srv.URL, relaytest.OtherToken,
		client.Tunnel{Name: "offline", Target: relaytest.Target(t, be.URL)}).Stop()

	tests := []struct {
		name, method, path, body string
		chunked                  bool
		status                   int
		code                     proto.Code
	}{
		{"unknown tunnel", "GET", "/t/nosuch/x", "", false, 503, proto.CodeTunnelOffline},
		{"offline", "POST", "/t/offline/x", "{}", false, 503, proto.CodeTunnelOffline},
		{"refused", "GET", "/t/gone/x", "", false, 502, proto.CodeLocalUnreachable},
		{"timeout", "GET", "/t/slow/x", "", false, 504, proto.CodeLocalTimeout},
		{"too large", "POST", "/t/small/x", strings.Repeat("x", 2048), false, 413, proto.CodeBodyTooLarge},
		{"too large chunked", "POST", "/t/small/x", strings.Repeat("x", 4096), true, 413, proto.CodeBodyTooLarge},
		{"no route", "GET", "/nothing-here", "", false, 404, proto.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body = strings.NewReader(tt.body)
			req := mustRequest(t, tt.method, srv.URL+tt.path, body)
			if tt.chunked {
				req.ContentLength = -1
				req.Body = readerOnly{body}
			}
			start := time.Now()
			wantError(t, mustDo(t, req), tt.status, tt.code)
			if tt.code == proto.CodeTunnelOffline && time.Since(start) > time.Second {
				t.Errorf("offline answer took %v", time.Since(start))
			}
		})
	}
}

type readerOnly struct{ r *strings.Reader }

func (r readerOnly) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r readerOnly) Close() error               { return nil }

func TestHandshakeErrors(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	be := backend(t)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "mine", Target: relaytest.Target(t, be.URL)})
	tests := []struct {
		name, token, tunnel string
		code                proto.Code
	}{
		{"bad token", "wrong", "x1", proto.CodeBadToken},
		{"bad name", relaytest.Token, "Bad_Name", proto.CodeBadName},
		{"reserved name", relaytest.Token, "admin", proto.CodeBadName},
		{"name taken", relaytest.OtherToken, "mine", proto.CodeNameTaken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := relaytest.RunClient(t, srv.URL, tt.token, client.Tunnel{Name: tt.tunnel, Target: relaytest.Target(t, be.URL)})
			select {
			case <-c.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("client kept retrying a permanent error")
			}
			var pe *proto.Error
			if !errors.Is(c.Err(), client.ErrPermanent) || !errors.As(c.Err(), &pe) || pe.Code != tt.code {
				t.Fatalf("client error = %v, want permanent %s", c.Err(), tt.code)
			}
		})
	}
}

func TestVersionMismatch(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	req := mustRequest(t, "GET", srv.URL+proto.ConnectPath, nil)
	req.Header.Set(proto.HeaderVersion, "99")
	req.Header.Set("Authorization", "Bearer "+relaytest.Token)
	wantError(t, mustDo(t, req), http.StatusUpgradeRequired, proto.CodeVersionMismatch)
	req.Header.Set(proto.HeaderVersion, "1")
	req.Header.Set("Authorization", "Bearer nope")
	wantError(t, mustDo(t, req), http.StatusUnauthorized, proto.CodeBadToken)
}

func TestHeaderLimits(t *testing.T) {
	srv, _, _ := setup(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = conn.Write([]byte("GET /t/myapp/ HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2<<20) + "\r\n\r\n"))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("2 MiB header: status %d, want 431", resp.StatusCode)
	}
}

func httpServer(tb testing.TB, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(ln)
	tb.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String()
}

func TestTunnelBusy(t *testing.T) {
	srv := relaytest.StartServer(t, "", func(c *server.Config) { c.MaxInflight = 2 })
	release := make(chan struct{})
	entered := make(chan struct{}, 2)
	slow := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "busy", Target: relaytest.Target(t, slow)})
	done := make(chan struct{})
	for range 2 {
		go func() {
			resp, err := http.Get(srv.URL + "/t/busy/")
			if err == nil {
				resp.Body.Close()
			}
			done <- struct{}{}
		}()
	}
	<-entered
	<-entered
	wantError(t, mustDo(t, mustRequest(t, "GET", srv.URL+"/t/busy/", nil)), http.StatusServiceUnavailable, proto.CodeTunnelBusy)
	close(release)
	<-done
	<-done
}

// TestUnknownAnsweredLikeOffline: to the public, a name nobody owns and an offline
// reject-mode tunnel answer the same status, fields and body (the name aside); only the
// owner's bearer token gets the record id of its offline delivery.
func TestUnknownAnsweredLikeOffline(t *testing.T) {
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "parked", Target: relaytest.Target(t, "http://127.0.0.1:1")}).Stop()
	waitOffline(t, apiClient(t, srv, relaytest.Token), "parked")
	answer := func(name, token string) (int, http.Header, string) {
		req := mustRequest(t, "POST", srv.URL+"/t/"+name+"/hook", strings.NewReader(`{"a":1}`))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp := mustDo(t, req)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		resp.Header.Del("Date")
		return resp.StatusCode, resp.Header, strings.ReplaceAll(string(b), name, "NAME")
	}
	s1, h1, b1 := answer("parked", "")
	s2, h2, b2 := answer("nobody", "")
	s3, h3, b3 := answer("parked", relaytest.OtherToken)
	if s1 != http.StatusServiceUnavailable || s1 != s2 || s1 != s3 || b1 != b2 || b1 != b3 ||
		!reflect.DeepEqual(h1, h2) || !reflect.DeepEqual(h1, h3) {
		t.Fatalf("offline: %d %v %s\nunknown: %d %v %s\nother token: %d %v %s", s1, h1, b1, s2, h2, b2, s3, h3, b3)
	}
	if s, h, b := answer("parked", relaytest.Token); s != http.StatusServiceUnavailable || h.Get(proto.HeaderRequestID) == "" ||
		!strings.Contains(b, h.Get(proto.HeaderRequestID)) {
		t.Fatalf("the owner's answer lacks the record id: %d %v %s", s, h, b)
	}
}
