package certs

import (
	"crypto/x509"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"
)

const (
	alpnHost = "alpn.relay.test"
	httpHost = "http.relay.test"
)

// TestACMEWithPebble obtains real certificates from an in-process Pebble CA.
// The subtests run in order and share the CA and the cache directory.
func TestACMEWithPebble(t *testing.T) {
	env := startPebble(t)
	cacheDir := filepath.Join(t.TempDir(), "acme")
	env.newProvider(t, cacheDir, alpnHost, httpHost)

	t.Run("tls-alpn-01", func(t *testing.T) {
		orders, challenges := env.ca.Orders(), env.challenges.Load()
		leaf := env.mustHandshake(t, alpnHost)
		if got := env.ca.Orders() - orders; got != 1 {
			t.Errorf("new orders = %d, want 1", got)
		}
		if env.challenges.Load() != challenges {
			t.Error("HTTP-01 was used although TLS-ALPN-01 is available")
		}
		env.assertExpiry(t, alpnHost, leaf)
	})

	t.Run("http-01", func(t *testing.T) {
		env.refuseALPN(httpHost)
		challenges := env.challenges.Load()
		leaf := env.mustHandshake(t, httpHost)
		if env.challenges.Load() == challenges {
			t.Error("no HTTP-01 challenge was served")
		}
		env.assertExpiry(t, httpHost, leaf)
	})

	t.Run("unknown host orders nothing", func(t *testing.T) {
		orders := env.ca.Orders()
		for _, sni := range []string{"random.relay.test", "relay.test", "127.0.0.1"} {
			if _, err := handshake(env.tlsAddr, sni, env.ca.IssuerRoots); err == nil {
				t.Errorf("handshake with SNI %q succeeded", sni)
			}
		}
		if got := env.ca.Orders() - orders; got != 0 {
			t.Errorf("new orders = %d, want 0", got)
		}
	})

	t.Run("warm cache restart", func(t *testing.T) {
		orders := env.ca.Orders()
		p := env.newProvider(t, cacheDir, alpnHost, httpHost)
		for _, host := range []string{alpnHost, httpHost} {
			env.mustHandshake(t, host)
			if _, ok := p.Expiry(host); !ok {
				t.Errorf("Expiry(%q) not reported after restart", host)
			}
		}
		if got := env.ca.Orders() - orders; got != 0 {
			t.Errorf("new orders after restart = %d, want 0", got)
		}
	})

	t.Run("cache permissions", func(t *testing.T) {
		assertTreeModes(t, cacheDir)
	})
}

// mustHandshake connects with SNI host, verifies the chain against Pebble's
// root and returns the leaf, which must name exactly host.
func (env *pebbleEnv) mustHandshake(t *testing.T, host string) *x509.Certificate {
	t.Helper()
	state, err := handshake(env.tlsAddr, host, env.ca.IssuerRoots)
	if err != nil {
		t.Fatalf("handshake %s: %v", host, err)
	}
	leaf := state.PeerCertificates[0]
	if !slices.Equal(leaf.DNSNames, []string{host}) {
		t.Fatalf("leaf names = %v, want [%s]", leaf.DNSNames, host)
	}
	return leaf
}

// assertExpiry checks the current provider reports leaf's expiry for host.
func (env *pebbleEnv) assertExpiry(t *testing.T, host string, leaf *x509.Certificate) {
	t.Helper()
	p, _ := env.current()
	got, ok := p.Expiry(host)
	if !ok || !got.Equal(leaf.NotAfter) {
		t.Errorf("Expiry(%q) = %v, %v; want %v", host, got, ok, leaf.NotAfter)
	}
}

// assertTreeModes checks every directory under root is 0700 and every file
// 0600, and that the tree is not empty.
func assertTreeModes(t *testing.T, root string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		want := privateFileMode
		if d.IsDir() {
			want = privateDirMode
		} else {
			files++
		}
		assertMode(t, path, want)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("cache directory is empty")
	}
}
