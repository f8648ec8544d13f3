package certs

import (
	"os"
	"sync"
	"testing"
	"time"
)

// fakeClock is a manually advanced clock for Manual's reload throttle.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// reloadLog records OnReload calls.
type reloadLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *reloadLog) record(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *reloadLog) snapshot() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// newTestManual builds a Manual on p with a fake clock and a reload log.
func newTestManual(t *testing.T, p testPair) (*Manual, *fakeClock, *reloadLog) {
	t.Helper()
	log := &reloadLog{}
	m, err := NewManual(ManualConfig{CertFile: p.certFile, KeyFile: p.keyFile, OnReload: log.record})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Now()}
	m.now = clock.Now
	m.nextCheck = clock.Now().Add(manualCheckInterval)
	return m, clock, log
}

// servedSerial handshakes and returns the leaf serial in hex.
func servedSerial(t *testing.T, addr, sni string, ca *localCA) string {
	t.Helper()
	state, err := handshake(addr, sni, poolOf(t, ca.certPEM()))
	if err != nil {
		t.Fatalf("handshake %s: %v", sni, err)
	}
	return state.PeerCertificates[0].SerialNumber.Text(16)
}

func TestManualReload(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	first := writePair(t, dir, ca, "relay.test")
	m, clock, log := newTestManual(t, first)
	addr := serveTLS(t, m.TLSConfig())
	if got := servedSerial(t, addr, "relay.test", ca); got != first.leaf.SerialNumber.Text(16) {
		t.Fatalf("serving %s, want first pair", got)
	}

	second := writePair(t, dir, ca, "relay.test")
	if got := servedSerial(t, addr, "relay.test", ca); got != first.leaf.SerialNumber.Text(16) {
		t.Fatal("reloaded before the check interval elapsed")
	}
	clock.Advance(manualCheckInterval)
	if got := servedSerial(t, addr, "relay.test", ca); got != second.leaf.SerialNumber.Text(16) {
		t.Fatalf("serving %s after change, want second pair", got)
	}
	if errs := log.snapshot(); len(errs) != 1 || errs[0] != nil {
		t.Fatalf("OnReload calls = %v, want one success", errs)
	}
	if exp, ok := m.Expiry("relay.test"); !ok || !exp.Equal(second.leaf.NotAfter) {
		t.Fatalf("Expiry = %v, %v; want %v", exp, ok, second.leaf.NotAfter)
	}
}

func TestManualBrokenReloadKeepsOldPair(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	good := writePair(t, dir, ca, "relay.test")
	m, clock, log := newTestManual(t, good)
	addr := serveTLS(t, m.TLSConfig())

	breakages := []struct {
		name  string
		apply func(t *testing.T)
	}{
		{"garbage cert", func(t *testing.T) { writeTestFile(t, good.certFile, []byte("not pem")) }},
		{"mismatched key", func(t *testing.T) {
			other := writePair(t, t.TempDir(), ca, "relay.test")
			data, err := os.ReadFile(other.keyFile)
			if err != nil {
				t.Fatal(err)
			}
			writeTestFile(t, good.keyFile, data)
		}},
		{"missing key", func(t *testing.T) { _ = os.Remove(good.keyFile) }},
	}
	for i, b := range breakages {
		t.Run(b.name, func(t *testing.T) {
			b.apply(t)
			clock.Advance(manualCheckInterval)
			if got := servedSerial(t, addr, "relay.test", ca); got != good.leaf.SerialNumber.Text(16) {
				t.Fatalf("serving %s, want the old good pair", got)
			}
			clock.Advance(manualCheckInterval)
			servedSerial(t, addr, "relay.test", ca)
			errs := log.snapshot()
			if len(errs) != i+1 || errs[i] == nil {
				t.Fatalf("OnReload calls = %v, want %d errors reported once each", errs, i+1)
			}
		})
	}
	fixed := writePair(t, dir, ca, "relay.test")
	clock.Advance(manualCheckInterval)
	if got := servedSerial(t, addr, "relay.test", ca); got != fixed.leaf.SerialNumber.Text(16) {
		t.Fatalf("serving %s after repair, want the fixed pair", got)
	}
}

func TestManualWildcard(t *testing.T) {
	ca := newTestCA(t)
	p := writePair(t, t.TempDir(), ca, "relay.test", "*.relay.test")
	m, _, _ := newTestManual(t, p)
	addr := serveTLS(t, m.TLSConfig())
	for _, sni := range []string{"relay.test", "x.relay.test", "anything-else.relay.test"} {
		servedSerial(t, addr, sni, ca)
		if _, ok := m.Expiry(sni); !ok {
			t.Fatalf("Expiry(%q) not reported", sni)
		}
	}
	if _, ok := m.Expiry("other.test"); ok {
		t.Fatal("Expiry reported for a name the certificate does not cover")
	}
}

func TestNewManualErrors(t *testing.T) {
	ca := newTestCA(t)
	good := writePair(t, t.TempDir(), ca, "relay.test")
	junk := t.TempDir() + "/junk.pem"
	writeTestFile(t, junk, []byte("junk"))
	cases := []struct {
		name string
		cfg  ManualConfig
	}{
		{"no files", ManualConfig{}},
		{"missing cert", ManualConfig{CertFile: junk + ".missing", KeyFile: good.keyFile}},
		{"junk cert", ManualConfig{CertFile: junk, KeyFile: good.keyFile}},
		{"swapped", ManualConfig{CertFile: good.keyFile, KeyFile: good.certFile}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewManual(tc.cfg); err == nil {
				t.Fatal("NewManual succeeded, want error")
			}
		})
	}
}
