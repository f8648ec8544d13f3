package proto_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hookrelay/hookrelay/proto"
)

// waitLimit bounds waits for events that should happen at once; reaching it fails a test.
// It is generous: on a loaded machine "at once" can take seconds.
const waitLimit = 30 * time.Second

// wsRawPair connects a gorilla client to an httptest server on 127.0.0.1 and returns
// both websocket ends. Both are closed when the test ends.
func wsRawPair(tb testing.TB) (client, server *websocket.Conn) {
	tb.Helper()
	accepted := make(chan *websocket.Conn, 1)
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade has answered the request
		}
		accepted <- ws
	}))
	tb.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	client, resp, err := websocket.DefaultDialer.DialContext(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		tb.Fatalf("dial websocket: %v", err)
	}
	_ = resp.Body.Close()
	tb.Cleanup(func() { _ = client.Close() })
	select {
	case server = <-accepted:
	case <-ctx.Done():
		tb.Fatal("server did not accept the websocket")
	}
	tb.Cleanup(func() { _ = server.Close() })
	return client, server
}

// wsPair is wsRawPair with both ends wrapped by proto.NetConn.
func wsPair(tb testing.TB) (client, server net.Conn) {
	tb.Helper()
	c, s := wsRawPair(tb)
	client, server = proto.NetConn(c), proto.NetConn(s)
	tb.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	return client, server
}

// sizes returns n write or read sizes drawn from [lo, hi] with a fixed seed.
func sizes(seed uint64, n, lo, hi int) []int {
	r := rand.New(rand.NewPCG(seed, seed))
	out := make([]int, n)
	for i := range out {
		out[i] = lo + r.IntN(hi-lo+1)
	}
	return out
}

// pattern returns n bytes that differ with their position and the seed, so reordering,
// loss and duplication all show.
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251 + seed*13)
	}
	return b
}

func TestNetConnByteStream(t *testing.T) {
	cases := []struct {
		name       string
		writes     []int
		readSize   int
		serverSide bool // server writes, client reads
	}{
		{"small writes, odd reads", sizes(1, 300, 1, 100), 7, false},
		{"large writes, tiny reads", sizes(2, 20, 1000, 70000), 1, false},
		{"one-byte writes, large reads", sizes(3, 500, 1, 1), 64 << 10, false},
		{"with empty writes", []int{0, 5, 0, 0, 17, 0}, 3, false},
		{"largest yamux frame", []int{proto.MaxStreamWindow + 12, 1}, 100 << 10, false},
		{"server to client", sizes(4, 100, 1, 40000), 4096, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, r := wsPair(t)
			if tc.serverSide {
				w, r = r, w
			}
			checkStream(t, w, r, tc.writes, tc.readSize)
		})
	}
}

