package certs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSelfSignedHandshake(t *testing.T) {
	s, err := NewSelfSigned(SelfSignedConfig{Domain: "Relay.Test."})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, s.TLSConfig())
	roots := poolOf(t, s.CACertPEM())
	cases := []struct {
		sni    string
		wantOK bool
	}{
		{"relay.test", true},
		{"alice.relay.test", true},
		{"localhost", true},
		{"127.0.0.1", true},
		{"::1", true},
		{"a.b.relay.test", false},
		{"other.test", false},
	}
	for _, tc := range cases {
		t.Run(tc.sni, func(t *testing.T) {
			_, err := handshake(addr, tc.sni, roots)
			if (err == nil) != tc.wantOK {
				t.Fatalf("handshake(%q) error = %v, want ok=%v", tc.sni, err, tc.wantOK)
			}
			if _, ok := s.Expiry(tc.sni); ok != tc.wantOK {
				t.Fatalf("Expiry(%q) ok = %v, want %v", tc.sni, ok, tc.wantOK)
			}
		})
	}
}

func TestSelfSignedPersistentCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	first, err := NewSelfSigned(SelfSignedConfig{Domain: "relay.test", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	second, err := NewSelfSigned(SelfSignedConfig{Domain: "relay.test", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.CACertPEM(), second.CACertPEM()) {
		t.Fatal("CA changed across restarts with the same Dir")
	}
	if bytes.Equal(first.leaf.Certificate[0], second.leaf.Certificate[0]) {
		t.Fatal("leaf was not regenerated")
	}
	assertMode(t, dir, privateDirMode)
	assertMode(t, filepath.Join(dir, caFileName), privateFileMode)
	addr := serveTLS(t, second.TLSConfig())
	if _, err := handshake(addr, "x.relay.test", poolOf(t, first.CACertPEM())); err != nil {
		t.Fatalf("restarted server not trusted by the persisted CA: %v", err)
	}
}

func TestSelfSignedErrors(t *testing.T) {
	brokenDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(brokenDir, caFileName), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		cfg     SelfSignedConfig
		wantErr error
	}{
		{"bad domain", SelfSignedConfig{Domain: "bad domain"}, ErrInvalidDomain},
		{"wildcard domain", SelfSignedConfig{Domain: "*.relay.test"}, ErrInvalidDomain},
		{"ip domain", SelfSignedConfig{Domain: "10.0.0.1"}, ErrInvalidDomain},
		{"corrupt ca file", SelfSignedConfig{Dir: brokenDir}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSelfSigned(tc.cfg)
			if err == nil {
				t.Fatal("NewSelfSigned succeeded, want error")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestSelfSignedWithoutDomain(t *testing.T) {
	s, err := NewSelfSigned(SelfSignedConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Expiry("localhost"); !ok {
		t.Fatal("leaf does not cover localhost")
	}
}

var validDNSNameCases = []struct {
	name string
	want bool
}{
	{"relay.test", true},
	{"a", true},
	{"x-1.example.com", true},
	{"", false},
	{"-a.test", false},
	{"a-.test", false},
	{"a..test", false},
	{"A.test", false},
	{"a_b.test", false},
	{"*.test", false},
	{"127.0.0.1", false},
	{string(bytes.Repeat([]byte("a"), 64)) + ".test", false},
}

func TestValidDNSName(t *testing.T) {
	for _, tc := range validDNSNameCases {
		if got := validDNSName(tc.name); got != tc.want {
			t.Errorf("validDNSName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func FuzzValidDNSName(f *testing.F) {
	for _, tc := range validDNSNameCases {
		f.Add(tc.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !validDNSName(name) {
			return
		}
		if canonicalHost(name) != name || len(name) > 253 {
			t.Fatalf("accepted non-canonical name %q", name)
		}
	})
}

func FuzzParseCAFile(f *testing.F) {
	ca, err := newLocalCA()
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	if err := ca.save(dir); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, caFileName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(ca.certPEM())
	f.Add([]byte("junk"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseCAFile(data)
		if err != nil {
			return
		}
		if !got.cert.IsCA || !publicKeysEqual(got.key.Public(), got.cert.PublicKey) {
			t.Fatal("parseCAFile accepted a CA whose key does not match")
		}
	})
}

// assertMode fails unless path has exactly the permission bits want.
func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Fatalf("%s mode = %o, want %o", path, got, want)
	}
}
