package faultsuite

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/proto"
)

// floodClient sends the flood's HTTP requests (from 127.0.0.1).
func floodClient() *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true, Proxy: nil}
	return &http.Client{Transport: tr, Timeout: scaled(2 * time.Minute),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// label names an answer by status and relay code, e.g. "503 overloaded".
func label(resp *http.Response) string {
	if c := resp.Header.Get(proto.HeaderError); c != "" {
		return fmt.Sprintf("%d %s", resp.StatusCode, c)
	}
	return strconv.Itoa(resp.StatusCode)
}

// post sends one flood request and counts its answer; the flood's end is not counted.
func post(ctx context.Context, hc *http.Client, req *http.Request, codes *codeCount) {
	resp, err := hc.Do(req.WithContext(ctx))
	if err != nil {
		if ctx.Err() == nil {
			codes.add("conn-error")
		}
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	codes.add(label(resp))
}

// rawExchange dials addr, writes with write (which may block for as long as the server
// lets it) and counts the answer the server gives, if any, once it gives one.
func rawExchange(ctx context.Context, addr string, codes *codeCount, write func(net.Conn)) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		codes.add("dial-error")
		pause(ctx, 100*time.Millisecond)
		return
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	go write(conn)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	switch {
	case ctx.Err() != nil:
	case err != nil:
		codes.add("closed")
	default:
		codes.add(label(resp))
		resp.Body.Close()
	}
	pause(ctx, 100*time.Millisecond)
}

// slowBodies keeps 300 connections that send a head announcing a body (half of them
// within the 64 KiB read ahead, half beyond it) and then never send a byte of it.
func slowBodies(ctx context.Context, f *floodRig, codes *codeCount) {
	workers(ctx, 300, func(ctx context.Context, i int) {
		n := 1000
		if i%2 == 1 {
			n = 200_000
		}
		rawExchange(ctx, f.addr, codes, func(c net.Conn) {
			fmt.Fprintf(c, "POST /t/faults/slow HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", f.addr, n)
		})
	})
}

// endlessRequestHeads floods with request heads that never end: 40 connections write
// header lines as fast as the server reads them, 100 write one line a second.
func endlessRequestHeads(ctx context.Context, f *floodRig, codes *codeCount) {
	endless := func(every time.Duration) func(context.Context, int) {
		return func(ctx context.Context, _ int) {
			rawExchange(ctx, f.addr, codes, func(c net.Conn) {
				fmt.Fprintf(c, "POST /t/faults/head HTTP/1.1\r\nHost: %s\r\n", f.addr)
				line := []byte("X-Pad: " + strings.Repeat("a", 4000) + "\r\n")
				for ctx.Err() == nil {
					if _, err := c.Write(line); err != nil {
						return
					}
					pause(ctx, every)
				}
			})
		}
	}
	both(func() { workers(ctx, 40, endless(0)) }, func() { workers(ctx, 100, endless(time.Second)) })
}

// both runs a and b at once and waits for them.
func both(a, b func()) {
	done := make(chan struct{})
	go func() { defer close(done); a() }()
	b()
	<-done
}

// endlessResponseHeads has a tunnel client of the attacker's token answer every
// request with a head that never ends (connecting again whenever the server ends its
// session), while eight senders keep asking it.
func endlessResponseHeads(ctx context.Context, f *floodRig, codes *codeCount) {
	hc := floodClient()
	defer hc.CloseIdleConnections()
	both(func() {
		workers(ctx, 1, func(ctx context.Context, _ int) {
			h, err := dialHostile(f.addr, hostileToken, "", "evilhead")
			if err != nil {
				codes.add(errLabel(err))
				pause(ctx, 100*time.Millisecond)
				return
			}
			defer h.close()
			codes.add("session")
			h.serve(endlessHead)
			select {
			case <-h.mux.CloseChan():
			case <-ctx.Done():
			}
		})
	}, func() {
		workers(ctx, 8, func(ctx context.Context, _ int) {
			req, _ := http.NewRequest(http.MethodPost, "http://"+f.addr+"/t/evilhead/hook", strings.NewReader(`{"a":1}`))
			post(ctx, hc, req, codes)
		})
	})
}

// serve answers every request stream with answer(stream) after reading its head.
func (c *hostile) serve(answer func(net.Conn)) {
	go func() {
		for {
			st, err := c.mux.AcceptStream()
			if err != nil {
				return
			}
			go func() {
				defer st.Close()
				if _, err := http.ReadRequest(bufio.NewReader(st)); err == nil {
					answer(st)
				}
			}()
		}
	}()
}

// endlessHead answers with a status line and then header lines until the stream fails.
func endlessHead(st net.Conn) {
	if _, err := io.WriteString(st, "HTTP/1.1 200 OK\r\n"); err != nil {
		return
	}
	line := []byte("X-Pad: " + strings.Repeat("a", 4000) + "\r\n")
	for {
		if _, err := st.Write(line); err != nil {
			return
		}
	}
}

// streamFlood has 16 sessions of the attacker's token at a time (more than it may
// open) each open 64 streams of its own and push 256 KiB down each, reconnecting as
// soon as the server ends the session.
func streamFlood(ctx context.Context, f *floodRig, codes *codeCount) {
	workers(ctx, 16, func(ctx context.Context, i int) {
		h, err := dialHostile(f.addr, hostileToken, "", fmt.Sprintf("sflood-%d", i))
		if err != nil {
			codes.add(errLabel(err))
			pause(ctx, 200*time.Millisecond)
			return
		}
		defer h.close()
		codes.add("session")
		chunk := make([]byte, 256<<10)
		for range 64 {
			st, err := h.mux.OpenStream()
			if err != nil {
				break
			}
			go func() { _, _ = st.Write(chunk) }()
		}
		select {
		case <-h.mux.CloseChan():
			codes.add("session ended by server")
		case <-ctx.Done():
		case <-time.After(scaled(10 * time.Second)):
			codes.add("session still open")
		}
	})
}

// nameSeq makes the name flood's names unique.
var nameSeq atomic.Int64

// nameFlood has 16 sessions of the attacker's token at a time each ask for 32 names
// never used before.
func nameFlood(ctx context.Context, f *floodRig, codes *codeCount) {
	workers(ctx, 16, func(ctx context.Context, _ int) {
		names := make([]string, 32)
		for k := range names {
			names[k] = fmt.Sprintf("nf-%d", nameSeq.Add(1))
		}
		h, err := dialHostile(f.addr, hostileToken, "", names...)
		if err != nil {
			codes.add(errLabel(err))
			pause(ctx, 50*time.Millisecond)
			return
		}
		codes.add(fmt.Sprintf("granted %d names", len(h.welcome.Tunnels)))
		h.close()
	})
}

// errLabel names a refused connection or handshake by its code.
func errLabel(err error) string {
	var perr *proto.Error
	if errors.As(err, &perr) {
		return "handshake " + string(perr.Code)
	}
	if s, ok := strings.CutPrefix(err.Error(), "connect: status "); ok {
		return "connect " + s
	}
	return "error"
}

// bigPosts has eight senders post 10 MiB bodies to the flooded (online) tunnel and
// eight to an offline one the attacker's token claimed before.
func bigPosts(ctx context.Context, f *floodRig, codes *codeCount) {
	h, err := dialHostile(f.addr, hostileToken, "", "gone")
	if err != nil {
		f.t.Errorf("hostile client: %v", err)
		return
	}
	h.close()
	body := make([]byte, 10<<20)
	hc := floodClient()
	defer hc.CloseIdleConnections()
	workers(ctx, 16, func(ctx context.Context, i int) {
		name := "faults"
		if i%2 == 1 {
			name = "gone"
		}
		req, _ := http.NewRequest(http.MethodPost, "http://"+f.addr+"/t/"+name+"/big", bytes.NewReader(body))
		post(ctx, hc, req, codes)
	})
}

// adminHost is the team inspector's origin of a --dev server listening on addr.
func adminHost(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return "inspect.localhost:" + port
}

// loginRequest is a login form post with secret to the team inspector at addr.
func loginRequest(addr, secret string) *http.Request {
	form := url.Values{"secret": {secret}}.Encode()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/login", strings.NewReader(form))
	req.Host = adminHost(addr)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://"+req.Host)
	return req
}

// badLogins has eight senders post wrong secrets to the team inspector's login.
func badLogins(ctx context.Context, f *floodRig, codes *codeCount) {
	hc := floodClient()
	defer hc.CloseIdleConnections()
	var seq atomic.Int64
	workers(ctx, 8, func(ctx context.Context, _ int) {
		post(ctx, hc, loginRequest(f.addr, fmt.Sprintf("wrong-secret-%08d", seq.Add(1))), codes)
	})
}

// goodLoginWorks checks that a user at another address still logs in after the flood.
func goodLoginWorks(t *testing.T, f *floodRig) {
	hc := floodClient()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	hc.Transport.(*http.Transport).DialContext = d.DialContext
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(loginRequest(f.addr, token))
	if err != nil {
		t.Fatalf("login after the flood: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
		t.Errorf("login from another address after the flood: %d, cookies %d; want 303 with a session cookie",
			resp.StatusCode, len(resp.Cookies()))
	}
}

// rssOf reads a process's resident set size, failing the test if it cannot.
func rssOf(t *testing.T, pid int) int64 {
	t.Helper()
	n, err := readRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// readRSS reads VmRSS from /proc/PID/status.
func readRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read rss: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("read rss of %d: no VmRSS", pid)
}