// checkStream writes one message per entry of writes on w and reads them back from r
// in reads of readSize bytes.
func checkStream(t *testing.T, w, r net.Conn, writes []int, readSize int) {
	t.Helper()
	total := 0
	for _, n := range writes {
		total += n
	}
	want := pattern(len(writes), total)
	werr := make(chan error, 1)
	go func() { werr <- writeAll(w, want, writes) }()
	got := make([]byte, 0, total)
	buf := make([]byte, readSize)
	for len(got) < total {
		n, err := r.Read(buf)
		if err != nil {
			t.Fatalf("Read after %d of %d bytes: %v", len(got), total, err)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read bytes differ from the written ones (%d bytes)", total)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
}

// writeAll writes data in one Write per entry of writes.
func writeAll(w io.Writer, data []byte, writes []int) error {
	for _, n := range writes {
		if k, err := w.Write(data[:n]); err != nil || k != n {
			return fmt.Errorf("write %d bytes: wrote %d, %v", n, k, err)
		}
		data = data[n:]
	}
	return nil
}

func TestNetConnSkipsTextMessages(t *testing.T) {
	rawClient, rawServer := wsRawPair(t)
	conn := proto.NetConn(rawClient)
	msgs := []struct {
		typ  int
		data string
	}{
		{websocket.TextMessage, "ignored"},
		{websocket.BinaryMessage, "abc"},
		{websocket.TextMessage, ""},
		{websocket.TextMessage, "also ignored"},
		{websocket.BinaryMessage, "def"},
	}
	for _, m := range msgs {
		if err := rawServer.WriteMessage(m.typ, []byte(m.data)); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, 6)
	if _, err := io.ReadFull(conn, got); err != nil || string(got) != "abcdef" {
		t.Fatalf("read %q, %v; want %q", got, err, "abcdef")
	}
}

func TestNetConnCloseGivesEOF(t *testing.T) {
	for _, closer := range []string{"client", "server"} {
		t.Run(closer+" closes", func(t *testing.T) {
			a, b := wsPair(t)
			if closer == "server" {
				a, b = b, a
			}
			if _, err := a.Write([]byte("last words")); err != nil {
				t.Fatal(err)
			}
			if err := a.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			_ = b.SetReadDeadline(time.Now().Add(waitLimit))
			got, err := io.ReadAll(b) // ReadAll stops at io.EOF and reports it as nil
			if err != nil || string(got) != "last words" {
				t.Fatalf("peer read %q, %v; want %q then io.EOF", got, err, "last words")
			}
			if n, err := b.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Errorf("Read after EOF = %d, %v; want 0, io.EOF", n, err)
			}
			if _, err := a.Write([]byte("x")); err == nil {
				t.Error("Write after Close succeeded")
			}
			if err := a.Close(); err != nil {
				t.Errorf("second Close = %v, want the first one's nil", err)
			}
		})
	}
}

// TestNetConnCloseMidMessage sends a close frame between two fragments of a message, as
// happens when Close races a large Write; the reader must still see a clean io.EOF.
func TestNetConnCloseMidMessage(t *testing.T) {
	rawClient, rawServer := wsRawPair(t)
	conn := proto.NetConn(rawServer)
	w, err := rawClient.NextWriter(websocket.BinaryMessage)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 64<<10)); err != nil { // more than one write buffer: flushes fragments
		t.Fatal(err)
	}
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if err := rawClient.WriteControl(websocket.CloseMessage, msg, time.Now().Add(waitLimit)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(waitLimit))
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Fatalf("read = %v, want io.EOF", err)
	}
}

// TestNetConnRepeatedReadAfterError reads on after a timeout, as a caller retrying a
// net.Conn would; the error must stay and nothing may panic.
func TestNetConnRepeatedReadAfterError(t *testing.T) {
	conn, _ := wsPair(t)
	_ = conn.SetReadDeadline(time.Now().Add(-time.Second))
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("NetConn.Read panicked when called again after an error: %v", p)
		}
	}()
	for range 1100 {
		if err := readOne(conn); err == nil {
			t.Fatal("Read succeeded after its deadline")
		}
	}
}

func TestNetConnDeadlines(t *testing.T) {
	cases := []struct {
		name string
		set  func(net.Conn) error
		op   func(net.Conn) error
	}{
		{"read deadline ahead", deadline(net.Conn.SetReadDeadline, 50*time.Millisecond), readOne},
		{"read deadline passed", deadline(net.Conn.SetReadDeadline, -time.Second), readOne},
		{"deadline ahead, read", deadline(net.Conn.SetDeadline, 50*time.Millisecond), readOne},
		{"write deadline passed", deadline(net.Conn.SetWriteDeadline, -time.Second), writeOne},
		{"deadline passed, write", deadline(net.Conn.SetDeadline, -time.Second), writeOne},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, _ := wsPair(t)
			if err := tc.set(conn); err != nil {
				t.Fatalf("set deadline: %v", err)
			}
			start := time.Now()
			err := tc.op(conn)
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("got %v (%T), want a net.Error with Timeout()", err, err)
			}
			if d := time.Since(start); d > waitLimit {
				t.Errorf("timed out after %v", d)
			}
		})
	}
}

func deadline(set func(net.Conn, time.Time) error, in time.Duration) func(net.Conn) error {
	return func(c net.Conn) error { return set(c, time.Now().Add(in)) }
}

