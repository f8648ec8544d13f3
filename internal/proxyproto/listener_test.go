package proxyproto

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"
)

// accepted dials ln, writes send, and returns the dialed and the accepted conn.
func accepted(t *testing.T, ln net.Listener, send string) (net.Conn, net.Conn) {
	t.Helper()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if send != "" {
		if _, err := io.WriteString(d, send); err != nil {
			t.Fatal(err)
		}
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return d, c
}

func listenWith(t *testing.T, trusted string, timeout time.Duration) net.Listener {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	return Wrap(raw, Config{Trusted: []netip.Prefix{netip.MustParsePrefix(trusted)}, Timeout: timeout})
}

// TestTrustedPeer: a conn from a trusted peer reports the header's client and reads
// what follows the header, byte for byte.
func TestTrustedPeer(t *testing.T) {
	ln := listenWith(t, "127.0.0.0/8", 0)
	_, c := accepted(t, ln, "PROXY TCP4 203.0.113.7 10.0.0.5 56324 443\r\nhello")
	if got := c.RemoteAddr().String(); got != "203.0.113.7:56324" {
		t.Fatalf("RemoteAddr %s, want the header's client", got)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("read %q, %v; want hello", buf, err)
	}
	if p := c.(*Conn).Peer().String(); p[:10] != "127.0.0.1:" {
		t.Errorf("Peer %s, want the balancer's address", p)
	}
}

// TestUntrustedPeer: from anyone else a header is not read: the bytes are the conn's.
func TestUntrustedPeer(t *testing.T) {
	ln := listenWith(t, "10.0.0.0/8", 0)
	_, c := accepted(t, ln, "PROXY TCP4 203.0.113.7 10.0.0.5 1 2\r\n")
	if _, ok := c.(*Conn); ok || c.RemoteAddr().String()[:10] != "127.0.0.1:" {
		t.Fatalf("an untrusted conn was wrapped (%T, %s)", c, c.RemoteAddr())
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "PROXY" {
		t.Fatalf("read %q, %v; want the header's bytes as data", buf, err)
	}
}

// TestTrustedPeerWithoutHeader: a trusted peer's conn without a valid header, or with
// none in time, fails its reads with ErrHeader, and its writes after that.
func TestTrustedPeerWithoutHeader(t *testing.T) {
	for _, tt := range []struct{ name, send string }{{"plain HTTP", "GET / HTTP/1.1\r\n\r\n"}, {"silence", ""}} {
		t.Run(tt.name, func(t *testing.T) {
			ln := listenWith(t, "127.0.0.1/32", 200*time.Millisecond)
			_, c := accepted(t, ln, tt.send)
			if _, err := c.Read(make([]byte, 8)); !errors.Is(err, ErrHeader) {
				t.Fatalf("read: %v, want ErrHeader", err)
			}
			if _, err := c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")); !errors.Is(err, ErrHeader) {
				t.Fatalf("write after a failed header: %v, want ErrHeader", err)
			}
			if got := c.RemoteAddr().String(); got[:10] != "127.0.0.1:" {
				t.Errorf("RemoteAddr %s, want the peer's", got)
			}
		})
	}
}

// TestDeadlineKept: a read deadline the conn's user set before the header was read
// still holds after it (an HTTP server's header timeout must survive the header).
func TestDeadlineKept(t *testing.T) {
	ln := listenWith(t, "127.0.0.1/32", time.Minute)
	_, c := accepted(t, ln, "PROXY UNKNOWN\r\n")
	if err := c.SetReadDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read: %v, want the user's deadline", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the user's read deadline was lost with the header's")
	}
}
