package certs

import (
	"bytes"
	"context"
	"crypto/x509"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"github.com/hookrelay/hookrelay/internal/pebbletest"
	"github.com/hookrelay/hookrelay/internal/pgtest"
	"github.com/hookrelay/hookrelay/internal/store/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// countingCache counts the Puts of one key into a shared cache.
type countingCache struct {
	*postgres.ACMECache
	key  string
	puts *atomic.Int64
}

func (c countingCache) Put(ctx context.Context, key string, data []byte) error {
	if key == c.key {
		c.puts.Add(1)
	}
	return c.ACMECache.Put(ctx, key, data)
}

// node is one relay server's ACME provider and its listeners.
type node struct {
	provider *ACME
	tlsAddr  string
	httpAddr string
}

// startNode serves an ACME provider on its own PostgreSQL handle, as a relay
// server process would.
func startNode(t *testing.T, ca *pebbletest.CA, dsn, host string, puts *atomic.Int64) node {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := NewACME(ACMEConfig{
		Cache:        countingCache{ACMECache: db.ACMECache(), key: host, puts: puts},
		DirectoryURL: ca.DirectoryURL,
		ExtraRoots:   ca.APIRootPEM,
		HostPolicy:   ExactHosts(host),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p.HTTPHandler(nil))
	t.Cleanup(srv.Close)
	return node{provider: p, tlsAddr: serveTLS(t, p.TLSConfig()), httpAddr: srv.Listener.Addr().String()}
}

// TestACMESharedCache: two servers on one PostgreSQL cache are asked for the
// same new name at once. Pebble gets one order, one certificate is stored,
// and both serve it. Pebble validates through the second server's
// listeners, so whichever server orders, the challenge is answered from the
// shared cache at least for one of them.
func TestACMESharedCache(t *testing.T) {
	const host = "shared.relay.test"
	ca := pebbletest.Start(t)
	dsn := pgtest.Schema(t)
	var puts atomic.Int64
	nodes := []node{startNode(t, ca, dsn, host, &puts), startNode(t, ca, dsn, host, &puts)}
	ca.Route(nodes[1].tlsAddr, nodes[1].httpAddr)

	leaves := make([]*x509.Certificate, len(nodes))
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	begin := time.Now()
	for i, n := range nodes {
		wg.Go(func() {
			state, err := handshake(n.tlsAddr, host, ca.IssuerRoots)
			if errs[i] = err; err == nil {
				leaves[i] = state.PeerCertificates[0]
			}
		})
	}
	wg.Wait()
	t.Logf("both handshakes done in %v", time.Since(begin))
	for i, err := range errs {
		if err != nil {
			t.Fatalf("handshake with server %d: %v", i, err)
		}
	}
	if got := ca.Orders(); got != 1 {
		t.Errorf("orders at the CA = %d, want 1", got)
	}
	if got := puts.Load(); got != 1 {
		t.Errorf("certificate stored %d times, want 1", got)
	}
	if !bytes.Equal(leaves[0].Raw, leaves[1].Raw) {
		t.Errorf("servers serve different certificates: serials %v and %v", leaves[0].SerialNumber, leaves[1].SerialNumber)
	}
	for i, n := range nodes {
		if got, ok := n.provider.Expiry(host); !ok || !got.Equal(leaves[0].NotAfter) {
			t.Errorf("server %d: Expiry = %v, %v; want %v", i, got, ok, leaves[0].NotAfter)
		}
	}
}

// TestACMECacheDefault: without Cache, CacheDir stays required; with it,
// CacheDir is not needed and nothing is written to disk.
func TestACMECacheDefault(t *testing.T) {
	base := ACMEConfig{DirectoryURL: "https://ca.test/dir", HostPolicy: ExactHosts("a.relay.test")}
	if _, err := NewACME(base); err != ErrNoCacheDir {
		t.Errorf("NewACME without Cache and CacheDir = %v, want ErrNoCacheDir", err)
	}
	withCache := base
	withCache.Cache = autocert.DirCache(t.TempDir())
	p, err := NewACME(withCache)
	if err != nil {
		t.Fatal(err)
	}
	if p.cache != withCache.Cache {
		t.Error("the provider does not use the configured cache")
	}
}
