package peer

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// wiretap is a conn that keeps a copy of every byte read or written through it.
type wiretap struct {
	net.Conn
	mu   *sync.Mutex
	seen *bytes.Buffer
}

func (w wiretap) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	w.keep(p[:n])
	return n, err
}

func (w wiretap) Write(p []byte) (int, error) {
	w.keep(p)
	return w.Conn.Write(p)
}

func (w wiretap) keep(p []byte) {
	w.mu.Lock()
	w.seen.Write(p)
	w.mu.Unlock()
}

// TestLinkEncrypted: nothing of a splice shows on the wire: not the body, not the
// tunnel, not the node ids of the handshake.
func TestLinkEncrypted(t *testing.T) {
	r := newRig(t, rigOpts{open: rawEnd(t, func(c net.Conn) { _, _ = io.Copy(c, c) })})
	var mu sync.Mutex
	var seen bytes.Buffer
	p, err := NewPeers(DialerConfig{Node: "node-a", Secret: testSecret,
		Dial: func(ctx context.Context, addr string) (net.Conn, error) {
			c, err := dialTCP(ctx, addr)
			if err != nil {
				return nil, err
			}
			return wiretap{Conn: c, mu: &mu, seen: &seen}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := p.Splice(context.Background(), r.b, testSplice("payroll-hooks"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const body = `{"card":"4242424242424242","email":"ada@example.com"}`
	echo(t, c, body)
	mu.Lock()
	wire := seen.Bytes()
	mu.Unlock()
	if len(wire) == 0 {
		t.Fatal("the tap saw nothing")
	}
	for _, s := range []string{"4242424242424242", "ada@example.com", "payroll-hooks", "node-a", "node-b"} {
		if bytes.Contains(wire, []byte(s)) {
			t.Errorf("%q crossed the wire in the clear (%d bytes seen)", s, len(wire))
		}
	}
}

// TestLinkTLSKeyPinned: two ends of one cluster secret agree; an end with another
// secret, or with no certificate, fails the TLS handshake on the side that checks it.
func TestLinkTLSKeyPinned(t *testing.T) {
	ours, err := newLinkTLS(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := newLinkTLS([]byte("another secret, same length....."))
	if err != nil {
		t.Fatal(err)
	}
	bare := &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true}
	tests := []struct {
		name               string
		client, server     *tls.Config
		clientOK, serverOK bool
	}{
		{"same secret", ours.client, ours.server, true, true},
		{"dialer with another secret", theirs.client, ours.server, false, false},
		{"acceptor with another secret", ours.client, theirs.server, false, false},
		{"dialer with no certificate", bare, ours.server, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, a := pair(t)
			served := make(chan error, 1)
			go func() {
				sc := tls.Server(a, tt.server)
				err := sc.Handshake()
				if err == nil {
					_, err = sc.Read(make([]byte, 1)) // TLS 1.3 checks a client's certificate after the client's handshake ends
				}
				_ = sc.Close()
				served <- err
			}()
			cc := tls.Client(d, tt.client)
			cerr := cc.Handshake()
			if cerr == nil {
				_, _ = cc.Write([]byte{1})
			}
			serr := <-served
			_ = cc.Close()
			if (cerr == nil) != tt.clientOK || (serr == nil) != tt.serverOK {
				t.Fatalf("dialer: %v; acceptor: %v", cerr, serr)
			}
			if !tt.clientOK && !errors.Is(cerr, errPeerKey) {
				t.Errorf("dialer's error %v, want errPeerKey", cerr)
			}
		})
	}
}
