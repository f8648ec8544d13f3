package inspect

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
)

var queryCases = []struct {
	name  string
	query string
	want  store.Filter
	ok    bool
}{
	{"empty", "", store.Filter{}, true},
	{"text and method", "q=Invoice&method=post", store.Filter{Text: "Invoice", Method: "POST"}, true},
	{"status class", "status=5xx&verified=failed", store.Filter{StatusClass: 5, Verified: "failed"}, true},
	{"duration since", "since=1h", store.Filter{Since: base.Add(-time.Hour)}, true},
	{"datetime-local", "since=2025-03-14T08:00", store.Filter{Since: time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)}, true},
	{"typed date time", "until=2025-03-14+08:30:15", store.Filter{Until: time.Date(2025, 3, 14, 8, 30, 15, 0, time.UTC)}, true},
	{"date only", "since=2025-03-13", store.Filter{Since: time.Date(2025, 3, 13, 0, 0, 0, 0, time.UTC)}, true},
	{"rfc3339", "until=2025-03-14T08:00:00%2B02:00", store.Filter{Until: time.Date(2025, 3, 14, 6, 0, 0, 0, time.UTC)}, true},
	{"replays and cursor", "replays=true&cursor=abc&tunnel=hook", store.Filter{ReplayOnly: true, Cursor: "abc", Tunnel: "hook"}, true},
	{"bad since", "since=yesterday", store.Filter{}, false},
	{"bad status", "status=9xx", store.Filter{}, false},
	{"bad outcome", "outcome=great", store.Filter{}, false},
	{"bad limit", "limit=-4", store.Filter{}, false},
}

func TestParseQuery(t *testing.T) {
	for _, tt := range queryCases {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			got, err := parseQuery(q, base, time.UTC)
			if !tt.ok {
				if !errors.Is(err, api.ErrBadFilter) {
					t.Fatalf("parseQuery(%q) = %+v, %v; want ErrBadFilter", tt.query, got, err)
				}
				return
			}
			if err != nil || !got.Since.Equal(tt.want.Since) || !got.Until.Equal(tt.want.Until) {
				t.Fatalf("parseQuery(%q) = %+v, %v; want %+v", tt.query, got, err, tt.want)
			}
			got.Since, got.Until, tt.want.Since, tt.want.Until = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if got != tt.want {
				t.Fatalf("parseQuery(%q) = %+v; want %+v", tt.query, got, tt.want)
			}
		})
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, tt := range queryCases {
		f.Add(tt.query)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if _, err := parseQuery(q, base, time.UTC); err != nil && !errors.Is(err, api.ErrBadFilter) {
			t.Fatalf("parseQuery(%q): error %v does not wrap ErrBadFilter", raw, err)
		}
	})
}

var headerCases = []struct {
	name string
	text string
	want [][2]string
	ok   bool
}{
	{"empty", "", [][2]string{}, true}, // an emptied box: send no headers
	{"two", "A: 1\nB-C: two words\n", hdrs("A", "1", "B-C", "two words"), true},
	{"crlf and blanks", "A: 1\r\n\r\n  \r\nB:2\r\n", hdrs("A", "1", "B", "2"), true},
	{"colon in value", "Link: <https://x>; rel=next", hdrs("Link", "<https://x>; rel=next"), true},
	{"repeated", "X: a\nX: b", hdrs("X", "a", "X", "b"), true},
	{"empty value", "X-Empty:", hdrs("X-Empty", ""), true},
	{"no colon", "just text", nil, false},
	{"space in name", "Bad Name: x", nil, false},
	{"empty name", ": x", nil, false},
	{"control in name", "A\x00: x", nil, false},
}

func TestParseHeaderLines(t *testing.T) {
	for _, tt := range headerCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHeaderLines(tt.text)
			if !tt.ok {
				if !errors.Is(err, ErrBadEdit) {
					t.Fatalf("parseHeaderLines(%q) = %v, %v; want ErrBadEdit", tt.text, got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseHeaderLines(%q) = %q, %v; want %q", tt.text, got, err, tt.want)
			}
		})
	}
}

