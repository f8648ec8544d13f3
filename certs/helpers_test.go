package certs

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// handshakeTimeout bounds every test handshake, including ones that wait
// for an ACME order to complete.
const handshakeTimeout = 30 * time.Second

// serveTLS accepts connections on 127.0.0.1:0, completes the TLS handshake
// with cfg and closes them. It returns the listener address.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		acceptHandshakes(ln, cfg, &wg)
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// acceptHandshakes runs until ln is closed, one goroutine per connection.
func acceptHandshakes(ln net.Listener, cfg *tls.Config, wg *sync.WaitGroup) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(handshakeTimeout))
			_ = tls.Server(conn, cfg).Handshake()
		}()
	}
}

// handshake dials addr with SNI serverName, verifying against roots, and
// returns the connection state.
func handshake(addr, serverName string, roots *x509.CertPool) (tls.ConnectionState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{ServerName: serverName, RootCAs: roots, MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState(), nil
}

// poolOf returns a pool holding the PEM certificates in data.
func poolOf(t *testing.T, data []byte) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		t.Fatal("no certificates in pem")
	}
	return pool
}

// testPair is a leaf written to disk by writePair.
type testPair struct {
	certFile, keyFile string
	leaf              *x509.Certificate
}

// writePair issues a leaf for names from ca and writes cert and key PEM files
// into dir, bumping their modification time so a reload always notices.
func writePair(t *testing.T, dir string, ca *localCA, names ...string) testPair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := randomSerial()
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(48 * time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := testPair{certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem")}
	writeTestFile(t, p.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeTestFile(t, p.keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	p.leaf, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeTestFile writes data with mode 0600 and a fresh, distinct mtime.
func writeTestFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	mtime := time.Now().Add(time.Duration(mtimeBump.Add(1)) * time.Second)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// mtimeBump hands out increasing offsets so rewritten files never keep the
// modification time of the previous version.
var mtimeBump atomic.Int64

// newTestCA returns a fresh in-memory CA.
func newTestCA(t *testing.T) *localCA {
	t.Helper()
	ca, err := newLocalCA()
	if err != nil {
		t.Fatal(err)
	}
	return ca
}
