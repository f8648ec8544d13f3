package peer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func randomBytes(n int, seed uint64) []byte {
	var key [32]byte
	key[0] = byte(seed)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestSpliceHTTPLargeBodies sends a 6 MiB request through a splice to an HTTP server
// on a client session stream, which answers with 5 MiB; both arrive byte for byte.
func TestSpliceHTTPLargeBodies(t *testing.T) {
	reqBody, respBody := randomBytes(6<<20, 1), randomBytes(5<<20, 2)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Body-Sum", sum(got))
		w.Header().Set("X-Tunnel", r.Header.Get("X-Hookrelay-Tunnel"))
		_, _ = w.Write(respBody)
	})
	r := newRig(t, rigOpts{open: clientSession(t, handler)})
	for i := range 2 { // the second goes over the same link
		c := r.splice(t, "shop")
		req, _ := http.NewRequest(http.MethodPost, "http://shop.example/hook", bytes.NewReader(reqBody))
		req.Header.Set("X-Hookrelay-Tunnel", "shop")
		go func() { _ = req.Write(c) }()
		resp, err := http.ReadResponse(bufio.NewReader(c), req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		got, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("request %d: read body: %v", i, err)
		}
		if resp.Header.Get("X-Body-Sum") != sum(reqBody) || resp.Header.Get("X-Tunnel") != "shop" {
			t.Fatalf("request %d: far end saw body %s tunnel %q, want %s", i, resp.Header.Get("X-Body-Sum"), resp.Header.Get("X-Tunnel"), sum(reqBody))
		}
		if !bytes.Equal(got, respBody) {
			t.Fatalf("request %d: response body of %d bytes differs from the %d sent", i, len(got), len(respBody))
		}
	}
	if n := r.dialCount(); n != 1 {
		t.Fatalf("%d dials for two splices, want one link", n)
	}
}

// TestSpliceUpgrade: a websocket upgrade and the binary frames after it pass through
// untouched; the holder parses nothing.
func TestSpliceUpgrade(t *testing.T) {
	frames := append([]byte{0x82, 0x7e, 0x01, 0x00}, randomBytes(256, 3)...) // a binary frame, 16-bit length
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
		_ = brw.Flush()
		got := make([]byte, len(frames))
		if _, err := io.ReadFull(brw, got); err != nil {
			return
		}
		_, _ = conn.Write(got) // echo
	})
	r := newRig(t, rigOpts{open: clientSession(t, handler)})
	c := r.splice(t, "chat")
	_, err := io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: chat.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	head, err := readHead(br)
	if err != nil {
		t.Fatal(err)
	}
	want := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	if head != want {
		t.Fatalf("head %q, want %q", head, want)
	}
	if _, err := c.Write(frames); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(frames))
	if _, err := io.ReadFull(br, got); err != nil || !bytes.Equal(got, frames) {
		t.Fatalf("echoed frames differ (err %v)", err)
	}
}

// readHead reads up to and including the blank line, byte for byte.
func readHead(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for !strings.HasSuffix(b.String(), "\r\n\r\n") {
		c, err := br.ReadByte()
		if err != nil {
			return b.String(), err
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// TestSpliceHalfClose: each side's half-close reaches the other while the other
// direction goes on, byte for byte, in both orders.
func TestSpliceHalfClose(t *testing.T) {
	up, down := randomBytes(3<<20+7, 4), randomBytes(2<<20+3, 5)
	tests := []struct {
		name     string
		farFirst bool // the far end finishes writing before reading
	}{
		{"near end closes first", false},
		{"far end closes first", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan []byte, 1)
			open := rawEnd(t, func(c net.Conn) {
				if tt.farFirst {
					_, _ = c.Write(down)
					_ = c.(*net.TCPConn).CloseWrite()
				}
				b, _ := io.ReadAll(c)
				got <- b
				if !tt.farFirst {
					_, _ = c.Write(down)
				}
			})
			r := newRig(t, rigOpts{open: open})
			c := r.splice(t, "raw")
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = c.Write(up)
				_ = c.(*Stream).CloseWrite()
			}()
			back, err := io.ReadAll(c)
			wg.Wait()
			if err != nil || !bytes.Equal(back, down) {
				t.Fatalf("near end read %d bytes (err %v), want the %d written", len(back), err, len(down))
			}
			if b := <-got; !bytes.Equal(b, up) {
				t.Fatalf("far end read %d bytes, want the %d written", len(b), len(up))
			}
		})
	}
}

