package export_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/export"
)

var update = flag.Bool("update", false, "rewrite testdata/har.golden")

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// harFixture covers what a HAR viewer gets wrong when a field is: a path-form URL with
// a query, a host-form one, a binary request body, a gzip response, an undecodable br
// response and a truncated body.
func harFixture() []*api.Record {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	mk := func(id, host, path, query string) *api.Record {
		r := &api.Record{Summary: api.Summary{ID: id, Tunnel: "shop", Method: "POST", Path: path, Query: query,
			Status: 200, ReceivedAt: at, DurationMS: 1.5}, Host: host, Proto: "HTTP/1.1"}
		r.Response.Headers = [][2]string{{"Content-Type", "application/json"}}
		r.Response.Body, r.Response.BodySize = []byte(`{"ok":true}`), 11
		return r
	}
	pathForm := mk("01path", "relay.example", "/hooks/x", "a=1&b=x%20y&c%5B1%5D=z&d=%zz&flag")
	pathForm.Request.Headers = [][2]string{{"Content-Type", "application/json"}}
	pathForm.Request.Body, pathForm.Request.BodySize = []byte(`{"n":1}`), 7
	hostForm := mk("01host", "shop.relay.example", "/", "")
	binary := mk("01binary", "relay.example", "/upload", "")
	binary.Request.Headers = [][2]string{{"Content-Type", "application/octet-stream"}}
	binary.Request.Body, binary.Request.BodySize = []byte{0xff, 0, 1, 0xfe}, 4
	gz := mk("01gzip", "relay.example", "/gz", "")
	gz.Response.Headers = [][2]string{{"Content-Type", "text/plain"}, {"Content-Encoding", "gzip"}}
	gz.Response.Body = gzipped(strings.Repeat("hello ", 20))
	gz.Response.BodySize = int64(len(gz.Response.Body))
	br := mk("01brotli", "relay.example", "/br", "")
	br.Response.Headers = [][2]string{{"Content-Type", "text/plain"}, {"Content-Encoding", "br"}}
	br.Response.Body, br.Response.BodySize = []byte{0x0b, 0x02, 0x80, 'h', 'i', 0x03}, 6
	cut := mk("01cut", "relay.example", "/big", "")
	cut.Request.Body, cut.Request.BodySize, cut.Request.BodyTruncated = []byte("abc"), 1000, true
	return []*api.Record{pathForm, hostForm, binary, gz, br, cut}
}

func TestHARGolden(t *testing.T) {
	var b bytes.Buffer
	if err := export.HAR(&b, harFixture(), map[string]string{"shop": "http"}); err != nil {
		t.Fatal(err)
	}
	if *update {
		os.WriteFile("testdata/har.golden", b.Bytes(), 0o644)
	}
	want, err := os.ReadFile("testdata/har.golden")
	if err != nil || !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("HAR differs from testdata/har.golden (go test -update to rewrite, then review):\n%s", b.String())
	}
	checkHAR(t, b.Bytes())
}

// TestHARContent checks the fields the golden file is about, by meaning.
func TestHARContent(t *testing.T) {
	var b bytes.Buffer
	_ = export.HAR(&b, harFixture(), nil)
	var h struct {
		Log struct {
			Entries []struct {
				Request struct {
					URL         string
					QueryString []struct{ Name, Value string }
					PostData    *struct {
						Text     string
						Encoding string `json:"_encoding"`
					}
				}
				Response struct {
					Content struct {
						Size, Compression int64
						Text, Encoding    string
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	e := h.Log.Entries
	if e[0].Request.URL != "https://relay.example/t/shop/hooks/x?a=1&b=x%20y&c%5B1%5D=z&d=%zz&flag" ||
		e[1].Request.URL != "https://shop.relay.example/" {
		t.Errorf("urls %q %q", e[0].Request.URL, e[1].Request.URL)
	}
	q := e[0].Request.QueryString
	if len(q) != 5 || q[1].Value != "x y" || q[2].Name != "c[1]" || q[3].Value != "%zz" || q[4].Name != "flag" {
		t.Errorf("queryString %+v", q)
	}
	if p := e[2].Request.PostData; p == nil || p.Text != "/wAB/g==" || p.Encoding != "base64" {
		t.Errorf("binary postData %+v", p)
	}
	if c := e[3].Response.Content; c.Text != strings.Repeat("hello ", 20) || c.Size != 120 || c.Encoding != "" ||
		c.Compression != 120-int64(len(harFixture()[3].Response.Body)) {
		t.Errorf("gzip content %+v", c)
	}
	if c := e[4].Response.Content; c.Encoding != "base64" || c.Size != 6 {
		t.Errorf("br content %+v", c)
	}
}

// harSpec lists, per HAR 1.2 object, its required fields and its optional ones; any
// other field must be custom (start with "_").
var harSpec = map[string][2][]string{
	"log":      {{"version", "creator", "entries"}, {"browser", "pages", "comment"}},
	"creator":  {{"name", "version"}, {"comment"}},
	"entry":    {{"startedDateTime", "time", "request", "response", "cache", "timings"}, {"pageref", "serverIPAddress", "connection", "comment"}},
	"request":  {{"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"}, {"postData", "comment"}},
	"response": {{"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize"}, {"comment"}},
	"content":  {{"size", "mimeType"}, {"compression", "text", "encoding", "comment"}},
	"postData": {{"mimeType"}, {"params", "text", "comment"}},
	"timings":  {{"send", "wait", "receive"}, {"blocked", "dns", "connect", "ssl", "comment"}},
	"nv":       {{"name", "value"}, {"comment"}},
	"cache":    {nil, {"beforeRequest", "afterRequest", "comment"}},
}

// checkHAR validates a HAR document against harSpec.
func checkHAR(t *testing.T, doc []byte) {
	t.Helper()
	var top map[string]any
	if err := json.Unmarshal(doc, &top); err != nil {
		t.Fatal(err)
	}
	log := obj(t, "log", top["log"])
	if log["version"] != "1.2" {
		t.Errorf("version %v", log["version"])
	}
	obj(t, "creator", log["creator"])
	for _, e := range log["entries"].([]any) {
		entry := obj(t, "entry", e)
		if _, err := time.Parse(time.RFC3339Nano, entry["startedDateTime"].(string)); err != nil {
			t.Errorf("startedDateTime: %v", err)
		}
		req, resp := obj(t, "request", entry["request"]), obj(t, "response", entry["response"])
		obj(t, "cache", entry["cache"])
		for _, k := range []string{"send", "wait", "receive"} {
			if v := obj(t, "timings", entry["timings"])[k].(float64); v < 0 {
				t.Errorf("timings.%s = %v", k, v)
			}
		}
		for _, list := range []any{req["headers"], req["queryString"], req["cookies"], resp["headers"], resp["cookies"]} {
			for _, nv := range list.([]any) {
				obj(t, "nv", nv)
			}
		}
		if p, ok := req["postData"]; ok {
			obj(t, "postData", p)
		}
		obj(t, "content", resp["content"])
	}
}

func obj(t *testing.T, kind string, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: not an object: %v", kind, v)
	}
	spec := harSpec[kind]
	for _, k := range spec[0] {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks required %q", kind, k)
		}
	}
	for k := range m {
		if !slices.Contains(spec[0], k) && !slices.Contains(spec[1], k) && !strings.HasPrefix(k, "_") {
			t.Errorf("%s has %q, not a HAR 1.2 field and not custom (_name)", kind, k)
		}
	}
	return m
}