func FuzzParseHeaderLines(f *testing.F) {
	for _, tt := range headerCases {
		f.Add(tt.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		hs, err := parseHeaderLines(text)
		if err != nil {
			if !errors.Is(err, ErrBadEdit) {
				t.Fatalf("error %v does not wrap ErrBadEdit", err)
			}
			return
		}
		back, err := parseHeaderLines(formatHeaders(hs))
		if err != nil || !reflect.DeepEqual(back, hs) {
			t.Fatalf("headers %q do not round-trip: %q, %v", hs, back, err)
		}
	})
}

func TestParseEdit(t *testing.T) {
	r := fixture()[1] // POST /hooks/stripe, JSON body, two headers
	same := url.Values{"method": {"POST"}, "target": {"/hooks/stripe"}, "headers": {formatHeaders(r.Request.Headers)},
		"body": {string(r.Request.Body)}, "replace_body": {"1"}}
	with := func(kv ...string) url.Values {
		v := cloneValues(same)
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	body := func(s string) *[]byte { b := []byte(s); return &b }
	tests := []struct {
		name string
		form url.Values
		want *api.Edit
		ok   bool
	}{
		{"untouched", same, &api.Edit{}, true},
		{"untouched, CRLF from the browser", with("headers", "Content-Type: application/json\r\nStripe-Signature: t=1,v1=abc\r\n"), &api.Edit{}, true},
		{"method", with("method", "put"), &api.Edit{Method: "PUT"}, true},
		{"path", with("target", "/hooks/stripe?retry=1"), &api.Edit{Path: "/hooks/stripe?retry=1"}, true},
		{"body", with("body", "{\r\n\"id\": 2\r\n}"), &api.Edit{Body: body("{\n\"id\": 2\n}")}, true},
		{"emptied body", with("body", ""), &api.Edit{Body: body("")}, true},
		{"body not replaced", with("replace_body", "", "body", "ignored"), &api.Edit{}, true},
		{"headers", with("headers", "X-One: 1"), &api.Edit{Headers: hdrs("X-One", "1")}, true},
		{"resign", with("resign", "1"), &api.Edit{Resign: true}, true},
		{"relative path", with("target", "hooks"), nil, false},
		{"bad header", with("headers", "nonsense"), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEdit(tt.form, r)
			if !tt.ok {
				if !errors.Is(err, ErrBadEdit) {
					t.Fatalf("parseEdit = %+v, %v; want ErrBadEdit", got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseEdit = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

var bodyCases = []struct {
	name, ct string
	body     []byte
	kind     string
	text     string
}{
	{"empty", "", nil, kindEmpty, ""},
	{"json", "application/json", []byte(`{"a":[1,2]}`), kindJSON, "{\n  \"a\": [\n    1,\n    2\n  ]\n}"},
	{"json suffix", "application/vnd.api+json; charset=utf-8", []byte(`[true]`), kindJSON, "[\n  true\n]"},
	{"json sniffed", "", []byte(` {"a":1}`), kindJSON, "{\n  \"a\": 1\n}"},
	{"broken json", "application/json", []byte(`{"a":`), kindText, `{"a":`},
	{"form", "application/x-www-form-urlencoded", []byte("a=1&b=x+y&c=%zz"), kindForm, ""},
	{"text", "text/plain", []byte("hello\r\nworld\t!"), kindText, "hello\r\nworld\t!"},
	{"xml", "application/xml", []byte(`<a href="x">`), kindText, `<a href="x">`},
	{"binary", "image/png", []byte("\x89PNG\r\n\x1a\n"), kindBinary, "00000000  89 50 4e 47 0d 0a 1a 0a                           |.PNG....|\n"},
	{"nul", "text/plain", []byte("a\x00b"), kindBinary, "00000000  61 00 62                                          |a.b|\n"},
	{"latin-1", "text/plain", []byte("caf\xe9"), kindBinary, "00000000  63 61 66 e9                                       |caf.|\n"},
}

func TestRenderBody(t *testing.T) {
	for _, tt := range bodyCases {
		t.Run(tt.name, func(t *testing.T) {
			v := renderBody(hdrs("Content-Type", tt.ct), tt.body, int64(len(tt.body)), false)
			if v.Kind != tt.kind || v.Text != tt.text || v.Capped {
				t.Fatalf("renderBody(%q) = %s %q capped=%v; want %s %q", tt.body, v.Kind, v.Text, v.Capped, tt.kind, tt.text)
			}
		})
	}
	v := renderBody(nil, []byte("a=1&b=x+y&c=%zz"), 15, false)
	if v.Kind != kindText {
		t.Fatalf("a form body without the form content type is %s, want text", v.Kind)
	}
	v = renderBody(hdrs("Content-Type", "application/x-www-form-urlencoded"), []byte("a=1&b=x+y&c=%zz"), 15, false)
	if want := hdrs("a", "1", "b", "x y", "c", "%zz"); !reflect.DeepEqual(v.Form, want) {
		t.Fatalf("form pairs %q, want %q", v.Form, want)
	}
}

func TestRenderBodyCaps(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		max  int
	}{
		{"long text", []byte(strings.Repeat("é", RenderCap)), RenderCap},
		{"long binary", []byte(strings.Repeat("\x00\x01", HexCap)), 5 * HexCap},
		{"long json", []byte(`["` + strings.Repeat("x", indentMax) + `"]`), RenderCap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := renderBody(nil, tt.body, int64(len(tt.body)), false)
			if !v.Capped || len(v.Text) > tt.max || !utf8.ValidString(v.Text) {
				t.Fatalf("%s: capped=%v, %d bytes shown (max %d), valid UTF-8 %v", v.Kind, v.Capped, len(v.Text), tt.max,
					utf8.ValidString(v.Text))
			}
		})
	}
}

func FuzzRenderBody(f *testing.F) {
	for _, tt := range bodyCases {
		f.Add(tt.ct, tt.body)
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		v := renderBody(hdrs("Content-Type", ct), body, int64(len(body)), false)
		if len(v.Text) > 5*HexCap+RenderCap || !utf8.ValidString(v.Text) || len(v.Form) > maxFormKeys {
			t.Fatalf("renderBody: %s, %d bytes of text, valid %v, %d form pairs", v.Kind, len(v.Text),
				utf8.ValidString(v.Text), len(v.Form))
		}
	})
}

func TestCurlCommand(t *testing.T) {
	recs := fixture()
	tests := []struct {
		name string
		rec  *api.Record
		base string
		want string
	}{
		{"json", recs[1], "https://relay.example/t/hook/", "curl -X POST https://relay.example/t/hook/hooks/stripe \\\n" +
			"  -H 'Content-Type: application/json' \\\n  -H 'Stripe-Signature: t=1,v1=abc' \\\n" +
			"  -H User-Agent: \\\n  -H Accept: \\\n  --data-raw '" + string(recs[1].Request.Body) + "'"},
		{"binary body from a file", recs[2], "", "curl -X POST https://TUNNEL-URL/upload \\\n" +
			"  -H 'Content-Type: application/octet-stream' \\\n  -H User-Agent: \\\n  -H Accept: \\\n  -H Expect: \\\n" +
			"  --data-binary @01jpa0000000000000000000c3-request.body"},
		{"get with query", recs[4], "https://h.example/", "curl 'https://h.example/health?deep=1' \\\n  -H 'Accept: */*' \\\n  -H User-Agent:"},
		{"quotes", recs[0], "https://h.example", "curl -X POST 'https://h.example/<script>alert(1)</script>?x=<b>' \\\n" +
			"  -H 'Content-Type: text/html' \\\n  -H 'X-Evil: \"><img src=x onerror=alert(1)>' \\\n" +
			"  -H User-Agent: \\\n  -H Accept: \\\n" +
			`  --data-raw '</pre><script>alert('\''body'\'')</script>'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := curlCommand(tt.rec, tt.base); got != tt.want {
				t.Fatalf("curlCommand =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
