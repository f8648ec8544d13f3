package export_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/export"
)

// heard is one request as a raw listener read it off the socket.
type heard struct {
	method, uri string
	header      http.Header
	body        []byte
}

// listen accepts connections on 127.0.0.1:0 and sends each request it reads to the
// returned channel, answering 204.
func listen(t *testing.T) (string, <-chan heard) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan heard, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveOne(c, ch)
		}
	}()
	return "http://" + ln.Addr().String(), ch
}

func serveOne(c net.Conn, ch chan<- heard) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if req.Header.Get("Expect") == "100-continue" {
			io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
		}
		body, _ := io.ReadAll(req.Body)
		ch <- heard{req.Method, req.RequestURI, req.Header, body}
		io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\n")
	}
}

func rec(id, method, path, query string, body []byte, kv ...string) *api.Record {
	r := &api.Record{Summary: api.Summary{ID: id, Method: method, Path: path, Query: query}}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Request.Headers = append(r.Request.Headers, [2]string{kv[i], kv[i+1]})
	}
	r.Request.Body, r.Request.BodySize = body, int64(len(body))
	return r
}

// corpus are requests curl would change if told naively.
func corpus() []*api.Record {
	binary := []byte{0, 1, 2, 0xff, 0xfe, '\'', '\n', 0x1b, '[', '0', 'm', 0}
	big := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320,000 bytes: over the inline cap
	return []*api.Record{
		rec("json", "POST", "/hooks/stripe", "", []byte(`{"id":"evt_1","amount":100}`),
			"Content-Type", "application/json", "Stripe-Signature", "t=1,v1=abc", "User-Agent", "Stripe/1.0", "Accept", "*/*; q=0.5"),
		rec("binary", "POST", "/upload", "", binary, "Content-Type", "application/octet-stream"),
		rec("at-sign", "POST", "/at", "", []byte("@/etc/passwd"), "Content-Type", "text/plain"),
		rec("crlf", "POST", "/form", "", []byte("a=1\r\nb=2\r\n\r\n"), "Content-Type", "multipart/form-data; boundary=x"),
		rec("trailing-newline", "POST", "/nl", "", []byte("line one\nline two\n\n"), "Content-Type", "text/plain"),
		rec("glob", "GET", "/items", "filter[1]=a&x={y}", nil, "User-Agent", "probe"),
		rec("dots", "GET", "/a/../b/./c/..", "", nil),
		rec("empty-value", "POST", "/e", "", []byte("x"), "X-Empty", "", "Content-Type", "text/plain"),
		rec("no-defaults", "POST", "/bare", "", []byte("raw=1")),
		rec("get-with-body", "GET", "/search", "", []byte(`{"q":1}`), "Content-Type", "application/json"),
		rec("empty-put", "PUT", "/empty", "", nil, "Content-Length", "0"),
		rec("shell", "POST", "/sh", "", []byte("it's $HOME `id` $(id) \\ \"q\" !x"),
			"X-Quote", `a'b"c $(id) `+"`id`", "Content-Type", "text/plain"),
		rec("repeated", "POST", "/rep", "", []byte("r"), "X-Multi", "one", "X-Multi", "two", "Content-Type", "text/plain"),
		rec("big", "POST", "/big", "", big, "Content-Type", "text/plain"),
		rec("delete", "DELETE", "/thing/1", "", nil),
		rec("escapes", "GET", "/a%2Fb%20c", "q=a+b%26c&e=%3D", nil),
		rec("utf8", "POST", "/utf8", "", []byte("héllo wörld ✓ 🎉"), "Content-Type", "text/plain; charset=utf-8", "X-Name", "Zoë"),
		rec("head", "HEAD", "/h", "", nil),
		rec("hop", "POST", "/hop", "", []byte("h"), "Connection", "keep-alive", "Keep-Alive", "timeout=5",
			"Host", "relay.example", "Content-Type", "text/plain", "Expect", "100-continue"),
		rec("tab", "POST", "/tab", "", []byte("a\tb"), "Content-Type", "text/tab-separated-values"),
	}
}

// want is what the listener must hear for r: its method, target, headers other than
// Host, Content-Length and hop-by-hop ones, and body.
func want(r *api.Record) heard {
	h := http.Header{}
	for _, kv := range r.Request.Headers {
		switch http.CanonicalHeaderKey(kv[0]) {
		case "Host", "Content-Length", "Connection", "Keep-Alive":
			continue
		}
		h.Add(kv[0], kv[1])
	}
	body := r.Request.Body
	if body == nil {
		body = []byte{}
	}
	return heard{r.Method, pathQuery(r), h, body}
}

func pathQuery(r *api.Record) string {
	if r.Query != "" {
		return r.Path + "?" + r.Query
	}
	return r.Path
}

// TestCurlReproducesBytes runs real curl on each command of the corpus against a raw
// listener and compares what it heard with the record.
func TestCurlReproducesBytes(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("needs curl (apt-get install curl)")
	}
	url, ch := listen(t)
	dir := t.TempDir()
	for _, r := range corpus() {
		t.Run(r.ID, func(t *testing.T) {
			cmd := export.Curl(r, export.ShellVar("TARGET", "http://localhost:3000"), 256<<10)
			if !export.InlineBody(r, 256<<10) {
				if err := os.WriteFile(filepath.Join(dir, export.BodyFile(r)), r.Request.Body, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			sh := exec.Command("sh", "-c", cmd+" -sS -o /dev/null")
			sh.Dir, sh.Env = dir, append(os.Environ(), "TARGET="+url)
			if out, err := sh.CombinedOutput(); err != nil {
				t.Fatalf("%v: %s\ncommand:\n%s", err, out, cmd)
			}
			var got heard
			select {
			case got = <-ch:
			case <-time.After(time.Minute):
				t.Fatal("the listener heard nothing")
			}
			got.header.Del("Host")
			got.header.Del("Content-Length")
			if w := want(r); !reflect.DeepEqual(got, w) {
				t.Fatalf("curl sent\n%s %s %v %q\nwant\n%s %s %v %q\ncommand:\n%.2000s",
					got.method, got.uri, got.header, cut(got.body), w.method, w.uri, w.header, cut(w.body), cmd)
			}
		})
	}
}

func cut(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}
