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

	"github.com/jackc/pgx/v5"
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
func startNode(t *testing.T, ca *pebbletest.CA, dsn string, puts *atomic.Int64, hosts ...string) node {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := NewACME(ACMEConfig{
		Cache:        countingCache{ACMECache: db.ACMECache(), key: hosts[0], puts: puts},
		DirectoryURL: ca.DirectoryURL,
		ExtraRoots:   ca.APIRootPEM,
		HostPolicy:   ExactHosts(hosts...),
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
	nodes := []node{startNode(t, ca, dsn, &puts, host), startNode(t, ca, dsn, &puts, host)}
	ca.Route(nodes[1].tlsAddr, nodes[1].httpAddr)
	if _, ok := nodes[0].provider.Expiry(host); ok {
		t.Fatal("Expiry reports a certificate before any order")
	}
	if n := countLocks(t, dsn); n != 0 {
		t.Fatalf("Expiry took %d order locks, want 0", n)
	}

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

// TestACMEChallengesAnsweredElsewhere: the CA's validation reaches a server that did
// not order, by TLS-ALPN-01 and then by HTTP-01 alone; it answers from the shared
// cache, where autocert keeps the challenge tokens.
func TestACMEChallengesAnsweredElsewhere(t *testing.T) {
	const alpn, http01 = "alpn-elsewhere.relay.test", "http-elsewhere.relay.test"
	ca := pebbletest.Start(t)
	dsn := pgtest.Schema(t)
	var puts atomic.Int64
	orderer := startNode(t, ca, dsn, &puts, alpn, http01)
	other := startNode(t, ca, dsn, &puts, alpn, http01)
	for _, tt := range []struct{ host, tlsAddr, httpAddr string }{
		{alpn, other.tlsAddr, ""},
		{http01, "", other.httpAddr},
	} {
		ca.Route(tt.tlsAddr, tt.httpAddr)
		tlsBefore, httpBefore := ca.TLSValidations(), ca.HTTPValidations()
		if _, err := handshake(orderer.tlsAddr, tt.host, ca.IssuerRoots); err != nil {
			t.Fatalf("%s: %v", tt.host, err)
		}
		if tt.tlsAddr != "" && ca.TLSValidations() == tlsBefore {
			t.Errorf("%s: no TLS-ALPN-01 validation reached the other server", tt.host)
		}
		if tt.httpAddr != "" && ca.HTTPValidations() == httpBefore {
			t.Errorf("%s: no HTTP-01 validation reached the other server", tt.host)
		}
	}
}

// TestACMEWaitStallsNoHandshake: while a server waits for another's order of one
// name, it still completes handshakes for a name it serves already (autocert would
// hold them up if the wait ran inside its cache read), and it orders the name itself
// once the other's lock is gone.
func TestACMEWaitStallsNoHandshake(t *testing.T) {
	const waited, served = "waited.relay.test", "served.relay.test"
	ca := pebbletest.Start(t)
	dsn := pgtest.Schema(t)
	var puts atomic.Int64
	n := startNode(t, ca, dsn, &puts, waited, served)
	ca.Route(n.tlsAddr, n.httpAddr)
	if _, err := handshake(n.tlsAddr, served, ca.IssuerRoots); err != nil {
		t.Fatal(err)
	}
	exec(t, dsn, `INSERT INTO acme_locks (key, holder, expires_at) VALUES ($1, 'elsewhere', now() + interval '5 minutes')`, waited)
	done := make(chan error, 1)
	go func() {
		_, err := handshake(n.tlsAddr, waited, ca.IssuerRoots)
		done <- err
	}()
	time.Sleep(500 * time.Millisecond) // let it start waiting; the check below holds either way
	if _, err := handshake(n.tlsAddr, served, ca.IssuerRoots); err != nil {
		t.Errorf("handshake for a served name while another is awaited: %v", err)
	}
	select {
	case err := <-done:
		t.Fatalf("the awaited name's handshake ended while the lock was held: %v", err)
	default:
	}
	exec(t, dsn, `DELETE FROM acme_locks WHERE key = $1`, waited) // the other server gave up
	if err := <-done; err != nil {
		t.Fatalf("handshake for the awaited name after the lock went: %v", err)
	}
	if got := ca.Orders(); got != 2 {
		t.Errorf("orders = %d, want 2 (one per name)", got)
	}
}

// exec runs one statement in the schema of dsn.
func exec(t *testing.T, dsn, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// countLocks counts the order locks in the schema of dsn.
func countLocks(t *testing.T, dsn string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM acme_locks`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
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
