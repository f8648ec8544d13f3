package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Inputs of the differential fuzz target: what the first byte of the input says the
// rest is.
const (
	diffRequest  = 'q' // a request from the relay, head and body
	diffResponse = 's' // a response from an app, head and body
	diffChunked  = 'c' // a chunked body
)

// codecDeviations are the inputs on which the codec and net/http disagree on purpose,
// each with its reason. The differential fuzz target fails on any other disagreement.
var codecDeviations = []struct {
	name, why string
	applies   func(kind byte, in []byte, c, n *diffResult) bool
}{
	{"request target form", "the relay sends origin-form targets only; net/http also takes absolute-form, authority-form and *",
		func(kind byte, in []byte, c, n *diffResult) bool {
			return kind == diffRequest && codecRefused(c, n, "bad request line") && !strings.HasPrefix(n.target, "/")
		}},
	{"request target escapes", "the codec passes the target on byte for byte for the app to route on; net/http refuses what url.ParseRequestURI does",
		func(kind byte, in []byte, c, n *diffResult) bool {
			var ue *url.Error
			return kind == diffRequest && c.err == nil && errors.As(n.err, &ue)
		}},
	{"Host syntax", "the codec passes Host on as received for the app to judge; net/http checks its characters",
		func(kind byte, in []byte, c, n *diffResult) bool {
			return kind == diffRequest && c.err == nil && n.err != nil && strings.Contains(n.err.Error(), "malformed Host")
		}},
	{"HTTP versions", "the codec speaks HTTP/1.0 and HTTP/1.1 only; net/http reads any HTTP/1.x (and a response's HTTP/x.y)",
		func(kind byte, in []byte, c, n *diffResult) bool {
			return c.err != nil && n.err == nil && n.proto != "HTTP/1.0" && n.proto != "HTTP/1.1"
		}},
	{"status codes", "the codec takes 100-999 only (RFC 9110 section 15); net/http takes any three characters strconv.Atoi reads",
		func(kind byte, in []byte, c, n *diffResult) bool {
			return kind == diffResponse && codecRefused(c, n, "bad status line") && (n.status < 100 || n.status > 999)
		}},
	{"reason phrase", "a control byte in the reason phrase is refused (RFC 9112 section 4); net/http's server drops the phrase, the codec would pass it on",
		func(kind byte, in []byte, c, n *diffResult) bool {
			line, _, _ := bytes.Cut(in, []byte{'\n'})
			return kind == diffResponse && codecRefused(c, n, "bad status line") && !validValue(strings.TrimSuffix(string(line), "\r"))
		}},
	{"field syntax", "names must be tokens and values free of control bytes (RFC 9110 section 5) in response heads and trailer sections too, since the codec passes fields on as received; ReadResponse and net/http's trailer reader take such fields (http.Server checks a request head's only)",
		func(kind byte, in []byte, c, n *diffResult) bool {
			return kind == diffResponse && codecRefused(c, n, "bad header") && !validFields(n.header) ||
				c.bodyErr && !n.bodyErr && errors.Is(c.bodyWhy, ErrMalformed)
		}},
	{"obsolete line folding", "a field value continued on the next line is refused (RFC 9112 section 5.2 lets a recipient refuse it); net/http joins the lines",
		func(kind byte, in []byte, c, n *diffResult) bool {
			return codecRefused(c, n, "bad header line") && hasObsFold(in)
		}},
	{"bare LF in chunked framing", "every line of a chunked body's framing ends with CRLF (RFC 9112 section 7.1): a bare LF ending the trailer section can make relay-server's response reader wait for ever; net/http's request reader takes one in some places",
		func(kind byte, in []byte, c, n *diffResult) bool {
			return c.bodyErr && !n.bodyErr && bareLFInChunks(c.chunks)
		}},
}

// codecRefused reports whether the codec refused a head net/http took, with an error
// that says msg.
func codecRefused(c, n *diffResult, msg string) bool {
	return c.err != nil && n.err == nil && strings.Contains(c.err.Error(), msg)
}

// validFields reports whether every name in h is a token and every value free of
// control bytes but HTAB.
func validFields(h http.Header) bool {
	for k, vv := range h {
		if CheckField(k, vv...) != nil {
			return false
		}
	}
	return true
}

// hasObsFold reports whether a line of the head at the start of in begins with SP or HTAB.
func hasObsFold(in []byte) bool {
	if end := headEnd(in, 0); end > 0 {
		in = in[:end]
	}
	return bytes.Contains(in, []byte("\n ")) || bytes.Contains(in, []byte("\n\t"))
}

