package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestManualWildcard serves a wildcard certificate from files, made here by a test CA,
// and checks a tunnel host under it gets that certificate.
func TestManualWildcard(t *testing.T) {
	roots, certFile, keyFile := wildcardPair(t, "localhost")
	r := startRelay(t, "--tls-cert", certFile, "--tls-key", keyFile, "--domain", "localhost",
		"--addr", "127.0.0.1:0", "--http-addr", "off", "--admin-addr", "127.0.0.1:0", "--token", "manual-token-0123456789")
	if r.HTTPAddr != "" {
		t.Errorf("plain-HTTP listener %q is up although disabled", r.HTTPAddr)
	}
	c := httpsClient(roots, r.Addr)
	port := portOf(t, r.Addr)
	tests := []struct {
		url    string
		status int
	}{
		{"https://localhost:" + port + "/healthz", http.StatusOK},
		{"https://x.localhost:" + port + "/", http.StatusServiceUnavailable}, // no tunnel x: the relay answers
		{"https://another-name.localhost:" + port + "/a?b=c", http.StatusServiceUnavailable},
		{"https://inspect.localhost:" + port + "/login", http.StatusOK}, // the team inspector's origin
	}
	for _, tt := range tests {
		resp, body := do(t, c, http.MethodGet, tt.url, "")
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %s %q, want %d", tt.url, resp.Status, body, tt.status)
		}
		if names := resp.TLS.PeerCertificates[0].DNSNames; !slices.Contains(names, "*.localhost") {
			t.Errorf("%s: served certificate for %v, want the wildcard", tt.url, names)
		}
	}
	assertAdmin(t, r.AdminAddr, []string{`hookrelay_cert_expiry_timestamp_seconds{host="localhost"} `})
}

// wildcardPair makes a CA and a leaf for domain and *.domain, writes the leaf chain and
// key as PEM files and returns a pool trusting the CA and the two paths.
func wildcardPair(t *testing.T, domain string) (*x509.CertPool, string, string) {
	t.Helper()
	caKey, caCert := testCA(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: domain},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
		DNSNames: []string{domain, "*." + domain},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile := writeFile(t, "wildcard.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	keyFile := writeFile(t, "wildcard.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, certFile, keyFile
}

// testCA returns a fresh self-signed CA.
func testCA(t *testing.T) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hookrelay test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}
