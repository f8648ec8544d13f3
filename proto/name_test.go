package proto_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/proto"
)

// labelRE is the DNS label syntax ValidName documents.
var labelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

var nameCases = []struct {
	name  string
	valid bool
}{
	{"a", true},
	{"0", true},
	{"stripe-dev", true},
	{"0day", true},
	{"a--b", true},
	{"www1", true},
	{"apis", true},
	{"my-app-2", true},
	{strings.Repeat("a", 63), true},
	{"abc" + strings.Repeat("-", 59) + "z", true},
	{"a" + strings.Repeat("-", 61) + "z", false}, // "--" in the third and fourth characters
	{strings.Repeat("a", 64), false},
	{strings.Repeat("a", 62) + "-", false},
	{"", false},
	{"Stripe", false},
	{"ABC", false},
	{"WWW", false},
	{"-abc", false},
	{"abc-", false},
	{"-", false},
	{"a_b", false},
	{"a.b", false},
	{"a.example.com", false},
	{".a", false},
	{"a b", false},
	{"a/b", false},
	{"a\x00", false},
	{"héllo", false},
	{"ü", false},
	{"日本", false},
	{"a\u200b", false},
	{"xn--strpe-1sa", false}, // punycode: shown as "strípe"
	{"xn--80ak6aa92e", false},
	{"ab--cd", false},
	{"a--", false},
	{"abc--d", true},
}

func TestValidName(t *testing.T) {
	for _, tc := range nameCases {
		t.Run(tc.name, func(t *testing.T) {
			checkValidName(t, tc.name, tc.valid)
		})
	}
}

func TestValidNameReserved(t *testing.T) {
	if len(proto.Reserved) == 0 {
		t.Fatal("Reserved is empty")
	}
	for word := range proto.Reserved {
		t.Run(word, func(t *testing.T) {
			if !labelRE.MatchString(word) {
				t.Errorf("reserved word %q is not a DNS label, so reserving it has no effect", word)
			}
			checkValidName(t, word, false)
		})
	}
}

func checkValidName(t *testing.T, name string, valid bool) {
	t.Helper()
	err := proto.ValidName(name)
	if valid && err != nil {
		t.Errorf("ValidName(%q) = %v, want nil", name, err)
	}
	if !valid && !errors.Is(err, proto.ErrBadName) {
		t.Errorf("ValidName(%q) = %v, want ErrBadName", name, err)
	}
}

// FuzzValidName checks ValidName against the documented regexp and the Reserved map.
func FuzzValidName(f *testing.F) {
	for _, tc := range nameCases {
		f.Add(tc.name)
	}
	for word := range proto.Reserved {
		f.Add(word)
	}
	f.Fuzz(func(t *testing.T, name string) {
		want := labelRE.MatchString(name) && !proto.Reserved[name] && !(len(name) >= 4 && name[2:4] == "--")
		err := proto.ValidName(name)
		if want != (err == nil) {
			t.Fatalf("ValidName(%q) = %v, want valid=%v", name, err, want)
		}
		if err != nil && !errors.Is(err, proto.ErrBadName) {
			t.Fatalf("ValidName(%q) = %v, not wrapping ErrBadName", name, err)
		}
	})
}

func TestRandomName(t *testing.T) {
	const n = 1000
	seen := make(map[string]bool, n)
	for range n {
		name := proto.RandomName()
		if len(name) != 16 {
			t.Fatalf("RandomName() = %q, want 16 characters", name)
		}
		if err := proto.ValidName(name); err != nil {
			t.Fatalf("RandomName() = %q is not valid: %v", name, err)
		}
		if seen[name] {
			t.Fatalf("RandomName() repeated %q within %d calls", name, n)
		}
		seen[name] = true
	}
}
