package wire

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/proto"
)

var checkTests = []struct {
	name                 string
	method, target, host string
	field, value         string
	bad                  string // the field named in the error; "" when valid
}{
	{"plain", "POST", "/hook?a=1", "h.example", "X-Sig", "sha256=ab", ""},
	{"tab and obs-text in value", "POST", "/", "h", "X-A", "a\tb\xe9", ""},
	{"empty value", "GET", "/", "h", "X-Empty", "", ""},
	{"CRLF in value", "POST", "/", "h", "X-A", "1\r\n\r\nGET /smuggled HTTP/1.1", "X-A"},
	{"bare LF in value", "POST", "/", "h", "X-A", "1\nX-B: 2", "X-A"},
	{"bare CR in value", "POST", "/", "h", "X-A", "1\rX-B: 2", "X-A"},
	{"NUL in value", "POST", "/", "h", "X-A", "a\x00", "X-A"},
	{"DEL in value", "POST", "/", "h", "X-A", "a\x7f", "X-A"},
	{"CRLF in name", "POST", "/", "h", "X-A\r\nX-B", "1", "X-A\r\nX-B"},
	{"space in name", "POST", "/", "h", "X A", "1", "X A"},
	{"colon in name", "POST", "/", "h", "X-A:", "1", "X-A:"},
	{"empty name", "POST", "/", "h", "", "1", ""},
	{"non-ASCII name", "POST", "/", "h", "X-\xe9", "1", "X-\xe9"},
	{"bad method", "PO ST", "/", "h", "X-A", "1", "method"},
	{"CRLF in method", "POST / HTTP/1.1\r\n\r\nGET", "/", "h", "X-A", "1", "method"},
	{"space in target", "POST", "/a HTTP/1.1\r\nX: y", "h", "X-A", "1", "target"},
	{"absolute target", "POST", "http://x/", "h", "X-A", "1", "target"},
	{"CRLF in host", "POST", "/", "h\r\nX-B: 1", "X-A", "1", "Host"},
}

func TestCheckRequest(t *testing.T) {
	for _, tt := range checkTests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRequest(tt.method, tt.target, tt.host, http.Header{tt.field: {tt.value}})
			fe, _ := err.(*FieldError)
			switch {
			case tt.bad == "" && tt.field != "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.field == "" && err == nil:
				t.Fatal("an empty name passed")
			case tt.bad != "" && (fe == nil || fe.Field != tt.bad):
				t.Fatalf("error %v, want one naming %q", err, tt.bad)
			}
		})
	}
}

// FuzzCheckedHeadParsesBack: whatever CheckRequest accepts, Head.Write writes as exactly
// one request that net/http parses back with the same method, target, Host and field.
func FuzzCheckedHeadParsesBack(f *testing.F) {
	for _, tt := range checkTests {
		f.Add(tt.method, tt.target, tt.host, tt.field, tt.value)
	}
	f.Fuzz(func(t *testing.T, method, target, host, name, value string) {
		h := http.Header{name: {value}}
		if CheckRequest(method, target, host, h) != nil || host == "" || Hop[name] || name == "Content-Length" ||
			name != http.CanonicalHeaderKey(name) || name == "Host" {
			return
		}
		head := &Head{Method: method, Target: target, Host: host, Header: h, Body: []byte("x")}
		var b bytes.Buffer
		bw := bufio.NewWriter(&b)
		head.Write(bw)
		bw.Flush()
		req, err := http.ReadRequest(bufio.NewReader(&b))
		if err != nil {
			return // net/http is stricter about some hosts and targets; no second request either way
		}
		body, _ := io.ReadAll(req.Body)
		trimmed := strings.Trim(value, " \t")
		if req.Method != method || req.RequestURI != target || string(body) != "x" || b.Len() != 0 ||
			len(req.Header[name]) != 1 || req.Header[name][0] != trimmed {
			t.Fatalf("wrote %q %q %q %q=%q; parsed %s %s %v body %q, %d bytes left",
				method, target, host, name, value, req.Method, req.RequestURI, req.Header, body, b.Len())
		}
	})
}

