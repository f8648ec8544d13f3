package store

import (
	"strings"
	"testing"
	"time"
)

func TestNewIDFormat(t *testing.T) {
	tests := []struct {
		name   string
		at     time.Time
		prefix string
	}{
		{"epoch", time.Unix(0, 0), "0000000000"},
		{"before epoch", time.Unix(-5, 0), "0000000000"},
		{"one ms", time.UnixMilli(1), "0000000001"},
		{"max 48-bit ms", time.UnixMilli(1<<48 - 1), "7zzzzzzzzz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := NewID(tt.at)
			if !ValidID(id) {
				t.Fatalf("NewID(%v) = %q, not ValidID", tt.at, id)
			}
			if !strings.HasPrefix(id, tt.prefix) {
				t.Errorf("NewID(%v) = %q, want prefix %q", tt.at, id, tt.prefix)
			}
		})
	}
}

func TestNewIDOrderedAndUnique(t *testing.T) {
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		id := NewID(base.Add(time.Duration(i) * time.Millisecond))
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		if id <= prev {
			t.Fatalf("id %q not after %q", id, prev)
		}
		prev = id
	}
}

var validIDCases = []struct {
	in   string
	want bool
}{
	{"01jn5x3m0000000000000000aa", true},
	{"7zzzzzzzzzzzzzzzzzzzzzzzzz", true},
	{"8zzzzzzzzzzzzzzzzzzzzzzzzz", false}, // 130 bits
	{"01JN5X3M0000000000000000AA", false}, // upper case
	{"01jn5x3m0000000000000000a", false},  // short
	{"01jn5x3m0000000000000000aaa", false},
	{"01jn5x3m000000000000000ia", false},
	{"01jn5x3m0000000000000000au", false},
	{"01jn5x3m00000000000000000-", false},
	{"", false},
}

func TestValidID(t *testing.T) {
	for _, tt := range validIDCases {
		if got := ValidID(tt.in); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzValidID(f *testing.F) {
	for _, tt := range validIDCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidID(s) {
			return
		}
		if len(s) != IDLen || strings.ToLower(s) != s {
			t.Fatalf("ValidID accepted %q", s)
		}
		for _, c := range []byte(s) {
			if !strings.ContainsRune(idAlphabet, rune(c)) {
				t.Fatalf("ValidID accepted %q with %q", s, c)
			}
		}
	})
}