// TestSpliceRefused: the holder's refusals arrive as sentinel errors, before any byte
// reached a client.
func TestSpliceRefused(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"no session", fmt.Errorf("tunnel shop at 41: %w", ErrNotHere), ErrNotHere},
		{"session ending", errors.New("session shut down"), ErrNotHere},
		{"session full", fmt.Errorf("256 streams: %w", ErrBusy), ErrBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open := func(tunnel string, gen int64, client string) (net.Conn, error) {
				if tunnel != "shop" || gen != 41 || client != "s-1" {
					t.Errorf("open(%q, %d, %q)", tunnel, gen, client)
				}
				return nil, tt.err
			}
			r := newRig(t, rigOpts{open: open})
			_, err := r.peers.Splice(t.Context(), r.b, testSplice("shop"))
			var se *SpliceError
			if !errors.Is(err, tt.want) || !errors.As(err, &se) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if r.peers.Suspect(r.b.ID) {
				t.Fatal("a refusal made the peer suspect")
			}
		})
	}
}

// TestSpliceBusy: a peer gets at most MaxSplices at once; one more is refused busy,
// and a slot freed serves the next.
func TestSpliceBusy(t *testing.T) {
	open := rawEnd(t, func(c net.Conn) { _, _ = io.Copy(c, c) })
	r := newRig(t, rigOpts{open: open, maxSplices: 2})
	a, b := r.splice(t, "one"), r.splice(t, "two")
	echo(t, a, "a")
	echo(t, b, "b")
	_, err := r.peers.Splice(t.Context(), r.b, testSplice("three"))
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("third splice: %v, want busy", err)
	}
	_ = a.Close()
	var c net.Conn
	deadline := time.Now().Add(10 * time.Second)
	for c == nil { // the holder frees a's slot once it saw the close
		c, err = r.peers.Splice(t.Context(), r.b, testSplice("three"))
		if err != nil && (!errors.Is(err, ErrBusy) || time.Now().After(deadline)) {
			t.Fatalf("splice after a close: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	defer c.Close()
	echo(t, c, "c")
}

func echo(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		t.Fatalf("echo %q: got %q, %v", msg, got, err)
	}
}

// TestKilledPeer: a holder that dies mid-splice ends the splice with an error, not a
// hang; the next splice finds it unreachable, and then it is suspect, refused at once.
func TestKilledPeer(t *testing.T) {
	started := make(chan struct{}, 1)
	open := rawEnd(t, func(c net.Conn) {
		started <- struct{}{}
		_, _ = io.Copy(io.Discard, c)
	})
	r := newRig(t, rigOpts{open: open})
	c := r.splice(t, "shop")
	if _, err := c.Write([]byte("POST / HTTP/1.1\r\n")); err != nil {
		t.Fatal(err)
	}
	<-started
	_ = r.holder.Close() // closes its listener and every link
	err := within(t, 15*time.Second, "read from a dead peer", func() error {
		_, err := io.ReadAll(c)
		return err
	})
	if err == nil {
		t.Fatal("read from a dead peer ended cleanly, want an error")
	}
	_, err = r.peers.Splice(t.Context(), r.b, testSplice("shop"))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("splice to a dead peer: %v, want unreachable", err)
	}
	if !r.peers.Suspect(r.b.ID) {
		t.Fatal("a failed dial left the peer trusted")
	}
	dials := r.dialCount()
	_, err = r.peers.Splice(t.Context(), r.b, testSplice("shop"))
	if !errors.Is(err, ErrSuspect) || r.dialCount() != dials {
		t.Fatalf("splice to a suspect peer: %v after %d dials, want suspect and no dial", err, r.dialCount()-dials)
	}
}