// TestForwardHeadContract: the same head on both routes: the sender's relay and
// forwarding fields never pass, the relay's own are set.
func TestForwardHeadContract(t *testing.T) {
	r := httptest.NewRequest("POST", "http://h.example/t/x/hook?a=1", strings.NewReader("{}"))
	r.RemoteAddr = "192.0.2.7:5555"
	r.Header.Set("X-Sig", "s")
	r.Header.Set("X-Hookrelay-Verified", "stripe; ok")
	r.Header["x-hookrelay-replay-of"] = []string{"forged"}
	r.Header.Set("X-Forwarded-For", "6.6.6.6")
	r.Header.Set("Forwarded", "for=6.6.6.6")
	DropRelayFields(r.Header)
	rel := Relay{Tunnel: "x", RequestID: "01id", Verified: "github; ok"}
	want := http.Header{"X-Sig": {"s"}, "X-Forwarded-For": {"192.0.2.7"}, "X-Forwarded-Host": {"h.example"},
		"X-Forwarded-Proto": {"http"}, proto.HeaderTunnel: {"x"}, proto.HeaderRequestID: {"01id"},
		proto.HeaderVerified: {"github; ok"}}

	var direct Head
	ForwardHead(&direct, r, "/hook?a=1", rel, []byte("{}"))
	var b bytes.Buffer
	bw := bufio.NewWriter(&b)
	direct.Write(bw)
	bw.Flush()
	got, err := http.ReadRequest(bufio.NewReader(&b))
	if err != nil {
		t.Fatal(err)
	}
	delete(got.Header, "Content-Length")
	if !equalHeader(got.Header, want) || got.Host != "h.example" {
		t.Errorf("direct route: Host %q, %v\nwant %v", got.Host, got.Header, want)
	}

	out := r.Clone(r.Context())
	out.Header.Del("Forwarded") // what ReverseProxy's Rewrite mode drops itself
	out.Header.Del("X-Forwarded-For")
	var proxied Head
	ForwardHead(&proxied, r, "", rel, nil)
	proxied.SetOn(out)
	if !equalHeader(out.Header, want) || out.Host != "h.example" {
		t.Errorf("proxy route: Host %q, %v\nwant %v", out.Host, out.Header, want)
	}
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\n") != strings.Join(b[k], "\n") {
			return false
		}
	}
	return true
}

// TestErrorAnswersAgree: the server's and the client's error answers are the same bytes
// but for the connection handling.
func TestErrorAnswersAgree(t *testing.T) {
	for _, code := range []proto.Code{proto.CodeLocalUnreachable, proto.CodeTunnelOffline, proto.CodeBadRequest} {
		rec := httptest.NewRecorder()
		WriteError(rec, code, `a "quoted" message`, "01id")
		raw := AppendErrorResponse(nil, code, `a "quoted" message`, "01id", false)
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != rec.Code || string(body) != rec.Body.String() || !equalHeader(resp.Header, rec.Header()) {
			t.Errorf("%s: raw %d %v %s\nwriter %d %v %s", code, resp.StatusCode, resp.Header, body, rec.Code, rec.Header(), rec.Body)
		}
		if want := `{"error":{"code":"` + string(code) + `","message":"a \"quoted\" message","request_id":"01id"}}` + "\n"; string(body) != want {
			t.Errorf("body %s, want %s", body, want)
		}
	}
}

// BenchmarkForwardHead builds and writes a typical webhook's forwarded head, the direct
// route's per-request work before the body.
func BenchmarkForwardHead(b *testing.B) {
	r := httptest.NewRequest("POST", "http://h.example/t/x/webhooks/chat", nil)
	r.RemoteAddr = "192.0.2.7:5555"
	for k, v := range map[string]string{"Content-Type": "application/json", "Content-Length": "512",
		"User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)", "Stripe-Signature": "t=1,v1=" + strings.Repeat("a", 64),
		"Accept": "*/*; q=0.5, application/xml", "Cache-Control": "no-cache"} {
		r.Header.Set(k, v)
	}
	body := make([]byte, 512)
	bw := bufio.NewWriterSize(io.Discard, 8<<10)
	rel := Relay{Tunnel: "x", RequestID: "01m8vgp2fptt33nxe6yy9fe3k3"}
	b.ReportAllocs()
	for b.Loop() {
		var h Head
		ForwardHead(&h, r, "/webhooks/chat", rel, body)
		h.Write(bw)
		bw.Flush()
	}
}
