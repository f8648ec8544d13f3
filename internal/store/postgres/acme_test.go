package postgres

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"github.com/hookrelay/hookrelay/internal/pgtest"
)

// TestACMECacheRoundTrip: several keys side by side keep their own bytes
// (a cache that ignores the key fails here), Put replaces, Delete removes
// one key only, and no miss outside certificate keys takes an order lock.
func TestACMECacheRoundTrip(t *testing.T) {
	db := openTest(t, pgtest.Schema(t), Options{})
	c := db.ACMECache()
	ctx := context.Background()
	want := map[string][]byte{
		"relay.example.com":         []byte("-----BEGIN EC PRIVATE KEY-----\x00\xff\xfe"),
		"relay.example.com+rsa":     {0, 1, 2, 0xff},
		"relay.example.com+token":   []byte("token cert"),
		"abcDEF_123+http-01":        []byte("key authorization"),
		"acme_account+key":          bytes.Repeat([]byte{0x80}, 4096),
		"empty.example.com+http-01": {},
	}
	for k, v := range want {
		if err := c.Put(ctx, k, v); err != nil {
			t.Fatalf("put %s: %v", k, err)
		}
	}
	assertCache(t, c, want)
	want["relay.example.com"] = []byte("renewed")
	if err := c.Put(ctx, "relay.example.com", want["relay.example.com"]); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"abcDEF_123+http-01", "never.stored+token"} {
		if err := c.Delete(ctx, k); err != nil {
			t.Fatalf("delete %s: %v", k, err)
		}
	}
	delete(want, "abcDEF_123+http-01")
	assertCache(t, c, want)
	for _, k := range []string{"abcDEF_123+http-01", "other+token", "acme_account.key", "x+http-01"} {
		if _, err := c.Get(ctx, k); err != autocert.ErrCacheMiss {
			t.Errorf("get %s = %v, want ErrCacheMiss", k, err)
		}
	}
	if n := countLocks(t, db); n != 0 {
		t.Errorf("%d order locks after misses of non-certificate keys, want 0", n)
	}
}

func assertCache(t *testing.T, c *ACMECache, want map[string][]byte) {
	t.Helper()
	for k, v := range want {
		got, err := c.Get(context.Background(), k)
		if err != nil || !bytes.Equal(got, v) {
			t.Errorf("get %s = %q, %v; want %q", k, got, err, v)
		}
	}
}

func countLocks(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.pool.QueryRow(context.Background(), `SELECT count(*) FROM acme_locks`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// getResult is what one Get returned.
type getResult struct {
	cache *ACMECache
	data  []byte
	err   error
}

// TestACMEOrderLockRace: two handles on one schema miss the same certificate
// at once. Exactly one gets ErrCacheMiss (it orders); the other waits and
// gets the certificate once the first stores it, and the lock is gone.
func TestACMEOrderLockRace(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, b := openTest(t, dsn, Options{}), openTest(t, dsn, Options{})
	caches := []*ACMECache{a.ACMECache(), b.ACMECache()}
	const host = "race.relay.test"
	results := make(chan getResult, 2)
	start := make(chan struct{})
	for _, c := range caches {
		go func() {
			<-start
			data, err := c.Get(context.Background(), host)
			results <- getResult{c, data, err}
		}()
	}
	close(start)
	first := <-results
	if first.err != autocert.ErrCacheMiss {
		t.Fatalf("first Get = %q, %v; want ErrCacheMiss", first.data, first.err)
	}
	select {
	case r := <-results:
		t.Fatalf("second Get returned before the certificate was stored: %q, %v", r.data, r.err)
	case <-time.After(1500 * time.Millisecond):
	}
	cert := []byte("-----BEGIN EC PRIVATE KEY-----\nissued once")
	if err := first.cache.Put(context.Background(), host, cert); err != nil {
		t.Fatal(err)
	}
	second := <-results
	if second.err != nil || !bytes.Equal(second.data, cert) || second.cache == first.cache {
		t.Fatalf("second Get = %q, %v; want the stored certificate", second.data, second.err)
	}
	if n := countLocks(t, a); n != 0 {
		t.Errorf("%d order locks after Put, want 0", n)
	}
}

// TestACMEOrderLockExpiry: an expired lock of a vanished holder is taken
// over at once; a live one makes Get wait and then fail, not order.
func TestACMEOrderLockExpiry(t *testing.T) {
	db := openTest(t, pgtest.Schema(t), Options{})
	ctx := context.Background()
	lock := func(key, expires string) {
		t.Helper()
		if _, err := db.pool.Exec(ctx, `INSERT INTO acme_locks (key, holder, expires_at)
			VALUES ($1, 'gone', now() + $2::interval)`, key, expires); err != nil {
			t.Fatal(err)
		}
	}
	lock("expired.relay.test", "-1 second")
	lock("held.relay.test", "5 minutes")
	c := db.ACMECache()
	if _, err := c.Get(ctx, "expired.relay.test"); err != autocert.ErrCacheMiss {
		t.Errorf("get under an expired lock = %v, want ErrCacheMiss", err)
	}
	c.maxWait = 2500 * time.Millisecond
	_, err := c.Get(ctx, "held.relay.test")
	if err == nil || err == autocert.ErrCacheMiss || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("get under a live lock = %v, want a deadline error", err)
	}
	if err != nil && !strings.Contains(err.Error(), "held.relay.test") {
		t.Errorf("error %q does not name the key", err)
	}
	// The same cache asking again while it holds the lock orders (autocert
	// may ask twice before it records its order).
	if _, err := c.Get(ctx, "expired.relay.test"); err != autocert.ErrCacheMiss {
		t.Errorf("second get by the holder = %v, want ErrCacheMiss", err)
	}
	if _, err := c.Peek(ctx, "held.relay.test"); err != autocert.ErrCacheMiss {
		t.Errorf("peek under a live lock = %v, want ErrCacheMiss at once", err)
	}
}

func TestCertKey(t *testing.T) {
	for _, tt := range []struct {
		key  string
		want bool
	}{
		{"relay.example.com", true},
		{"relay.example.com+rsa", true},
		{"xn--bcher-kva.example", true},
		{"relay.example.com+token", false},
		{"Zm9vYmFy+http-01", false},
		{"acme_account+key", false},
		{"acme_account.key", false},
		{"+rsa", false},
		{"", false},
		{"a+b+rsa", false},
	} {
		if got := certKey(tt.key); got != tt.want {
			t.Errorf("certKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func FuzzCertKey(f *testing.F) {
	for _, k := range []string{"relay.example.com", "relay.example.com+rsa", "x+token", "t+http-01", "acme_account+key", ""} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if !certKey(key) {
			return
		}
		host := strings.TrimSuffix(key, "+rsa")
		if host == "" || strings.Contains(host, "+") || strings.HasPrefix(key, "acme_account") {
			t.Fatalf("certKey(%q) = true", key)
		}
	})
}

// BenchmarkACMECache measures a hit and a Put of a certificate-sized entry.
func BenchmarkACMECache(b *testing.B) {
	db := openTest(b, pgtest.Schema(b), Options{})
	c := db.ACMECache()
	ctx := context.Background()
	cert := bytes.Repeat([]byte("c"), 3<<10)
	if err := c.Put(ctx, "bench.relay.test", cert); err != nil {
		b.Fatal(err)
	}
	b.Run("get", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Get(ctx, "bench.relay.test"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("put", func(b *testing.B) {
		for b.Loop() {
			if err := c.Put(ctx, "bench.relay.test", cert); err != nil {
				b.Fatal(err)
			}
		}
	})
}
