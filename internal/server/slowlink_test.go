package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
)

// slowLink is a TCP proxy that carries each direction of each connection at a fixed
// rate: a token bucket refilled at rate bytes per second, spent a chunk at a time.
type slowLink struct {
	ln     net.Listener
	target string
	rate   int // bytes per second, each direction; 0 for no limit
	mu     sync.Mutex
	conns  []net.Conn
}

func newSlowLink(tb testing.TB, target string, rate int) *slowLink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	l := &slowLink{ln: ln, target: target, rate: rate}
	tb.Cleanup(func() { ln.Close() })
	go l.serve()
	return l
}

func (l *slowLink) url() string { return "http://" + l.ln.Addr().String() }

func (l *slowLink) serve() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", l.target)
		if err != nil {
			c.Close()
			continue
		}
		l.mu.Lock()
		l.conns = append(l.conns, c, up)
		l.mu.Unlock()
		go l.pipe(c, up)
		go l.pipe(up, c)
	}
}

// cut closes every connection through the link, as a crash of the far end would.
func (l *slowLink) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
}

// pipe copies src to dst at l.rate: each chunk waits until the bucket holds its size.
func (l *slowLink) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	const chunk = 4 << 10
	buf := make([]byte, chunk)
	tokens, last := float64(chunk), time.Now()
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		now := time.Now()
		if l.rate == 0 {
			tokens = chunk
		}
		tokens = min(tokens+now.Sub(last).Seconds()*float64(l.rate), chunk)
		last = now
		if tokens -= float64(n); tokens < 0 && l.rate > 0 {
			time.Sleep(time.Duration(-tokens / float64(l.rate) * float64(time.Second)))
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

// TestSlowBusyLinkKeepsSession: on a slow client link, several large concurrent webhooks
// queue many seconds of data ahead of anything else the server sends. The session must
// stay up (liveness is any received byte, not a ping's answer) and every body must reach
// the app intact. Four 512 KiB bodies at 128 KiB/s put 8 s of data ahead of a ping,
// twice the old keep-alive's 4 s.
func TestSlowBusyLinkKeepsSession(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 2 MiB over a 128 KiB/s link")
	}
	const bodies, size, rate = 4, 512 << 10, 128 << 10
	srv := relaytest.StartServer(t, "", nil)
	be := backend(t)
	link := newSlowLink(t, srv.Addr, rate)
	cl := relaytest.StartClient(t, link.url(), relaytest.Token,
		client.Tunnel{Name: "slow", Target: relaytest.Target(t, be.URL)})
	hc := &http.Client{Timeout: 5 * time.Minute}
	var wg sync.WaitGroup
	for i := range bodies {
		wg.Go(func() {
			body := make([]byte, size)
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for j := range body {
				body[j] = byte(r.Uint32())
			}
			if err := postIntact(hc, srv.URL+fmt.Sprintf("/t/slow/hook/%d", i), body); err != nil {
				t.Errorf("webhook %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	select {
	case <-cl.Welcomes:
		t.Error("the client had to reconnect: the session was dropped while busy")
	default:
	}
	if st := cl.State(); st != client.StateOnline {
		t.Errorf("client state %s after the burst, want online", st)
	}
}

// postIntact posts body and checks that the app answered 200 having seen exactly it.
func postIntact(hc *http.Client, url string, body []byte) error {
	resp, err := hc.Post(url, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	var s seen
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("app answer %q: %w", raw, err)
	}
	sum := sha256.Sum256(body)
	if s.Len != int64(len(body)) || s.SHA256 != hex.EncodeToString(sum[:]) {
		return fmt.Errorf("app saw %d bytes (sha256 %s), sent %d", s.Len, s.SHA256, len(body))
	}
	return nil
}

// TestReconnectAbortsStuckExchange: when the session dies under an exchange whose request
// body is partly sent (its sender stalls, its app waits for the rest), the client
// reconnects at once and closes the app's connection, without waiting for the exchange.
func TestReconnectAbortsStuckExchange(t *testing.T) {
	srv := relaytest.StartServer(t, "", nil)
	appGot, appClosed := make(chan struct{}), make(chan struct{})
	app := rawApp(t, func(c net.Conn) {
		buf := make([]byte, 64<<10)
		if _, err := c.Read(buf); err != nil {
			return
		}
		close(appGot)
		for { // wait for the rest of the body, which never comes
			if _, err := c.Read(buf); err != nil {
				close(appClosed)
				return
			}
		}
	})
	link := newSlowLink(t, srv.Addr, 0)
	cl := relaytest.StartClient(t, link.url(), relaytest.Token,
		client.Tunnel{Name: "stuck", Target: relaytest.Target(t, app)})
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	go func() {
		req, _ := http.NewRequest("POST", srv.URL+"/t/stuck/hook", pr)
		req.ContentLength = 1 << 20
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	go func() { _, _ = pw.Write(make([]byte, 100<<10)) }() // then nothing more
	waitChan(t, appGot, "the app to get the start of the body")
	link.cut()
	cl.WaitOnline(t)
	waitChan(t, appClosed, "the app's connection of the dead session to be closed")
}

func waitChan(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// rawApp serves each connection with serve on a listener on 127.0.0.1 and returns its URL.
func rawApp(tb testing.TB, serve func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); serve(c) }()
		}
	}()
	return "http://" + ln.Addr().String()
}
