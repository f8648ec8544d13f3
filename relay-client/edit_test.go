package main

import (
	"bytes"
	"testing"

	"github.com/hookrelay/hookrelay/internal/api"
)

var editCases = []struct {
	name, text, orig string
	method, path     string
	headers          int
	body             string
	err              bool
}{
	{"unchanged", "POST /hook?x=1\nContent-Type: application/json\n\n{\"a\":1}", `{"a":1}`, "POST", "/hook?x=1", 1, `{"a":1}`, false},
	{"editor added newline", "POST /hook\nX: 1\n\n{\"a\":2}\n", `{"a":1}`, "POST", "/hook", 1, `{"a":2}`, false},
	{"body keeps its own newline", "PUT /p\n\nline\n", "line\n", "PUT", "/p", 0, "line\n", false},
	{"no body", "GET /x\nA: b\n", "", "GET", "/x", 1, "", false},
	{"colon in value", "POST /\nX-Url: http://a/b\n\n", "", "POST", "/", 1, "", false},
	{"empty", "", "", "", "", 0, "", true},
	{"no path", "POST\n\n", "", "", "", 0, "", true},
	{"relative path", "POST hook\n\n", "", "", "", 0, "", true},
	{"bad header", "POST /\nnot a header\n\n", "", "", "", 0, "", true},
}

func TestParseRequestText(t *testing.T) {
	for _, tc := range editCases {
		t.Run(tc.name, func(t *testing.T) {
			var e api.Edit
			err := parseRequestText([]byte(tc.text), []byte(tc.orig), &e)
			if tc.err != (err != nil) {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if e.Method != tc.method || e.Path != tc.path || len(e.Headers) != tc.headers || string(*e.Body) != tc.body {
				t.Fatalf("got %s %s %d headers body %q", e.Method, e.Path, len(e.Headers), *e.Body)
			}
		})
	}
}

// TestRequestTextRoundTrip: writing a record as text and reading it back unchanged keeps
// every byte.
func TestRequestTextRoundTrip(t *testing.T) {
	rec := &api.Record{Summary: api.Summary{Method: "POST", Path: "/w", Query: "a=1"},
		Request: api.Message{Headers: [][2]string{{"X-Sig", "sha256=ab"}, {"X-Sig", "two"}}, Body: []byte("{\n \"x\": [1,2]\n}")}}
	var e api.Edit
	if err := parseRequestText(requestText(rec), rec.Request.Body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Method != "POST" || e.Path != "/w?a=1" || len(e.Headers) != 2 || !bytes.Equal(*e.Body, rec.Request.Body) {
		t.Fatalf("round trip: %+v %q", e, *e.Body)
	}
}

func FuzzParseRequestText(f *testing.F) {
	for _, tc := range editCases {
		f.Add(tc.text, tc.orig)
	}
	f.Fuzz(func(t *testing.T, text, orig string) {
		var e api.Edit
		if err := parseRequestText([]byte(text), []byte(orig), &e); err != nil {
			return
		}
		if e.Body == nil || e.Path == "" || e.Path[0] != '/' {
			t.Fatalf("accepted %q without a body or an absolute path: %+v", text, e)
		}
	})
}
