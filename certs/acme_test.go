package certs

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestNewACMEValidation(t *testing.T) {
	ca := newTestCA(t)
	policy := ExactHosts("relay.test")
	base := func(mod func(*ACMEConfig)) ACMEConfig {
		cfg := ACMEConfig{CacheDir: filepath.Join(t.TempDir(), "acme"), HostPolicy: policy}
		mod(&cfg)
		return cfg
	}
	cases := []struct {
		name    string
		cfg     ACMEConfig
		wantErr error // nil: any error; ok means success
		ok      bool
	}{
		{"defaults", base(func(*ACMEConfig) {}), nil, true},
		{"extra roots", base(func(c *ACMEConfig) { c.ExtraRoots = ca.certPEM() }), nil, true},
		{"no cache dir", base(func(c *ACMEConfig) { c.CacheDir = "" }), ErrNoCacheDir, false},
		{"no host policy", base(func(c *ACMEConfig) { c.HostPolicy = nil }), ErrNoHostPolicy, false},
		{"http directory", base(func(c *ACMEConfig) { c.DirectoryURL = "http://ca.test/dir" }), nil, false},
		{"garbage directory", base(func(c *ACMEConfig) { c.DirectoryURL = "::" }), nil, false},
		{"roots without certs", base(func(c *ACMEConfig) { c.ExtraRoots = []byte("junk") }), nil, false},
		{"negative renew", base(func(c *ACMEConfig) { c.RenewBefore = -1 }), nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewACME(tc.cfg)
			if tc.ok != (err == nil) {
				t.Fatalf("NewACME error = %v, want ok=%v", err, tc.ok)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestACMECacheDirTightened(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "acme")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := NewACME(ACMEConfig{CacheDir: dir, HostPolicy: ExactHosts("relay.test")}); err != nil {
		t.Fatal(err)
	}
	assertMode(t, dir, privateDirMode)
}

func TestACMETLSConfigOffersALPNChallenge(t *testing.T) {
	a, err := NewACME(ACMEConfig{CacheDir: t.TempDir(), HostPolicy: ExactHosts("relay.test")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := a.TLSConfig()
	if !slices.Contains(cfg.NextProtos, "acme-tls/1") || cfg.MinVersion != tls.VersionTLS12 {
		t.Fatalf("TLSConfig = NextProtos %v MinVersion %x", cfg.NextProtos, cfg.MinVersion)
	}
	// Refused names fail inside GetCertificate, before any network access.
	_, err = cfg.GetCertificate(&tls.ClientHelloInfo{ServerName: "random.relay.test"})
	if !errors.Is(err, ErrHostNotAllowed) {
		t.Fatalf("GetCertificate(random) error = %v, want ErrHostNotAllowed", err)
	}
	if _, ok := a.Expiry("relay.test"); ok {
		t.Fatal("Expiry reported before any certificate was issued")
	}
}

func TestACMEHTTPHandler(t *testing.T) {
	a, err := NewACME(ACMEConfig{CacheDir: t.TempDir(), HostPolicy: ExactHosts("relay.test")})
	if err != nil {
		t.Fatal(err)
	}
	h := a.HTTPHandler(nil)
	cases := []struct {
		name, host, target string
		wantCode           int
	}{
		{"redirect", "relay.test", "/t/alice?x=1", http.StatusPermanentRedirect},
		{"unknown challenge token", "relay.test:80", "/.well-known/acme-challenge/nope", http.StatusNotFound},
		{"challenge for refused host", "random.test", "/.well-known/acme-challenge/nope", http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(context.Background(), http.MethodGet, tc.target, nil)
			r.Host = tc.host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.wantCode {
				t.Fatalf("status = %d, want %d", w.Code, tc.wantCode)
			}
		})
	}
}

var firstCertificateCases = [][]byte{
	nil,
	[]byte("junk"),
	[]byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"),
	[]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
}

func FuzzFirstCertificate(f *testing.F) {
	for _, c := range firstCertificateCases {
		f.Add(c)
	}
	ca, err := newLocalCA()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ca.certPEM())
	f.Fuzz(func(t *testing.T, data []byte) {
		cert, err := firstCertificate(data)
		if err == nil && cert == nil {
			t.Fatal("nil certificate without error")
		}
	})
}
