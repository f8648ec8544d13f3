package route

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// refLookup is the reference for the body decoder: encoding/json into
// interface values, numbers kept as their text.
func refLookup(body []byte, path []string) (valid bool, text string, found bool) {
	if !json.Valid(body) {
		return false, "", false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return false, "", false
	}
	for _, seg := range path {
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[seg]; !ok {
				return true, "", false
			}
		case []any:
			i, ok := arrayIndex(seg)
			if !ok || i >= len(c) {
				return true, "", false
			}
			v = c[i]
		default:
			return true, "", false
		}
	}
	switch v := v.(type) {
	case string:
		return true, v, true
	case json.Number:
		return true, string(v), true
	case bool:
		return true, strconv.FormatBool(v), true
	case nil:
		return true, "null", true
	}
	return true, "", false
}

var jsonCases = []struct{ body, path string }{
	{sampleBody, "data.object.metadata.dev"},
	{sampleBody, "dup"},
	{sampleBody, "esc"},
	{sampleBody, "data.object.items.1.id"},
	{`{"a\u002eb":1,"a.b":2}`, "a.b"},
	{`{"k":"\ud83d\ude00 \ud800 x"}`, "k"},
	{"{\"k\":\"\xff\xfe\"}", "k"},
	{"{\"\xff\":1}", "\uFFFD"},
	{` [ 1 , -0.5e+3 , true, null ] `, "1"},
	{`[1,2]`, "01"},
	{`{"a":01}`, "a"},
	{`{"a":1.}`, "a"},
	{`{"a":.5}`, "a"},
	{`{"a":-}`, "a"},
	{`{"a":1e}`, "a"},
	{`{"a":"\x"}`, "a"},
	{`{"a":"\u12"}`, "a"},
	{"{\"a\":\"\t\"}", "a"},
	{`{"a":tru}`, "a"},
	{`{"a":1,}`, "a"},
	{`{"a" 1}`, "a"},
	{`[1 2]`, "0"},
	{`{} {}`, "a"},
	{``, "a"},
	{`"top"`, ""},
	{strings.Repeat("[", 10000) + strings.Repeat("]", 10000), "0"},
	{strings.Repeat("[", 10001) + strings.Repeat("]", 10001), "0"},
}

func TestParseJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range jsonCases {
		checkJSON(t, []byte(c.body), c.path)
	}
}

func checkJSON(t *testing.T, body []byte, dotted string) {
	t.Helper()
	var path []string
	if dotted != "" {
		path = strings.Split(dotted, ".")
	}
	valid, want, wantOK := refLookup(body, path)
	tr, ok := parseJSON(body)
	if ok != valid {
		t.Fatalf("parseJSON(%.80q) ok = %v, encoding/json says valid = %v", body, ok, valid)
	}
	if !ok {
		return
	}
	if got, gotOK := tr.lookup(path); got != want || gotOK != wantOK {
		t.Fatalf("lookup %q in %.80q = %q, %v; encoding/json gives %q, %v", dotted, body, got, gotOK, want, wantOK)
	}
}

// FuzzJSON: the body decoder accepts what encoding/json accepts and finds the
// same values.
func FuzzJSON(f *testing.F) {
	for _, c := range jsonCases {
		if len(c.body) < 4096 {
			f.Add(c.body, c.path)
		}
	}
	f.Fuzz(func(t *testing.T, body, path string) {
		checkJSON(t, []byte(body), path)
	})
}
