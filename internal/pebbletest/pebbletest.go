// Package pebbletest runs Pebble, Let's Encrypt's test ACME server, inside a test
// process, so ACME code can obtain real certificates without the internet.
//
// Everything listens on 127.0.0.1 with ephemeral ports: the ACME API (HTTPS, with its
// own test certificate), a DNS server that resolves every name to 127.0.0.1, and two
// validation ports. Pebble's validation authority connects to those two ports for
// TLS-ALPN-01 and HTTP-01; each accepted connection is forwarded byte for byte to the
// addresses given to CA.Route, which is how a test points validation at the HTTPS and
// HTTP listeners of the code under test once they are up.
//
// Use it from tests only: it configures Pebble through environment variables with
// t.Setenv, so a test using it cannot call t.Parallel.
package pebbletest

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
)

// CA is a running in-process Pebble.
type CA struct {
	// DirectoryURL is the ACME directory URL to give the client under test.
	DirectoryURL string
	// APIRootPEM is the PEM certificate of the ACME API's TLS server. Clients of the
	// ACME API must trust it (certs.ACMEConfig.ExtraRoots); it does not sign what Pebble
	// issues.
	APIRootPEM []byte
	// IssuerRoots holds Pebble's root, which signs every certificate Pebble issues.
	// Trust it to verify the code under test's HTTPS listener.
	IssuerRoots *x509.CertPool

	orders    atomic.Int64
	tlsProxy  *forwarder
	httpProxy *forwarder
}

// Start runs Pebble until the test ends. Validation connections are refused until
// Route names where they go.
func Start(tb testing.TB) *CA {
	tb.Helper()
	tb.Setenv("PEBBLE_VA_NOSLEEP", "1")
	tb.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	tb.Setenv("PEBBLE_AUTHZREUSE", "0")
	c := &CA{tlsProxy: startForwarder(tb), httpProxy: startForwarder(tb)}
	logger := newLogger(tb)
	resolver := serveLoopbackDNS(tb)

	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "test"}})
	validator := va.New(logger, c.httpProxy.port(), c.tlsProxy.port(), false, resolver, store)
	frontEnd := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)

	srv := httptest.NewTLSServer(c.countOrders(frontEnd.Handler()))
	tb.Cleanup(srv.Close)
	c.DirectoryURL = srv.URL + wfe.DirectoryPath
	c.APIRootPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	c.IssuerRoots = x509.NewCertPool()
	c.IssuerRoots.AddCert(authority.GetRootCert(0).Cert)
	return c
}

// Route sends Pebble's TLS-ALPN-01 validation connections to tlsAddr and its HTTP-01
// ones to httpAddr (host:port). An empty address refuses that kind of validation, so
// the other one must succeed. It may be called again at any time.
func (c *CA) Route(tlsAddr, httpAddr string) {
	c.tlsProxy.setTarget(tlsAddr)
	c.httpProxy.setTarget(httpAddr)
}

// Orders reports how many new-order requests Pebble received.
func (c *CA) Orders() int64 { return c.orders.Load() }

// TLSValidations reports how many TLS-ALPN-01 validation connections were forwarded.
func (c *CA) TLSValidations() int64 { return c.tlsProxy.forwarded.Load() }

// HTTPValidations reports how many HTTP-01 validation connections were forwarded.
func (c *CA) HTTPValidations() int64 { return c.httpProxy.forwarded.Load() }

// countOrders wraps the ACME API handler and counts new-order requests.
func (c *CA) countOrders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/order-plz" {
			c.orders.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

// newLogger collects Pebble's log and prints it only if the test fails; Pebble's
// goroutines may still log after the test returns, so it never calls tb.Log directly.
func newLogger(tb testing.TB) *log.Logger {
	buf := &lockedBuffer{}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("pebble log:\n%s", buf.String())
		}
	})
	return log.New(buf, "pebble ", log.Lmicroseconds)
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