func readOne(c net.Conn) error  { _, err := c.Read(make([]byte, 1)); return err }
func writeOne(c net.Conn) error { _, err := c.Write([]byte("x")); return err }

func TestNetConnClearedWriteDeadline(t *testing.T) {
	conn, peer := wsPair(t)
	_ = conn.SetWriteDeadline(time.Now().Add(-time.Second))
	_ = conn.SetWriteDeadline(time.Time{})
	if _, err := conn.Write([]byte("ok")); err != nil {
		t.Fatalf("Write after clearing the deadline: %v", err)
	}
	got := make([]byte, 2)
	if _, err := io.ReadFull(peer, got); err != nil || string(got) != "ok" {
		t.Fatalf("peer read %q, %v", got, err)
	}
}

func TestNetConnAddrs(t *testing.T) {
	client, server := wsPair(t)
	if client.LocalAddr().String() != server.RemoteAddr().String() ||
		client.RemoteAddr().String() != server.LocalAddr().String() {
		t.Errorf("addresses do not pair up: client %v->%v, server %v->%v",
			client.LocalAddr(), client.RemoteAddr(), server.LocalAddr(), server.RemoteAddr())
	}
}

func TestNetConnOversizedMessage(t *testing.T) {
	rawClient, rawServer := wsRawPair(t)
	conn := proto.NetConn(rawClient)
	go func() { _ = rawServer.WriteMessage(websocket.BinaryMessage, make([]byte, proto.WebsocketReadLimit+1)) }()
	if _, err := io.ReadAll(conn); err == nil {
		t.Fatal("read a message over WebsocketReadLimit without error")
	}
}

// TestNetConnConcurrent runs one reader, one writer and deadline setters at once, as
// yamux does; -race checks the rest.
func TestNetConnConcurrent(t *testing.T) {
	conn, peer := wsPair(t)
	go func() { _, _ = io.Copy(peer, peer) }() // echo
	want := pattern(5, 512<<10)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { concurrentWrites(t, conn, want) })
	wg.Go(func() { fiddleDeadlines(conn, done) })
	got := make([]byte, len(want))
	_, err := io.ReadFull(conn, got)
	close(done)
	wg.Wait()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("echo: %v, equal=%v", err, bytes.Equal(got, want))
	}
}

func concurrentWrites(t *testing.T, conn net.Conn, data []byte) {
	r := rand.New(rand.NewPCG(6, 6))
	for len(data) > 0 {
		n := min(1+r.IntN(8192), len(data))
		if _, err := conn.Write(data[:n]); err != nil {
			t.Errorf("Write: %v", err)
			return
		}
		data = data[n:]
	}
}

// fiddleDeadlines keeps moving the deadlines far ahead until done is closed.
func fiddleDeadlines(conn net.Conn, done <-chan struct{}) {
	tick := time.NewTicker(100 * time.Microsecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		_ = conn.SetWriteDeadline(time.Now().Add(time.Minute))
		_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
		_ = conn.SetDeadline(time.Time{})
	}
}

func BenchmarkNetConnWrite(b *testing.B) {
	for _, size := range []int{1 << 10, 32 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			client, server := wsPair(b)
			go func() { _, _ = io.Copy(io.Discard, server) }()
			buf := pattern(0, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.Write(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestNetConnCoalescesMuxFrames: a yamux data header and its payload, written in two
// calls, travel as one websocket message; other writes stay one message each.
func TestNetConnCoalescesMuxFrames(t *testing.T) {
	c, peer := wsRawPair(t)
	conn := proto.NetConn(c)
	hdr := []byte{0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 3}
	update := []byte{0, 1, 0, 0, 0, 0, 0, 7, 0, 0, 0, 9}
	for _, p := range [][]byte{hdr, []byte("abc"), update} {
		if _, err := conn.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	want := [][]byte{append(append([]byte{}, hdr...), "abc"...), update}
	for i, w := range want {
		_, msg, err := peer.ReadMessage()
		if err != nil || !bytes.Equal(msg, w) {
			t.Fatalf("message %d = %v, %v; want %v", i, msg, err, w)
		}
	}
}
