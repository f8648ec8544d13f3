package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/proto"
)

// TestReplayEditCannotInject: an edited replay whose header name, value, method or path
// would break the head (CR, LF, NUL, a non-token name) is refused with 400 bad_request
// naming the culprit, and nothing reaches the app; the tunnel serves on unharmed.
func TestReplayEditCannotInject(t *testing.T) {
	srv, _, rec, _, _ := recordSetup(t, nil, "")
	post(t, srv.URL+"/t/hook/orig", `{}`)
	rec.wait(t, 1)
	c := apiClient(t, srv, relaytest.Token)
	id := lastID(t, c, "hook")
	smuggle := "1\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x"
	tests := []struct {
		name, field string
		edit        api.Edit
	}{
		{"CRLF in value", "X-A", api.Edit{Headers: [][2]string{{"X-A", smuggle}}}},
		{"LF in value", "X-A", api.Edit{Headers: [][2]string{{"X-A", "a\nX-Smuggled: 1"}}}},
		{"NUL in value", "X-A", api.Edit{Headers: [][2]string{{"X-A", "a\x00b"}}}},
		{"CRLF in name", `X-A\r\nX-Smuggled`, api.Edit{Headers: [][2]string{{"X-A\r\nX-Smuggled", "1"}}}},
		{"space in name", "X A", api.Edit{Headers: [][2]string{{"X A", "1"}}}},
		{"colon in name", "X-A:", api.Edit{Headers: [][2]string{{"X-A:", "1"}}}},
		{"CRLF in Host", "Host", api.Edit{Headers: [][2]string{{"host", "x\r\nX-Smuggled: 1"}}}},
		{"CRLF in method", "method", api.Edit{Method: "POST /x HTTP/1.1\r\n\r\nGET"}},
		{"space in path", "target", api.Edit{Path: "/a HTTP/1.1\r\nX: y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Replay(context.Background(), id, &tt.edit)
			var aerr *api.Error
			if !errors.As(err, &aerr) || aerr.Code != proto.CodeBadRequest || !strings.Contains(aerr.Message, `header "`+tt.field+`"`) {
				t.Fatalf("replay: %v, want 400 bad_request naming %q", err, tt.field)
			}
		})
	}
	post(t, srv.URL+"/t/hook/after", `{}`)
	rec.wait(t, 1)
	for _, got := range rec.all() {
		if got.URI == "/smuggled" || got.Header.Get("X-Smuggled") != "" || got.Header.Get("X-A") != "" {
			t.Fatalf("the app got an injected request or field: %s %v", got.URI, got.Header)
		}
	}
	if n := len(rec.all()); n != 2 {
		t.Fatalf("the app got %d requests, want the original and the one after", n)
	}
}

// TestReplayEditHeaderCase: header names in an edit count whatever their case: a
// lowercase host is the one Host of the head, and lowercase relay headers are dropped.
func TestReplayEditHeaderCase(t *testing.T) {
	srv, _, _ := setupWith(t, relaytest.WithStore(t, nil))
	resp := mustDo(t, mustRequest(t, "POST", srv.URL+"/t/myapp/orig", strings.NewReader(`{}`)))
	decodeSeen(t, resp)
	c := apiClient(t, srv, relaytest.Token)
	id := lastID(t, c, "myapp")
	out, err := c.Replay(context.Background(), id, &api.Edit{Headers: [][2]string{
		{"host", "edited.example"}, {"x-hookrelay-verified", "stripe; ok"}, {"x-hookrelay-replay-of", "forged"},
		{"x-forwarded-for", "6.6.6.6"}, {"content-type", "application/json"}}})
	if err != nil {
		t.Fatal(err)
	}
	var s seen
	if err := json.Unmarshal(out.Response.Body, &s); err != nil || out.Status != http.StatusOK {
		t.Fatalf("replay answered %d %q: %v", out.Status, out.Response.Body, err)
	}
	if s.Host != "edited.example" || s.Header.Get(proto.HeaderVerified) != "" || s.Header.Get(proto.HeaderReplayOf) != id ||
		s.Header.Get("X-Forwarded-For") == "6.6.6.6" || s.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("edited replay reached the app with Host %q and %v", s.Host, s.Header)
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

// waitOffline waits until the server no longer counts tunnel name online.
func waitOffline(tb testing.TB, c *api.Client, name string) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ts, err := c.Tunnels(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		online := false
		for _, tun := range ts {
			online = online || tun.Name == name && tun.Online
		}
		if !online {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("tunnel %s still online", name)
}
