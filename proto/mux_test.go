package proto_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/hookrelay/hookrelay/proto"
)

// connPair returns the two ends of a fresh connection; both are closed when tb ends.
type connPair func(tb testing.TB) (client, server net.Conn)

// testConnTypes are the transports every session test runs over: the in-memory pipe
// (synchronous, no buffering), TCP loopback and the real one, a websocket via NetConn.
var testConnTypes = []struct {
	name string
	pair connPair
}{
	{"pipe", pipePair},
	{"tcp", tcpPair},
	{"websocket", wsPair},
}

func pipePair(tb testing.TB) (client, server net.Conn) {
	client, server = net.Pipe()
	tb.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	return client, server
}

func tcpPair(tb testing.TB) (client, server net.Conn) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept() // nil on error; the dial below then fails too
		accepted <- c
	}()
	client, err = net.DialTimeout("tcp", ln.Addr().String(), waitLimit)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { _ = client.Close() })
	if server = <-accepted; server == nil {
		tb.Fatal("accept failed")
	}
	tb.Cleanup(func() { _ = server.Close() })
	return client, server
}

// sessionPair starts proto.Client and proto.Server over a connection from pair.
func sessionPair(tb testing.TB, pair connPair) (client, server *yamux.Session) {
	tb.Helper()
	cc, sc := pair(tb)
	server, err := proto.Server(sc, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = server.Close() })
	client, err = proto.Client(cc, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = client.Close() })
	return client, server
}

// serveEcho accepts streams on s until it closes, echoing each stream and closing it
// after the peer's half-close.
func serveEcho(s *yamux.Session) {
	for {
		st, err := s.AcceptStream()
		if err != nil {
			return
		}
		go func() {
			_, _ = io.Copy(st, st)
			_ = st.Close()
		}()
	}
}

func TestMuxEcho(t *testing.T) {
	const streams, size = 24, 256<<10 + 1 // each stream crosses its window
	for _, ct := range testConnTypes {
		t.Run(ct.name, func(t *testing.T) {
			client, server := sessionPair(t, ct.pair)
			go serveEcho(client) // the server opens the streams, as in the protocol
			var wg sync.WaitGroup
			for i := range streams {
				wg.Go(func() {
					if err := echoStream(server, pattern(i, size)); err != nil {
						t.Errorf("stream %d: %v", i, err)
					}
				})
			}
			wg.Wait()
		})
	}
}

// stuckLimit bounds a stream exchange that should finish in well under a second: only
// a stuck one reaches it, however loaded the machine.
const stuckLimit = 2 * time.Minute

// echoStream opens a stream, sends want, half-closes and expects want back.
func echoStream(s *yamux.Session, want []byte) error {
	st, err := s.OpenStream()
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer st.Close()
	// A generous bound, so that a stuck stream fails the test with an error of its own
	// instead of hanging until the test binary's timeout; a loaded machine is slow, not
	// stuck, and the session's own timeouts no longer depend on its speed.
	_ = st.SetDeadline(time.Now().Add(stuckLimit))
	werr := make(chan error, 1)
	go func() {
		_, err := st.Write(want)
		if err == nil {
			err = st.Close() // half-close: the peer's io.Copy ends, reading goes on
		}
		werr <- err
	}()
	got, err := io.ReadAll(st)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("echo differs: got %d bytes, want %d", len(got), len(want))
	}
	return nil
}

// TestMuxCloseSeen checks that closing a session ends the peer's session through the
// transport, not through the keep-alive timeout: the peer's session ends with the
// transport's error, not a read timeout. (No wall-clock limit: a loaded machine is slow.)
func TestMuxCloseSeen(t *testing.T) {
	for _, ct := range testConnTypes {
		for _, closer := range []string{"client", "server"} {
			t.Run(ct.name+"/"+closer+" closes", func(t *testing.T) {
				client, server := sessionPair(t, ct.pair)
				closing, peer := client, server
				if closer == "server" {
					closing, peer = server, client
				}
				if _, err := closing.Ping(); err != nil { // the session is up both ways
					t.Fatalf("ping: %v", err)
				}
				start := time.Now()
				_ = closing.Close()
				select {
				case <-peer.CloseChan():
				case <-time.After(stuckLimit):
					t.Fatalf("peer session still open %v after Close", stuckLimit)
				}
				t.Logf("peer saw the close after %v", time.Since(start))
				var ne net.Error
				if _, err := peer.AcceptStream(); errors.As(err, &ne) && ne.Timeout() {
					t.Errorf("peer session ended by its keep-alive timeout (%v), not by the close", err)
				}
				if _, err := peer.OpenStream(); err == nil {
					t.Error("OpenStream on the closed peer session succeeded")
				}
			})
		}
	}
}

func TestMuxConfig(t *testing.T) {
	for _, logw := range []io.Writer{nil, io.Discard, new(bytes.Buffer)} {
		cfg := proto.MuxConfig(logw)
		if err := yamux.VerifyConfig(cfg); err != nil {
			t.Errorf("MuxConfig(%T) is not a valid yamux config: %v", logw, err)
		}
		if cfg.MaxStreamWindowSize != proto.MaxStreamWindow || cfg.EnableKeepAlive ||
			cfg.ConnectionWriteTimeout != proto.SendQueueTimeout {
			t.Errorf("MuxConfig(%T) = %+v, does not use the protocol's limits", logw, cfg)
		}
	}
}

// BenchmarkStreamOpen opens and closes yamux streams over a loopback websocket.
// "open-close" does only that; "round-trip" also waits for one echoed byte, so each
// iteration includes the peer's accept.
func BenchmarkStreamOpen(b *testing.B) {
	client, server := sessionPair(b, wsPair)
	go serveEcho(client) // the server opens the streams, as in the protocol
	b.Run("open-close", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			st, err := server.OpenStream()
			if err != nil {
				b.Fatal(err)
			}
			_ = st.Close()
		}
	})
	b.Run("round-trip", func(b *testing.B) {
		b.ReportAllocs()
		one := make([]byte, 1)
		for b.Loop() {
			st, err := server.OpenStream()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.Write(one); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(st, one); err != nil {
				b.Fatal(err)
			}
			_ = st.Close()
		}
	})
}

// TestServerBacklog: the server queues one stream a client opens (the control stream)
// and resets the next at once rather than buffering what is sent on it.
func TestServerBacklog(t *testing.T) {
	client, server := sessionPair(t, tcpPair)
	first, err := client.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	extra, err := client.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = extra.Write(make([]byte, 64<<10))
	_ = extra.SetReadDeadline(time.Now().Add(waitLimit))
	if _, err := extra.Read(make([]byte, 1)); !errors.Is(err, yamux.ErrConnectionReset) {
		t.Fatalf("read on a stream past the server's backlog: %v, want %v", err, yamux.ErrConnectionReset)
	}
	st, err := server.AcceptStream()
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(st, got); err != nil || string(got) != "hello" {
		t.Fatalf("first stream: %q, %v", got, err)
	}
}
