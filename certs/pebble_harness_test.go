package certs

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"
)

// pebbleEnv is an in-process Pebble ACME server plus the HTTPS and HTTP
// listeners its validation authority connects to.
type pebbleEnv struct {
	directoryURL string
	wfeRootPEM   []byte         // trust for talking to the ACME server
	issuerRoots  *x509.CertPool // Pebble's root: trust for issued certificates
	tlsAddr      string

	orders     atomic.Int64 // new-order requests received
	challenges atomic.Int64 // HTTP-01 challenge requests answered 200

	mu       sync.Mutex
	provider *ACME
	handler  http.Handler    // provider's port-80 handler
	noALPN   map[string]bool // hosts whose TLS-ALPN-01 validation is refused
}

// startPebble wires db, ca, va and wfe like Pebble's main, on loopback
// listeners with ephemeral ports.
func startPebble(t *testing.T) *pebbleEnv {
	t.Helper()
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	t.Setenv("PEBBLE_AUTHZREUSE", "0")
	env := &pebbleEnv{noALPN: map[string]bool{}}
	logger := pebbleLogger(t)

	env.tlsAddr = serveTLS(t, &tls.Config{GetConfigForClient: env.configForClient})
	httpPort := serveHTTP(t, http.HandlerFunc(env.serveHTTP))
	resolver := serveLoopbackDNS(t)

	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "test"}})
	validator := va.New(logger, httpPort, portOf(t, env.tlsAddr), false, resolver, store)
	frontEnd := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)

	srv := httptest.NewTLSServer(env.countOrders(frontEnd.Handler()))
	t.Cleanup(srv.Close)
	env.directoryURL = srv.URL + wfe.DirectoryPath
	env.wfeRootPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	env.issuerRoots = x509.NewCertPool()
	env.issuerRoots.AddCert(authority.GetRootCert(0).Cert)
	return env
}

// pebbleLogger collects Pebble's log and prints it only if the test fails;
// Pebble's goroutines may still log after the test returns.
func pebbleLogger(t *testing.T) *log.Logger {
	buf := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pebble log:\n%s", buf.String())
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

// newProvider makes an ACME provider pointed at Pebble and serves it on the
// env's listeners.
func (env *pebbleEnv) newProvider(t *testing.T, cacheDir string, hosts ...string) *ACME {
	t.Helper()
	p, err := NewACME(ACMEConfig{
		CacheDir:     cacheDir,
		Email:        "ops@relay.test",
		DirectoryURL: env.directoryURL,
		ExtraRoots:   env.wfeRootPEM,
		HostPolicy:   ExactHosts(hosts...),
	})
	if err != nil {
		t.Fatal(err)
	}
	h := p.HTTPHandler(nil) // enables HTTP-01, as the relay server does
	env.mu.Lock()
	defer env.mu.Unlock()
	env.provider, env.handler = p, h
	return p
}

// refuseALPN makes the HTTPS listener fail TLS-ALPN-01 validation for host,
// so only HTTP-01 can succeed for it.
func (env *pebbleEnv) refuseALPN(host string) {
	env.mu.Lock()
	defer env.mu.Unlock()
	env.noALPN[host] = true
}

// current returns the provider being served and its HTTP handler.
func (env *pebbleEnv) current() (*ACME, http.Handler) {
	env.mu.Lock()
	defer env.mu.Unlock()
	return env.provider, env.handler
}

// configForClient serves the current provider, except that it refuses
// acme-tls/1 handshakes for hosts marked with refuseALPN.
func (env *pebbleEnv) configForClient(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	env.mu.Lock()
	refuse := env.noALPN[hello.ServerName] && slices.Contains(hello.SupportedProtos, "acme-tls/1")
	env.mu.Unlock()
	if refuse {
		return nil, errors.New("tls-alpn-01 disabled for this host")
	}
	p, _ := env.current()
	return p.TLSConfig(), nil
}

// serveHTTP passes requests to the current provider's HTTP handler and
// counts challenges it answered.
func (env *pebbleEnv) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
	_, h := env.current()
	h.ServeHTTP(rec, r)
	if strings.HasPrefix(r.URL.Path, "/.well-known/acme-challenge/") && rec.code == http.StatusOK {
		env.challenges.Add(1)
	}
}

// statusRecorder remembers the status code written.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// countOrders wraps the WFE handler and counts new-order requests.
func (env *pebbleEnv) countOrders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/order-plz" {
			env.orders.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

// serveHTTP starts an HTTP server on 127.0.0.1:0 and returns its port.
func serveHTTP(t *testing.T, h http.Handler) int {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return portOf(t, srv.Listener.Addr().String())
}

// serveLoopbackDNS answers A 127.0.0.1 (and nothing for other types) for
// every name over TCP, which is how Pebble's VA queries a custom resolver.
func serveLoopbackDNS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(answerLoopback), NotifyStartedFunc: func() { close(started) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

// answerLoopback resolves every A question to 127.0.0.1.
func answerLoopback(w dns.ResponseWriter, req *dns.Msg) {
	resp := new(dns.Msg)
	resp.SetReply(req)
	for _, q := range req.Question {
		if q.Qtype == dns.TypeA {
			hdr := dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET}
			resp.Answer = append(resp.Answer, &dns.A{Hdr: hdr, A: net.IPv4(127, 0, 0, 1)})
		}
	}
	_ = w.WriteMsg(resp)
}

// portOf extracts the numeric port of a host:port address.
func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