// diffResult is what one side made of an input.
type diffResult struct {
	err         error // refusing the head (or, for diffChunked, the body)
	method      string
	target      string
	proto       string
	status      int
	host        string
	header      http.Header
	length      int64 // -1: unknown (chunked or until close)
	body        []byte
	bodyErr     bool
	bodyWhy     error  // the codec's error about the body
	consumed    int    // input bytes read through the body's end
	chunks      []byte // diffChunked and chunked messages: the bytes after the head
	chunkedBody bool
}

// FuzzCodecMatchesNetHTTP: on every input the codec and net/http agree: both accept,
// with the same method, target, status, header fields, framing and body bytes (a chunked
// body decoded), read through the same byte; or both refuse. Request heads are compared
// with http.ReadRequest, response heads with http.ReadResponse, chunked bodies with
// httputil.NewChunkedReader and net/http's trailer reading. codecDeviations lists the
// differences on purpose.
func FuzzCodecMatchesNetHTTP(f *testing.F) {
	for _, tt := range requestCases {
		f.Add(append([]byte{diffRequest}, tt.in...))
	}
	for _, tt := range responseCases {
		f.Add(append([]byte{diffResponse}, tt.in...))
	}
	for _, tt := range chunkedCases {
		f.Add(append([]byte{diffChunked}, tt.in...))
		f.Add(append([]byte(string(diffRequest)+"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), tt.in...))
		f.Add(append([]byte(string(diffResponse)+"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), tt.in...))
	}
	f.Add([]byte(string(diffRequest) + benchRequest))
	f.Add([]byte(string(diffResponse) + benchResponse))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		kind, in := in[0], in[1:]
		var c, n diffResult
		switch kind {
		case diffRequest:
			c, n = codecRequest(in), netRequest(in)
		case diffResponse:
			c, n = codecResponse(in), netResponse(in)
		case diffChunked:
			c, n = codecChunked(in), netChunked(in)
		default:
			return
		}
		if why := diffMismatch(&c, &n); why != "" {
			for _, d := range codecDeviations {
				if d.applies(kind, in, &c, &n) {
					return
				}
			}
			t.Fatalf("%c %q:\n%s\ncodec:    %+v\nnet/http: %+v", kind, in, why, c, n)
		}
	})
}

// diffMismatch says how c and n disagree; "" when they agree.
func diffMismatch(c, n *diffResult) string {
	switch {
	case (c.err == nil) != (n.err == nil):
		return "one side refuses the head: codec " + errString(c.err) + ", net/http " + errString(n.err)
	case c.err != nil:
		return ""
	case c.method != n.method || c.target != n.target || c.status != n.status || c.host != n.host:
		return "the start line or Host differ"
	case !reflect.DeepEqual(c.header, n.header):
		return "the header fields differ"
	case c.length != n.length || c.chunkedBody != n.chunkedBody:
		return "the framing differs"
	case c.bodyErr != n.bodyErr:
		return "one side refuses the body"
	case !c.bodyErr && (!bytes.Equal(c.body, n.body) || c.consumed != n.consumed):
		return "the body or its end differ"
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return "accepts"
	}
	return "refuses (" + err.Error() + ")"
}

// bareLFInChunks reports whether a LF without its CR ends a framing line of the chunked
// body at the start of b: a chunk-size line, the end of a chunk's data, a trailer line.
func bareLFInChunks(b []byte) bool {
	line := func() ([]byte, bool) { // the next line; true when it ends with a bare LF
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil, false
		}
		l := b[:i]
		b = b[i+1:]
		return l, i == 0 || l[i-1] != '\r'
	}
	for {
		l, bare := line()
		if bare || l == nil {
			return bare
		}
		v, _, _ := bytes.Cut(bytes.TrimRight(bytes.TrimSuffix(l, []byte{'\r'}), " \t"), []byte{';'})
		size, err := strconv.ParseUint(string(v), 16, 62)
		if err != nil {
			return false
		}
		if size == 0 {
			for {
				l, bare := line()
				if bare || len(l) <= 1 {
					return bare
				}
			}
		}
		if uint64(len(b)) < size {
			return false
		}
		b = b[size:]
		if _, bare := line(); bare {
			return true
		}
	}
}

func codecRequest(in []byte) (res diffResult) {
	src := bytes.NewReader(in)
	br := bufio.NewReaderSize(src, 4096)
	h := NewHeadReader(br)
	raw, err := h.Next(MaxRequestHead)
	var r Request
	if err == nil {
		err = r.Parse(raw)
	}
	if res.err = err; err != nil {
		return res
	}
	res.method, res.target, res.proto = string(r.Method), string(r.Target), protoOf(raw)
	res.header, res.host = codecHeader(r.fields, true)
	h.Release()
	codecBody(&res, br, src, len(in), r.Framing(), max(r.Length, 0)) // net/http: 0 without a body
	return res
}

func codecResponse(in []byte) (res diffResult) {
	src := bytes.NewReader(in)
	br := bufio.NewReaderSize(src, 4096)
	h := NewHeadReader(br)
	raw, err := h.Next(MaxResponseHead)
	var r Response
	if err == nil {
		err = r.Parse(raw)
	}
	if res.err = err; err != nil {
		return res
	}
	res.status, res.proto = r.Status, protoOf(raw)
	res.header, _ = codecHeader(r.fields, false)
	if !r.http10 && hasToken([]byte(strings.Join(res.header["Connection"], ",")), "close") {
		delete(res.header, "Connection") // net/http keeps an HTTP/1.1 "close" as resp.Close alone
	}
	h.Release()
	fr := r.Framing(false)
	length := r.Length
	if fr.Kind == FramedNone {
		length = 0
	}
	codecBody(&res, br, src, len(in), fr, length)
	return res
}

func codecChunked(in []byte) (res diffResult) {
	src := bytes.NewReader(in)
	br := bufio.NewReaderSize(src, 4096)
	res.length = -1
	codecBody(&res, br, src, len(in), Framing{Kind: FramedChunked}, -1)
	res.chunkedBody = false
	if res.bodyErr {
		res.err = errors.New("body refused")
	}
	return res
}

// codecBody copies the body as CopyBody does, decoding a chunked one with net/http's
// chunked reader: the codec passes it on verbatim.
func codecBody(res *diffResult, br *bufio.Reader, src *bytes.Reader, total int, fr Framing, length int64) {
	res.length = length
	if fr.Kind == FramedChunked || fr.Kind == FramedEOF {
		res.length = -1
	}
	res.chunkedBody = fr.Kind == FramedChunked
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	if fr.Kind == FramedChunked {
		rest, _ := br.Peek(br.Buffered())
		res.chunks = append(append([]byte(nil), rest...), unread(src)...)
	}
	if err := CopyBody(bw, br, fr); err != nil {
		res.bodyErr, res.bodyWhy = true, err
		return
	}
	res.consumed = total - src.Len() - br.Buffered()
	res.body = out.Bytes()
	if fr.Kind == FramedChunked {
		data, err := io.ReadAll(httputil.NewChunkedReader(bufio.NewReader(bytes.NewReader(out.Bytes()))))
		if err != nil {
			res.bodyErr = true
		}
		res.body = data
	}
	if res.body == nil {
		res.body = []byte{}
	}
}

// unread returns what src has not given out yet, without consuming it.
func unread(src *bytes.Reader) []byte {
	pos, _ := src.Seek(0, io.SeekCurrent)
	b := make([]byte, src.Len())
	_, _ = src.ReadAt(b, pos)
	return b
}

// codecHeader turns the codec's fields into net/http's form: canonical names, Host
// apart, Pragma: no-cache implying Cache-Control as net/http makes it.
func codecHeader(fields []headerField, request bool) (h http.Header, host string) {
	h = http.Header{}
	for _, f := range fields {
		k := textproto.CanonicalMIMEHeaderKey(string(f.name))
		h[k] = append(h[k], string(f.value))
	}
	if request {
		if v := h["Host"]; len(v) > 0 {
			host = v[0]
		}
		delete(h, "Host")
	}
	if len(h["Pragma"]) > 0 && h.Get("Pragma") == "no-cache" && len(h["Cache-Control"]) == 0 {
		h["Cache-Control"] = []string{"no-cache"}
	}
	framingApart(h)
	return h, host
}

// framingApart drops the framing fields net/http moves out of the header: the framing
// is compared on its own.
func framingApart(h http.Header) {
	for _, k := range [...]string{"Content-Length", "Transfer-Encoding", "Trailer"} {
		delete(h, k)
	}
}

func protoOf(raw []byte) string {
	line, _, _ := bytes.Cut(raw, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if bytes.HasPrefix(line, []byte("HTTP/")) {
		v, _, _ := bytes.Cut(line, []byte{' '})
		return string(v)
	}
	return string(line[bytes.LastIndexByte(line, ' ')+1:])
}

func netRequest(in []byte) (res diffResult) {
	src := bytes.NewReader(in)
	br := bufio.NewReader(src)
	req, err := http.ReadRequest(br)
	if res.err = err; err != nil {
		return res
	}
	if res.err = serverChecks(req, in); res.err != nil {
		return res
	}
	res.method, res.target, res.proto, res.host = req.Method, req.RequestURI, req.Proto, req.Host
	netMessage(&res, req.Header, req.TransferEncoding, req.ContentLength, req.Body, br, src, len(in))
	return res
}

// serverChecks are the checks http.Server makes of a request after http.ReadRequest
// (net/http's server.go, readRequest): a Host field in HTTP/1.1, its bytes those of a
// host and port, token names, values without control bytes but HTAB. ReadRequest drops
// the Host field, so textproto reads the head again for it.
func serverChecks(req *http.Request, in []byte) error {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(in)))
	_, _ = tp.ReadLine()
	h, _ := tp.ReadMIMEHeader()
	if req.ProtoAtLeast(1, 1) && len(h["Host"]) == 0 {
		return errors.New("missing required Host header")
	}
	if len(h["Host"]) == 1 && strings.Trim(h["Host"][0], hostBytes) != "" {
		return errors.New("malformed Host header")
	}
	if !validFields(req.Header) {
		return errors.New("invalid header")
	}
	return nil
}

// hostBytes are the bytes net/http's server takes in a Host value (httpguts.ValidHostHeader).
const hostBytes = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!$%&()*+,-.:;=[']_~"

func netResponse(in []byte) (res diffResult) {
	src := bytes.NewReader(in)
	br := bufio.NewReader(src)
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if res.err = err; err != nil {
		return res
	}
	res.status, res.proto = resp.StatusCode, resp.Proto
	length := resp.ContentLength
	netMessage(&res, resp.Header, resp.TransferEncoding, length, resp.Body, br, src, len(in))
	if s := resp.StatusCode; s < 200 || s == 204 || s == 304 {
		res.chunkedBody = false // net/http keeps the coding's name; there is no body
	}
	return res
}

func netChunked(in []byte) (res diffResult) {
	// net/http reads a chunked body and its trailer section as part of a message.
	head := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	res = netResponse(append([]byte(head), in...))
	res.consumed -= len(head)
	res.status, res.proto, res.header, res.chunkedBody = 0, "", nil, false
	if res.bodyErr {
		res.err = errors.New("body refused")
	}
	return res
}

// netMessage reads the body as net/http does and puts the header back in the form the
// codec passes on: the framing fields net/http moved out of it go back in.
func netMessage(res *diffResult, h http.Header, te []string, length int64, body io.ReadCloser, br *bufio.Reader, src *bytes.Reader, total int) {
	res.header = h.Clone()
	if res.header == nil {
		res.header = http.Header{}
	}
	framingApart(res.header)
	res.chunkedBody = len(te) > 0
	res.length = length
	data, err := io.ReadAll(body)
	res.bodyErr = err != nil
	res.body = data
	if res.body == nil {
		res.body = []byte{}
	}
	res.consumed = total - src.Len() - br.Buffered()
}

// TestCodecDeviations: each deviation is live: on its example the codec and net/http
// disagree, and that entry alone excuses it.
func TestCodecDeviations(t *testing.T) {
	examples := map[string]string{
		"request target form":        "qGET http://h/x HTTP/1.1\r\nHost: h\r\n\r\n",
		"request target escapes":     "qGET /%zz HTTP/1.1\r\nHost: h\r\n\r\n",
		"Host syntax":                "qGET / HTTP/1.1\r\nHost: a b\r\n\r\n",
		"HTTP versions":              "qGET / HTTP/1.2\r\nHost: h\r\n\r\n",
		"status codes":               "sHTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n",
		"reason phrase":              "sHTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n",
		"field syntax":               "sHTTP/1.1 200 OK\r\nX A: 1\r\nContent-Length: 0\r\n\r\n",
		"obsolete line folding":      "qGET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n 2\r\n\r\n",
		"bare LF in chunked framing": "qPOST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n\r\n\r\n",
	}
	for _, d := range codecDeviations {
		ex, ok := examples[d.name]
		if !ok {
			t.Errorf("%s: no example", d.name)
			continue
		}
		kind, in := ex[0], []byte(ex[1:])
		var c, n diffResult
		switch kind {
		case diffRequest:
			c, n = codecRequest(in), netRequest(in)
		case diffResponse:
			c, n = codecResponse(in), netResponse(in)
		case diffChunked:
			c, n = codecChunked(in), netChunked(in)
		}
		if diffMismatch(&c, &n) == "" {
			t.Errorf("%s: codec and net/http agree on %q", d.name, in)
		}
		for _, other := range codecDeviations {
			if got := other.applies(kind, in, &c, &n); got != (other.name == d.name) {
				t.Errorf("%s: %q applies = %v", d.name, other.name, got)
			}
		}
	}
}
