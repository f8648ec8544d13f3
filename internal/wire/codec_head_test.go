package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

func TestHeadReader(t *testing.T) {
	big := "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 300) + "\r\n\r\n"
	tests := []struct {
		name, in string
		size     int // bufio buffer size
		limit    int
		want     []string // heads in order
		err      error    // after them
	}{
		{"crlf", "GET / HTTP/1.1\r\nHost: x\r\n\r\nrest", 64, 1000, []string{"GET / HTTP/1.1\r\nHost: x\r\n\r\n"}, nil},
		{"bare lf", "GET / HTTP/1.1\nHost: x\n\n", 64, 1000, []string{"GET / HTTP/1.1\nHost: x\n\n"}, io.EOF},
		{"two heads", "A\r\n\r\nB\r\n\r\n", 64, 1000, []string{"A\r\n\r\n", "B\r\n\r\n"}, io.EOF},
		{"larger than the buffer", big, 16, 1000, []string{big}, io.EOF},
		{"too large in the buffer", big, 4096, 100, nil, ErrHeadTooLarge},
		{"too large spilled", big, 16, 100, nil, ErrHeadTooLarge},
		{"cut short", "GET / HTTP/1.1\r\nHost: x\r\n", 64, 1000, nil, io.ErrUnexpectedEOF},
		{"cut short spilled", big[:200], 16, 1000, nil, io.ErrUnexpectedEOF},
		{"empty", "", 64, 1000, nil, io.EOF},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			var src io.Reader = strings.NewReader(tt.in)
			if oneByte {
				src = iotest.OneByteReader(src)
			}
			h := HeadReader{br: bufio.NewReaderSize(src, tt.size)}
			var got []string
			var err error
			for {
				var raw []byte
				if raw, err = h.Next(tt.limit); err != nil {
					break
				}
				got = append(got, string(raw))
				h.Release()
				if _, err = h.br.Discard(len(trailingBody(tt.in, got))); err != nil {
					break
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || !errors.Is(err, tt.err) && !(tt.err == nil && err == io.EOF) {
				t.Errorf("%s (one byte at a time: %v): got %q, %v; want %q, %v", tt.name, oneByte, got, err, tt.want, tt.err)
			}
		}
	}
}

// trailingBody is what follows the heads read so far when it is not another head: the
// "rest" of the first case.
func trailingBody(in string, heads []string) string {
	rest := strings.TrimPrefix(in, strings.Join(heads, ""))
	if strings.Contains(rest, "\n\n") || strings.Contains(rest, "\r\n\r\n") {
		return ""
	}
	return rest
}

// requestCases are request heads and what parse makes of them; the fuzz test starts
// from them.
var requestCases = []struct {
	name, in string
	ok       bool
	check    func(*Request) bool
}{
	{"post", "POST /hook?a=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-Hookrelay-Tunnel: app\r\n\r\n", true,
		func(r *Request) bool {
			return string(r.Method) == "POST" && string(r.Target) == "/hook?a=1" && r.Length == 5 && string(r.Tunnel) == "app" && !r.Close
		}},
	{"chunked wins over length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", true,
		func(r *Request) bool { return r.Chunked && r.Length == -1 }},
	{"repeated equal lengths", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", true,
		func(r *Request) bool { return r.Length == 5 }},
	{"close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n", true,
		func(r *Request) bool { return r.Close }},
	{"http/1.0 closes", "GET / HTTP/1.0\r\n\r\n", true, func(r *Request) bool { return r.Close }},
	{"http/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, func(r *Request) bool { return !r.Close }},
	{"upgrade", "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", true,
		func(r *Request) bool { return string(r.Upgrade) == "websocket" }},
	{"upgrade header without the connection token", "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n", true,
		func(r *Request) bool { return r.Upgrade == nil }},
	{"expect with a body", "PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n", true,
		func(r *Request) bool { return r.Expect }},
	{"expect without a body", "PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n", true,
		func(r *Request) bool { return !r.Expect }},
	{"te trailers", "POST / HTTP/1.1\r\nHost: h\r\nTE: deflate, trailers\r\n\r\n", true, func(r *Request) bool { return r.trailer }},
	{"http/1.0 ignores transfer-encoding", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n", true,
		func(r *Request) bool { return !r.Chunked && r.Length == 3 && r.Close }},
	{"http/1.0 ignores any coding", "POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n", true,
		func(r *Request) bool { return !r.Chunked && r.Length == -1 }},
	{"trailer announcing a framing field", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTrailer: X-A, content-length\r\n\r\n", false, nil},
	{"trailer announcing framing without chunks", "POST / HTTP/1.1\r\nHost: h\r\nTrailer: Content-Length\r\nContent-Length: 1\r\n\r\n", true, nil},
	{"kelvin sign is no k", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chun\u212aed\r\n\r\n", false, nil},
	{"long s is no s", "GET / HTTP/1.1\r\nHost: h\r\nConnection: clo\u017fe\r\n\r\n", true, func(r *Request) bool { return !r.Close }},
	{"asterisk refused", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", false, nil},
	{"absolute form refused", "GET http://h/x HTTP/1.1\r\nHost: h\r\n\r\n", false, nil},
	{"value whitespace", "GET / HTTP/1.1\r\nHost:   h \t\r\nX-A:\r\n\r\n", true,
		func(r *Request) bool { return string(r.fields[0].value) == "h" && len(r.fields[1].value) == 0 }},
	{"no host", "GET / HTTP/1.1\r\n\r\n", false, nil},
	{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", false, nil},
	{"differing lengths", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", false, nil},
	{"equal lengths spelled differently", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\n", false, nil},
	{"signed length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", false, nil},
	{"empty length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", false, nil},
	{"leading zeros", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0000000000000000005\r\n\r\n", true,
		func(r *Request) bool { return r.Length == 5 }},
	{"largest length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775807\r\n\r\n", true,
		func(r *Request) bool { return r.Length == 1<<63-1 }},
	{"length over int64", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775808\r\n\r\n", false, nil},
	{"length wrapping uint64", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 92233720368547758070\r\n\r\n", false, nil},
	{"huge length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", false, nil},
	{"gzip coding", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false, nil},
	{"two codings", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", false, nil},
	{"http/2", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", false, nil},
	{"lowercase version", "GET / http/1.1\r\nHost: h\r\n\r\n", false, nil},
	{"space in target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", false, nil},
	{"relative target", "GET a HTTP/1.1\r\nHost: h\r\n\r\n", false, nil},
	{"two spaces", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", false, nil},
	{"bad method", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", false, nil},
	{"space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", false, nil},
	{"folded line", "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n 2\r\n\r\n", false, nil},
	{"control in value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\x002\r\n\r\n", false, nil},
	{"bare cr", "GET / HTTP/1.1\r\nHost: h\rX-A: 1\r\n\r\n", false, nil},
	{"no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", false, nil},
	{"empty start line", "\r\nGET / HTTP/1.1\r\n\r\n", false, nil},
}

func TestParseRequest(t *testing.T) {
	for _, tt := range requestCases {
		var r Request
		err := r.Parse([]byte(tt.in))
		if (err == nil) != tt.ok || err == nil && tt.check != nil && !tt.check(&r) {
			t.Errorf("%s: parse = %v, request %+v", tt.name, err, r)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %v does not wrap ErrMalformed", tt.name, err)
		}
	}
}

// TestRequestHeadForApp has one case per rule of what the app gets.
func TestRequestHeadForApp(t *testing.T) {
	tests := []struct{ name, prefix, in, want string }{
		{"http/1.0 without host gets the app's", "", "GET / HTTP/1.0\r\n\r\n", "GET / HTTP/1.1\r\nHost: app:1\r\n\r\n"},
		{"as received", "", "POST /a?b=1 HTTP/1.1\r\nhost: h\r\nX-Mixed-CASE:  v \r\nContent-Length: 2\r\n\r\n",
			"POST /a?b=1 HTTP/1.1\r\nhost: h\r\nX-Mixed-CASE:  v \r\nContent-Length: 2\r\n\r\n"},
		{"bare lf becomes crlf", "", "GET / HTTP/1.1\nHost: h\n\n", "GET / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"tunnel header dropped", "", "GET / HTTP/1.1\r\nHost: h\r\nX-Hookrelay-Tunnel: app\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"path prefix", "/base", "GET /x?q=1 HTTP/1.1\r\nHost: h\r\n\r\n", "GET /base/x?q=1 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"empty query kept", "/base", "GET /x? HTTP/1.1\r\nHost: h\r\n\r\n", "GET /base/x? HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"double slash kept", "", "GET //a//b%2F HTTP/1.1\r\nHost: h\r\n\r\n", "GET //a//b%2F HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"http/1.0 sent as 1.1", "", "GET / HTTP/1.0\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"connection and named dropped", "", "GET / HTTP/1.1\r\nHost: h\r\nConnection: X-A, close\r\nX-A: 1\r\nX-B: 2\r\n\r\n",
			"GET / HTTP/1.1\r\nHost: h\r\nX-B: 2\r\n\r\n"},
		{"Framing survives being named", "", "POST / HTTP/1.1\r\nHost: h\r\nConnection: Content-Length, Host\r\nContent-Length: 1\r\n\r\n",
			"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n"},
		{"keep-alive and proxy fields dropped", "", "GET / HTTP/1.1\r\nHost: h\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n" +
			"Proxy-Authorization: Basic x\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"te dropped", "", "GET / HTTP/1.1\r\nHost: h\r\nTE: gzip\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"te trailers kept", "", "GET / HTTP/1.1\r\nHost: h\r\nTE: gzip\r\nTE: trailers\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\nTe: trailers\r\n\r\n"},
		{"upgrade without connection dropped", "", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"upgrade kept", "", "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, upgrade\r\nUpgrade: websocket\r\nUpgrade: x\r\nSec-WebSocket-Key: k\r\n\r\n",
			"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n"},
		{"chunked keeps coding and trailer", "", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nTrailer: X-T\r\n\r\n",
			"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n"},
		{"http/1.0 transfer-encoding dropped", "", "POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
			"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n"},
		{"trailer without chunks dropped", "", "POST / HTTP/1.1\r\nHost: h\r\nTrailer: X-T\r\nContent-Length: 3\r\n\r\n",
			"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n"},
		{"repeated length once", "", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
			"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n"},
		{"expect and forwarded kept", "", "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nX-Forwarded-For: 1.2.3.4\r\nContent-Length: 3\r\n\r\n",
			"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nX-Forwarded-For: 1.2.3.4\r\nContent-Length: 3\r\n\r\n"},
	}
	for _, tt := range tests {
		var r Request
		if err := r.Parse([]byte(tt.in)); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := string(r.AppendHead(nil, tt.prefix, "app:1")); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// FuzzRequestHead: whatever parse accepts, the head written for the app is one net/http
// reads back the same way, without the tunnel header or hop-by-hop fields.
func FuzzRequestHead(f *testing.F) {
	for _, tt := range requestCases {
		f.Add([]byte(tt.in), "")
	}
	f.Add([]byte("GET /x HTTP/1.1\r\nHost: h\r\n\r\n"), "/base")
	f.Fuzz(func(t *testing.T, in []byte, prefix string) {
		if end := headEnd(in, 0); end > 0 {
			in = in[:end]
		}
		var r Request
		if r.Parse(in) != nil {
			return
		}
		prefix = "/" + strings.Trim(strings.Map(pathOnly, prefix), "/")
		out := r.AppendHead(nil, strings.TrimSuffix(prefix, "/"), "app:1")
		var again Request
		if err := again.Parse(out); err != nil {
			t.Fatalf("the head for the app does not parse: %v\n%q", err, out)
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(out)))
		if err != nil {
			return // net/http is stricter about some targets and hosts than a relay needs
		}
		for _, h := range []string{"X-Hookrelay-Tunnel", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization"} {
			if _, ok := req.Header[h]; ok {
				t.Fatalf("%s reached the app: %q", h, out)
			}
		}
		if req.Method != string(r.Method) || again.Chunked != r.Chunked || again.Length != r.Length {
			t.Fatalf("the app reads %s, chunked %v, length %d from %q", req.Method, again.Chunked, again.Length, out)
		}
	})
}

func pathOnly(r rune) rune {
	if r > ' ' && r < 0x7f && r != '?' {
		return r
	}
	return -1
}
