package postgres

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/store"
)

func mustSealer(t testing.TB, secret string) sealer {
	t.Helper()
	s, err := newSealer([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSeal: specs sealed under one secret open under the same for the same tunnel, and
// under nothing else: another secret, another tunnel, no secret; plain specs pass.
func TestSeal(t *testing.T) {
	specs := []string{"stripe:whsec_dGVzdHNlY3JldA", "github:s3cret", ""}
	a := mustSealer(t, "cluster secret one")
	sealed := a.seal("t", specs)
	for i, s := range sealed {
		if !strings.HasPrefix(s, sealPrefix) || strings.Contains(s, "s3cret") || strings.Contains(s, "whsec") {
			t.Fatalf("sealed spec %d: %q", i, s)
		}
	}
	if again := a.seal("t", specs); again[0] == sealed[0] {
		t.Fatal("two seals of one spec are equal: the nonce is not fresh")
	}
	got, err := a.open("t", sealed)
	if err != nil || !slices.Equal(got, specs) {
		t.Fatalf("open: %q, %v", got, err)
	}
	for _, tc := range []struct {
		name   string
		s      sealer
		tunnel string
	}{
		{"another secret", mustSealer(t, "cluster secret two"), "t"},
		{"another tunnel", a, "u"},
		{"no secret", sealer{}, "t"},
	} {
		if _, err := tc.s.open(tc.tunnel, sealed); !errors.Is(err, store.ErrInvalid) || !errors.Is(err, errSealed) {
			t.Errorf("%s: %v, want ErrInvalid (errSealed)", tc.name, err)
		}
	}
	plain := []string{"slack:abc"}
	if got, err := (sealer{}).open("t", plain); err != nil || !slices.Equal(got, plain) {
		t.Errorf("plain specs: %q, %v", got, err)
	}
	if got := (sealer{}).seal("t", plain); !slices.Equal(got, plain) {
		t.Errorf("no secret seals: %q", got)
	}
}

// FuzzSealOpen: no stored text makes open panic; what a sealer seals it opens.
func FuzzSealOpen(f *testing.F) {
	s := mustSealer(f, "fuzz secret")
	f.Add("t", "stripe:whsec_x")
	f.Add("t", sealPrefix+"AAAA")
	f.Add("", sealPrefix)
	f.Add("x", s.seal("x", []string{"github:y"})[0])
	f.Fuzz(func(t *testing.T, tunnel, stored string) {
		_, _ = s.open(tunnel, []string{stored})
		got, err := s.open(tunnel, s.seal(tunnel, []string{stored}))
		if err != nil || got[0] != stored {
			t.Fatalf("round trip of %q: %q, %v", stored, got, err)
		}
	})
}
