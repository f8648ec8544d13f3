package certs

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hookrelay/hookrelay/internal/pebbletest"
)

// pebbleEnv is an in-process Pebble ACME server (see internal/pebbletest) whose
// validation connections go to an HTTPS and an HTTP listener serving the current
// provider.
type pebbleEnv struct {
	ca      *pebbletest.CA
	tlsAddr string

	challenges atomic.Int64 // HTTP-01 challenge requests answered 200

	mu       sync.Mutex
	provider *ACME
	handler  http.Handler    // provider's port-80 handler
	noALPN   map[string]bool // hosts whose TLS-ALPN-01 validation is refused
}

// startPebble starts Pebble and the provider's listeners, and routes Pebble's
// validation to them.
func startPebble(t *testing.T) *pebbleEnv {
	t.Helper()
	env := &pebbleEnv{ca: pebbletest.Start(t), noALPN: map[string]bool{}}
	env.tlsAddr = serveTLS(t, &tls.Config{GetConfigForClient: env.configForClient})
	srv := httptest.NewServer(http.HandlerFunc(env.serveHTTP))
	t.Cleanup(srv.Close)
	env.ca.Route(env.tlsAddr, srv.Listener.Addr().String())
	return env
}

// newProvider makes an ACME provider pointed at Pebble and serves it on the
// env's listeners.
func (env *pebbleEnv) newProvider(t *testing.T, cacheDir string, hosts ...string) *ACME {
	t.Helper()
	p, err := NewACME(ACMEConfig{
		CacheDir:     cacheDir,
		Email:        "ops@relay.test",
		DirectoryURL: env.ca.DirectoryURL,
		ExtraRoots:   env.ca.APIRootPEM,
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
