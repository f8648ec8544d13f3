package wire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// TestMayResend has one case per condition of the resend rule: each one alone forbids
// writing a request again.
func TestMayResend(t *testing.T) {
	stale := errors.New("read response: connection reset by peer")
	base := Attempt{Err: stale, Buffered: true, Reused: true, Reached: true, Method: "GET"}
	with := func(f func(*Attempt)) Attempt { a := base; f(&a); return a }
	tests := []struct {
		name string
		a    Attempt
		want bool
	}{
		{"GET on a stale kept-alive connection", base, true},
		{"POST whose write failed", with(func(a *Attempt) { a.Method, a.Reached = "POST", false }), true},
		{"POST the app may have read", with(func(a *Attempt) { a.Method = "POST" }), false},
		{"it worked", with(func(a *Attempt) { a.Err = nil }), false},
		{"something came back", with(func(a *Attempt) { a.Got = true }), false},
		{"streamed body", with(func(a *Attempt) { a.Buffered = false }), false},
		{"fresh connection", with(func(a *Attempt) { a.Reused = false }), false},
		{"second attempt", with(func(a *Attempt) { a.N = 1 }), false},
		{"deadline passed", with(func(a *Attempt) { a.Err = os.ErrDeadlineExceeded }), false},
		{"response timeout", with(func(a *Attempt) { a.Err = fmt.Errorf("read: %w", ErrTimeout) }), false},
		{"head too large", with(func(a *Attempt) { a.Err = ErrHeadTooLarge }), false},
		{"the sender gave up", with(func(a *Attempt) { a.Aborted = true }), false},
	}
	for _, tt := range tests {
		if got := MayResend(tt.a); got != tt.want {
			t.Errorf("%s: MayResend = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestPoolResendsUnreadRequest: a peer that ends a reused connection without a byte of
// answer (a tunnel client closing an idle stream as the request went out) gets the
// request once more on a fresh connection; a peer that answered in part, or a fresh
// connection that fails, does not.
func TestPoolResendsUnreadRequest(t *testing.T) {
	tests := []struct {
		name    string
		second  string // what the peer writes before closing, on the reused connection
		want    string // the answer RoundTrip returns, "" for an error
		dialled int32
	}{
		{"silent close", "", "fresh", 2},
		{"answer cut short", "HTTP/1.1 200 OK\r\nContent-Le", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, dialled := peerClosingSecond(t, tt.second)
			p := NewPool(4, time.Minute, func() (net.Conn, error) { dialled.Add(1); return net.Dial("tcp", addr) })
			defer p.CloseIdle()
			if got, err := post(p, addr); err != nil || got != "first" {
				t.Fatalf("first POST: %q, %v", got, err)
			}
			got, err := post(p, addr)
			if got != tt.want || (tt.want == "") != (err != nil) {
				t.Errorf("second POST: %q, %v; want %q", got, err, tt.want)
			}
			if n := dialled.Load(); n != tt.dialled {
				t.Errorf("%d connections dialled, want %d", n, tt.dialled)
			}
		})
	}
}

// peerClosingSecond serves: on its first connection one answer ("first"), then reads
// the next request and writes second before closing; on later connections "fresh".
func peerClosingSecond(t *testing.T, second string) (string, *atomic.Int32) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	answer := func(c net.Conn, body string) {
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
	go func() {
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if !readRequest(br) {
					return
				}
				if n > 0 {
					answer(c, "fresh")
					return
				}
				answer(c, "first")
				if readRequest(br) {
					io.WriteString(c, second)
				}
			}()
		}
	}()
	return ln.Addr().String(), new(atomic.Int32)
}

// readRequest reads a request and its body.
func readRequest(br *bufio.Reader) bool {
	req, err := http.ReadRequest(br)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, req.Body)
	return err == nil
}

// post sends a small POST through p and returns the body of the answer.
func post(p *Pool, addr string) (string, error) {
	req, _ := http.NewRequest("POST", "http://"+addr+"/hook", nil)
	h := &Head{Method: "POST", Target: "/hook", Host: addr, Header: http.Header{}, Body: []byte("{}")}
	c, resp, err := p.RoundTrip(h, req, 10*time.Second)
	if err != nil {
		return "", err
	}
	defer p.Put(c)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b), err
}
