package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds how long a test waits for run to listen or to return.
const startTimeout = 30 * time.Second

// relayRun is a relay-server started through run for one test.
type relayRun struct {
	ready
	out  *syncBuffer // everything run wrote: banner and logs
	data string      // the data directory
}

// startRelay runs relay-server with args plus a fresh --data dir and an empty
// environment, waits until it listens, and stops it at cleanup, failing the test if run
// then returns an error.
func startRelay(t *testing.T, args ...string) *relayRun {
	t.Helper()
	r, stop := startRelayStoppable(t, args...)
	t.Cleanup(stop)
	return r
}

// startRelayStoppable is startRelay whose caller stops the relay with stop, which
// fails the test if run returns an error; stop may be called more than once.
func startRelayStoppable(t *testing.T, args ...string) (*relayRun, func()) {
	t.Helper()
	r := &relayRun{out: new(syncBuffer), data: t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	readyc, done := make(chan ready, 1), make(chan error, 1)
	args = append([]string{"--data", r.data}, args...)
	go func() { done <- run(ctx, args, noEnv, r.out, func(rd ready) { readyc <- rd }) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run returned %v\noutput:\n%s", err, r.out)
			}
		})
	}
	select {
	case r.ready = <-readyc:
	case err := <-done:
		done <- err
		t.Fatalf("run failed before listening: %v\noutput:\n%s", err, r.out)
	case <-time.After(startTimeout):
		stop()
		t.Fatalf("run did not listen within %v\noutput:\n%s", startTimeout, r.out)
	}
	return r, stop
}

func noEnv(string) string { return "" }

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// httpsClient trusts roots and sends every connection to addr, whatever the URL's host,
// so tests can use real host names (x.localhost, relay.test) for SNI and Host. It
// never follows redirects.
func httpsClient(roots *x509.CertPool, addr string) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}
	return &http.Client{Transport: tr, Timeout: startTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// poolFromFile reads PEM certificates into a pool.
func poolFromFile(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("no certificate in %s", path)
	}
	return pool
}

// do sends a request and returns the status and body.
func do(t *testing.T, c *http.Client, method, url, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp, string(b)
}

// writeFile writes data to name in a fresh temporary directory and returns the path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// portOf is the port of a host:port address.
func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return port
}
