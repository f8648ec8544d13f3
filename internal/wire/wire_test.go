package wire

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestHeadWrite(t *testing.T) {
	h := http.Header{}
	h["X-Mga-Signature"] = []string{"sha256=ab"}
	h.Add("X-Dup", "1")
	h.Add("X-Dup", "2")
	h.Set("Connection", "keep-alive, X-Hop")
	h.Set("X-Hop", "dropped")
	h.Set("Keep-Alive", "timeout=5")
	h.Set("Content-Length", "999") // rewritten from the body
	h.Set("X-Skip", "dropped")
	head := &Head{Method: "POST", Target: "//a%2Fb?x=1", Host: "hook.example", Header: h,
		Skip: map[string]bool{"X-Skip": true}, Extra: []string{"X-Forwarded-For", "1.2.3.4"},
		Body: []byte(`{"id":1}`), HadLength: true}
	var b bytes.Buffer
	bw := bufio.NewWriter(&b)
	head.Write(bw)
	bw.Flush()
	golden(t, "head", sortHeaderLines(b.String()))
	req, err := http.ReadRequest(bufio.NewReader(&b))
	if err != nil {
		t.Fatalf("the head does not parse: %v", err)
	}
	body, _ := io.ReadAll(req.Body)
	if req.RequestURI != "//a%2Fb?x=1" || req.Host != "hook.example" || string(body) != `{"id":1}` ||
		req.Header.Get("X-Hop") != "" || req.Header.Get("X-Skip") != "" || req.ContentLength != 8 {
		t.Fatalf("parsed back: %s %s %q %v", req.RequestURI, req.Host, body, req.Header)
	}
}

// sortHeaderLines makes the golden file independent of map order.
func sortHeaderLines(s string) string {
	head, body, _ := strings.Cut(s, "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	first, rest := lines[:2], lines[2:]
	for i := range rest {
		for j := i + 1; j < len(rest); j++ {
			if rest[j] < rest[i] {
				rest[i], rest[j] = rest[j], rest[i]
			}
		}
	}
	return strings.Join(append(first, rest...), "\r\n") + "\r\n\r\n" + body
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != got {
		t.Fatalf("%s: got\n%q\nwant\n%q (run with -update to accept)", path, got, want)
	}
}

func TestConnectionTokens(t *testing.T) {
	tests := []struct {
		in   []string
		want map[string]bool
	}{
		{nil, nil},
		{[]string{"close"}, map[string]bool{"Close": true}},
		{[]string{"keep-alive, x-a", " X-B ,"}, map[string]bool{"Keep-Alive": true, "X-A": true, "X-B": true}},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.in != nil {
			h["Connection"] = tt.in
		}
		if got := ConnectionTokens(h); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ConnectionTokens(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCopyResponseDropsHopHeaders(t *testing.T) {
	resp := &http.Response{StatusCode: 418, ContentLength: 2, Body: io.NopCloser(strings.NewReader("hi")),
		Header: http.Header{"Connection": {"X-Gone"}, "X-Gone": {"1"}, "Keep-Alive": {"x"}, "X-Kept": {"a", "b"}}}
	rec := httptest.NewRecorder()
	if err := CopyResponse(rec, resp); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 418 || rec.Body.String() != "hi" || rec.Header().Get("X-Gone") != "" ||
		rec.Header().Get("Keep-Alive") != "" || strings.Join(rec.Header()["X-Kept"], ",") != "a,b" {
		t.Fatalf("copied: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
}

// TestPoolReusesAndRetries: a kept-alive connection is reused; one the peer closed while
// idle is replaced, and the request sent again on a fresh one.
func TestPoolReusesAndRetries(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Path)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	p := NewPool(4, time.Minute, func() (net.Conn, error) { return net.Dial("tcp", addr) })
	get := func(path string) string {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		c, resp, err := p.RoundTrip(&Head{Method: "GET", Target: path, Host: addr, Header: http.Header{}}, req, time.Second)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		p.Put(c)
		return string(b)
	}
	if get("/a") != "/a" || get("/b") != "/b" {
		t.Fatal("wrong answers")
	}
	srv.CloseClientConnections() // the idle connection dies
	if got := get("/c"); got != "/c" {
		t.Fatalf("after the idle connection died: %q", got)
	}
	p.CloseIdle()
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections made, want 2 (one reused, one replacing the dead one)", n)
	}
}

// TestRoundTripEndsWithContext: a request whose context ends while the peer never
// answers returns at once instead of waiting forever.
func TestRoundTripEndsWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept and never answer
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			io.Copy(io.Discard, c)
		}
	}()
	p := NewPool(1, time.Minute, func() (net.Conn, error) { return net.Dial("tcp", ln.Addr().String()) })
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://x/", nil)
	done := make(chan error, 1)
	go func() {
		_, _, err := p.RoundTrip(&Head{Method: "GET", Target: "/", Host: "x", Header: http.Header{}}, req, 0)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("RoundTrip succeeded against a silent peer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RoundTrip still waiting after its context ended")
	}
}
