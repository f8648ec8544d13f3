package samples_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/webhook/samples"
)

// setCases apply to the github push sample. want maps a dotted path to the
// expected decoded value; err is the expected sentinel.
var setCases = []struct {
	set  string
	path string
	want any
	err  error
}{
	{"ref=refs/heads/dev", "ref", "refs/heads/dev", nil},
	{`ref="quoted"`, "ref", "quoted", nil},
	{"forced=true", "forced", true, nil},
	{"sender.id=42", "sender.id", 42.0, nil},
	{"sender.login=", "sender.login", "", nil},
	{`pusher={"name":"ci"}`, "pusher.name", "ci", nil},
	{"commits.0.message=Release 1.0", "commits.0.message", "Release 1.0", nil},
	{"extra.deep.key=x=y", "extra.deep.key", "x=y", nil},
	{"repository.topics=[\"a\",\"b\"]", "repository.topics", []any{"a", "b"}, nil},
	{"{not json", "", nil, samples.ErrBadSet},
	{"=x", "", nil, samples.ErrBadSet},
	{"sender..id=1", "", nil, samples.ErrBadSet},
	{"ref.sub=1", "", nil, samples.ErrBadSet},
	{"commits.1.message=x", "", nil, samples.ErrBadSet},
	{"commits.x=1", "", nil, samples.ErrBadSet},
}

func TestSets(t *testing.T) {
	for _, tc := range setCases {
		t.Run(tc.set, func(t *testing.T) {
			body, _, err := samples.Build("github", "push", testNow, []string{tc.set})
			if !errors.Is(err, tc.err) || (err != nil) != (tc.err != nil) {
				t.Fatalf("Build = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			checkCompactJSON(t, body)
			if got := lookupPath(t, body, tc.path); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %#v, want %#v", tc.path, got, tc.want)
			}
		})
	}
}

func TestSetKeepsKeyOrder(t *testing.T) {
	body, _, err := samples.Build("boostgpt", "chat.message", testNow, []string{"event=x", "data.extra=1"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(body)
	if !strings.HasPrefix(s, `{"event":"x","timestamp":`) || !strings.HasSuffix(s, `"extra":1}}`) {
		t.Errorf("key order changed: %s", s)
	}
}

// lookupPath decodes body and walks a dotted path.
func lookupPath(t *testing.T, body []byte, path string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	for _, seg := range strings.Split(path, ".") {
		switch n := v.(type) {
		case map[string]any:
			v = n[seg]
		case []any:
			v = n[int(seg[0]-'0')]
		}
	}
	return v
}

func FuzzSet(f *testing.F) {
	for _, tc := range setCases {
		f.Add(tc.set)
	}
	f.Fuzz(func(t *testing.T, set string) {
		body, _, err := samples.Build("github", "push", testNow, []string{set})
		if err == nil && !json.Valid(body) {
			t.Fatalf("set %q produced invalid JSON: %s", set, body)
		}
	})
}
