package samples

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

var jsonCases = []struct {
	in, out string
}{
	{`{"b":1,"a":[true,false,null],"c":{"x":"y"}}`, `{"b":1,"a":[true,false,null],"c":{"x":"y"}}`},
	{" { \"z\" : 1.50e3 , \"a\" : \"<&>\" } ", `{"z":1.50e3,"a":"<&>"}`},
	{`{"a":1,"a":2}`, `{"a":2}`},
	{`"\u00e9\n"`, `"é\n"`},
	{`[]`, `[]`},
	{`{}`, `{}`},
	{`12345678901234567890`, `12345678901234567890`},
}

func TestJSONTree(t *testing.T) {
	for _, tc := range jsonCases {
		t.Run(tc.in, func(t *testing.T) {
			v, err := decodeJSON([]byte(tc.in))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			var buf bytes.Buffer
			encodeJSON(&buf, v)
			if buf.String() != tc.out {
				t.Errorf("encode = %s, want %s", buf.String(), tc.out)
			}
		})
	}
}

func TestJSONTreeErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":1}x`, `[1,]`, `}`, `{1:2}`} {
		if v, err := decodeJSON([]byte(in)); err == nil {
			t.Errorf("decode(%q) = %v, want error", in, v)
		}
	}
}

// FuzzJSONTree checks that decoding never panics, that the encoding means
// what the input meant, and that re-encoding is stable.
func FuzzJSONTree(f *testing.F) {
	for _, tc := range jsonCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		v, err := decodeJSON([]byte(in))
		if err != nil {
			return
		}
		var once, twice bytes.Buffer
		encodeJSON(&once, v)
		v2, err := decodeJSON(once.Bytes())
		if err != nil {
			t.Fatalf("re-decode %s: %v", once.Bytes(), err)
		}
		encodeJSON(&twice, v2)
		if !bytes.Equal(once.Bytes(), twice.Bytes()) {
			t.Fatalf("unstable: %s then %s", once.Bytes(), twice.Bytes())
		}
		var want, got any
		if json.Unmarshal([]byte(in), &want) == nil {
			_ = json.Unmarshal(once.Bytes(), &got)
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("meaning changed: %q -> %s", in, once.Bytes())
			}
		}
	})
}

func TestPlaceholders(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 5_000_000, time.UTC)
	for _, tc := range []struct {
		in   string
		want any
	}{
		{"{{rfc3339}}", "2025-01-01T12:00:00Z"},
		{"{{rfc3339ms}}", "2025-01-01T12:00:00.005Z"},
		{"{{unix}}", json.Number("1735732800")},
		{"t={{unix}}", "t=1735732800"},
		{"{{slackts}}", "1735732800.005000"},
		{"{{event}}", "push"},
		{"no placeholder", "no placeholder"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			x := newExpander(now, "push", rand.New(rand.NewChaCha8([32]byte{})))
			if got := x.value(tc.in); got != tc.want || x.err != nil {
				t.Errorf("value = %#v, %v; want %#v", got, x.err, tc.want)
			}
		})
	}
}

func TestPlaceholderShapes(t *testing.T) {
	x := newExpander(time.Now(), "e", rand.New(rand.NewChaCha8([32]byte{})))
	for in, n := range map[string]int{"{{id:evt_}}": 28, "{{uuid}}": 36, "{{num:16:o}}": 16, "{{hex:40}}": 40, "{{upper:10}}": 10} {
		if got := x.text(in); len(got) != n {
			t.Errorf("%s = %q, want %d characters", in, got, n)
		}
		if first, again := x.text(in), x.text(in); first != again {
			t.Errorf("%s is not memoised", in)
		}
	}
	if x.text("{{num:16:a}}") == x.text("{{num:16:b}}") {
		t.Error("differently named numbers are equal")
	}
}

func TestUnknownPlaceholder(t *testing.T) {
	for _, in := range []string{"{{nope}}", "{{num:x}}", "{{hex:0}}", "{{upper:99}}"} {
		x := newExpander(time.Now(), "e", rand.New(rand.NewChaCha8([32]byte{})))
		x.text(in)
		if !errors.Is(x.err, errPlaceholder) {
			t.Errorf("%s: err = %v, want errPlaceholder", in, x.err)
		}
	}
}
