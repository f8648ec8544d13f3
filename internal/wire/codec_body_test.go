package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"strings"
	"testing"
	"testing/iotest"
)

// responseCases are response heads, the Framing of their body and the head the relay
// gets; the fuzz test starts from them.
var responseCases = []struct {
	name, in string
	head     bool // answering a HEAD request
	fr       Framing
	want     string // "" when parse must fail
}{
	{"length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\n", false, Framing{FramedLength, 2},
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\n"},
	{"reason kept", "HTTP/1.1 299 Fine Indeed\r\nContent-Length: 0\r\n\r\n", false, Framing{FramedLength, 0},
		"HTTP/1.1 299 Fine Indeed\r\nContent-Length: 0\r\n\r\n"},
	{"no reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, Framing{FramedLength, 0}, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"},
	{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\nTrailer: X-T\r\n\r\n", false,
		Framing{Kind: FramedChunked}, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n"},
	{"until close", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", false, Framing{Kind: FramedEOF},
		"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"},
	{"http/1.0 sent as 1.1", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", false, Framing{FramedLength, 1},
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n"},
	{"http/1.0 has no chunks", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, Framing{Kind: FramedEOF},
		"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"},
	{"hop-by-hop dropped", "HTTP/1.1 200 OK\r\nConnection: X-A, keep-alive\r\nX-A: 1\r\nKeep-Alive: timeout=5\r\n" +
		"Proxy-Authenticate: Basic\r\nUpgrade: h2c\r\nTE: trailers\r\nTrailer: X-T\r\nContent-Length: 0\r\nX-B: 2\r\n\r\n",
		false, Framing{FramedLength, 0}, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-B: 2\r\n\r\n"},
	{"no date or type added", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, Framing{FramedLength, 0},
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
	{"head has no body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true, Framing{},
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"},
	{"204", "HTTP/1.1 204 No Content\r\n\r\n", false, Framing{}, "HTTP/1.1 204 No Content\r\n\r\n"},
	{"304 keeps its length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, Framing{},
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"},
	{"100", "HTTP/1.1 100 Continue\r\n\r\n", false, Framing{}, "HTTP/1.1 100 Continue\r\n\r\n"},
	{"101 keeps everything", "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", false,
		Framing{}, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"},
	{"spaces before the code", "HTTP/1.1  204 No Content\r\n\r\n", false, Framing{}, "HTTP/1.1  204 No Content\r\n\r\n"},
	{"two letters", "HTTP/1.1 20 OK\r\n\r\n", false, Framing{}, ""},
	{"letters", "HTTP/1.1 2x0 OK\r\n\r\n", false, Framing{}, ""},
	{"below 100", "HTTP/1.1 099 OK\r\n\r\n", false, Framing{}, ""},
	{"bad version", "HTTP/2 200 OK\r\n\r\n", false, Framing{}, ""},
	{"gzip coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, Framing{}, ""},
	{"differing lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", false, Framing{}, ""},
	{"equal lengths spelled differently", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 01\r\n\r\n", false, Framing{}, ""},
	{"trailer announcing a framing field", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Transfer-Encoding\r\n\r\n", false, Framing{}, ""},
	{"kelvin sign is no k", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chun\u212aed\r\n\r\n", false, Framing{}, ""},
	{"control in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", false, Framing{}, ""},
}

func TestResponseHead(t *testing.T) {
	for _, tt := range responseCases {
		var r Response
		err := r.Parse([]byte(tt.in))
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: parsed %+v, want an error", tt.name, r)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		fr := r.Framing(tt.head)
		got := string(r.AppendHead(nil, fr.Kind == FramedEOF))
		if fr != tt.fr || got != tt.want {
			t.Errorf("%s: Framing %+v, head\n%q; want %+v,\n%q", tt.name, fr, got, tt.fr, tt.want)
		}
	}
}

// FuzzResponseHead: whatever parse accepts, the head for the relay is one net/http reads
// with the same status and Framing, without hop-by-hop fields.
func FuzzResponseHead(f *testing.F) {
	for _, tt := range responseCases {
		f.Add([]byte(tt.in), tt.head)
	}
	f.Fuzz(func(t *testing.T, in []byte, head bool) {
		if end := headEnd(in, 0); end > 0 {
			in = in[:end]
		}
		var r Response
		if r.Parse(in) != nil {
			return
		}
		fr := r.Framing(head)
		out := r.AppendHead(nil, fr.Kind == FramedEOF)
		var again Response
		if err := again.Parse(out); err != nil || again.Status != r.Status || again.Framing(head) != fr {
			t.Fatalf("the head for the relay reads back as %d %+v (%v): %q", again.Status, again.Framing(head), err, out)
		}
		method := "GET"
		if head {
			method = "HEAD"
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), &http.Request{Method: method})
		if err != nil {
			return // net/http refuses some heads a relay passes on as they are
		}
		if resp.StatusCode != r.Status || r.Status != 101 && (resp.Header.Get("Keep-Alive") != "" || resp.Header.Get("Proxy-Authenticate") != "") {
			t.Fatalf("net/http reads %d %v from %q", resp.StatusCode, resp.Header, out)
		}
	})
}

// chunkedCases are chunked bodies; ok ones are copied whole and "rest" after them is left.
var chunkedCases = []struct {
	name, in string
	ok       bool
}{
	{"plain", "5\r\nhello\r\n0\r\n\r\n", true},
	{"extensions and upper hex", "A;name=\"v\"\r\n0123456789\r\n0;last\r\n\r\n", true},
	{"trailers", "3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n", true},
	{"trailing space in size line", "3 \r\nabc\r\n0\r\n\r\n", true},
	{"empty", "0\r\n\r\n", true},
	{"bare lf after size", "3\nabc\r\n0\r\n\r\n", false},
	{"bare cr in size line", "3\r;x\r\nabc\r\n0\r\n\r\n", false},
	{"data too long", "3\r\nabcd\r\n0\r\n\r\n", false},
	{"no crlf after data", "3\r\nabcXY0\r\n\r\n", false},
	{"bad hex", "x\r\nabc\r\n0\r\n\r\n", false},
	{"space before extension", "3 ;x\r\nabc\r\n0\r\n\r\n", false},
	{"size too long", "00000000000000001\r\na\r\n0\r\n\r\n", false},
	{"cut in data", "5\r\nhel", false},
	{"cut before trailer end", "0\r\nX-A: 1\r\n", false},
	{"bad trailer", "0\r\nnot a field\r\n\r\n", false},
	{"bare lf ends empty trailer", "0\r\n\n", false},
	{"bare lf after trailer field", "0\r\nX-Sum: 1\n\r\n", false},
	{"bare lf ends trailer", "0\r\nX-Sum: 1\r\n\n", false},
	{"empty size", "\r\nabc\r\n0\r\n\r\n", false},
	{"line too long", strings.Repeat("0", 5000) + "1\r\na\r\n0\r\n\r\n", false},
}

func TestCopyChunked(t *testing.T) {
	for _, tt := range chunkedCases {
		for _, oneByte := range []bool{false, true} {
			var src io.Reader = strings.NewReader(tt.in + "rest")
			if oneByte {
				src = iotest.OneByteReader(src)
			}
			br := bufio.NewReaderSize(src, 16)
			var out bytes.Buffer
			bw := bufio.NewWriterSize(&out, 16)
			err := CopyBody(bw, br, Framing{Kind: FramedChunked})
			rest, _ := io.ReadAll(br)
			if tt.ok && (err != nil || out.String() != tt.in || string(rest) != "rest") {
				t.Errorf("%s (one byte: %v): copied %q, left %q, %v", tt.name, oneByte, out.String(), rest, err)
			}
			if !tt.ok && (err == nil || !IsReadError(err)) {
				t.Errorf("%s (one byte: %v): copied %q without a read error (%v)", tt.name, oneByte, out.String(), err)
			}
		}
	}
}

// FuzzCopyChunked: a body copied as chunked is passed on as received, and net/http's own
// chunked reader agrees it is one: both ends see the body end at the same byte.
func FuzzCopyChunked(f *testing.F) {
	for _, tt := range chunkedCases {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		br := bufio.NewReaderSize(bytes.NewReader(in), 16)
		if CopyBody(bw, br, Framing{Kind: FramedChunked}) != nil {
			return
		}
		if !bytes.HasPrefix(in, out.Bytes()) {
			t.Fatalf("copied %q, not a prefix of %q", out.Bytes(), in)
		}
		cr := bufio.NewReader(bytes.NewReader(out.Bytes()))
		if _, err := io.Copy(io.Discard, httputil.NewChunkedReader(cr)); err != nil {
			t.Fatalf("net/http refuses the chunks copied: %v: %q", err, out.Bytes())
		}
		if _, err := http.ReadRequest(bufio.NewReader(io.MultiReader(strings.NewReader("GET / HTTP/1.1\r\nHost: h\r\n"),
			cr))); err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("net/http does not read the trailer section %q: %v", out.Bytes(), err)
		}
		// relay-server reads the body as net/http's client does, which is stricter about
		// the trailer section (every line ends with CRLF): it must find the end too.
		head := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		resp, err := http.ReadResponse(bufio.NewReader(io.MultiReader(strings.NewReader(head),
			bytes.NewReader(out.Bytes()))), nil)
		if err != nil {
			t.Fatalf("net/http does not read the response head: %v", err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatalf("net/http's client does not read the body copied %q: %v", out.Bytes(), err)
		}
	})
}

// TestTrailerSectionLimit: a trailer section is copied up to MaxTrailerSection bytes,
// the most net/http's readers take, and refused past it.
func TestTrailerSectionLimit(t *testing.T) {
	for _, tc := range []struct {
		pad int
		ok  bool
	}{{MaxTrailerSection - 11, true}, {MaxTrailerSection - 10, false}} {
		in := "0\r\nX-Pad: " + strings.Repeat("p", tc.pad) + "\r\n\r\n"
		var out bytes.Buffer
		err := CopyBody(bufio.NewWriter(&out), bufio.NewReaderSize(strings.NewReader(in), 8<<10), Framing{Kind: FramedChunked})
		if (err == nil) != tc.ok {
			t.Errorf("trailer section of %d bytes: %v, want ok %v", len(in)-3, err, tc.ok)
		}
		resp, rerr := http.ReadResponse(bufio.NewReader(strings.NewReader("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"+in)), nil)
		if rerr == nil {
			_, rerr = io.ReadAll(resp.Body)
		}
		if (rerr == nil) != tc.ok {
			t.Errorf("trailer section of %d bytes: net/http says %v, want ok %v", len(in)-3, rerr, tc.ok)
		}
	}
}

func TestCopyLengthAndEOF(t *testing.T) {
	body := strings.Repeat("0123456789", 10<<10) // larger than both buffers
	tests := []struct {
		name string
		fr   Framing
		in   string
		want string
		err  error
	}{
		{"length", Framing{FramedLength, 5}, "hellorest", "hello", nil},
		{"long length", Framing{FramedLength, int64(len(body))}, body + "rest", body, nil},
		{"short", Framing{FramedLength, 9}, "hello", "hello", io.ErrUnexpectedEOF},
		{"until eof", Framing{Kind: FramedEOF}, body, body, nil},
		{"none", Framing{}, "rest", "", nil},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		bw := bufio.NewWriterSize(&out, 64)
		err := CopyBody(bw, bufio.NewReaderSize(iotest.HalfReader(strings.NewReader(tt.in)), 16), tt.fr)
		_ = bw.Flush()
		if out.String() != tt.want || !errors.Is(err, tt.err) || err != nil && !IsReadError(err) {
			t.Errorf("%s: copied %d bytes, %v; want %d, %v", tt.name, out.Len(), err, len(tt.want), tt.err)
		}
	}
}
