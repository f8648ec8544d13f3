package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/proto"
)

// overload runs TestOverloadSheds for this long; 0 skips it (it is a measurement).
var overload = flag.Duration("overload", 0, "run the overload measurement for this long (e.g. 30s)")

// overloadToken is the relay process's token.
const overloadToken = "hr_overload_5f0c2a9d1e7b"

// A mixed-body overload (1 KiB to 4 MiB, more senders than the relay carries) against a
// relay-server process with default limits: the relay sheds with a code instead of
// queueing, answered requests stay fast (p99 under 2 s) and the process's memory comes
// back after the load (RSS 60 s later under 300 MiB). Run with -overload=30s.
func TestOverloadSheds(t *testing.T) {
	if *overload == 0 {
		t.Skip("a long measurement: run with -overload=30s")
	}
	url, pid := startRelayProcess(t)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%d", n)
	}))
	t.Cleanup(app.Close)
	relaytest.StartClient(t, url, overloadToken, client.Tunnel{Name: "load", Target: relaytest.Target(t, app.URL)})
	res := loadMixed(url+"/t/load/", pid, 128, *overload)
	p99 := res.percentile(0.99)
	t.Logf("requests %d: answered %d, p50 %v, p99 %v; shed %v; peak RSS %d MiB",
		res.total(), len(res.answered), res.percentile(0.5), p99, res.codes, slices.Max(append(res.rss, 0))>>20)
	time.Sleep(60 * time.Second)
	rss := rssOf(t, pid)
	t.Logf("RSS 60 s after the load: %d MiB", rss>>20)
	if len(res.answered) == 0 || p99 > 2*time.Second {
		t.Errorf("answered %d, p99 %v; want answers with p99 under 2 s", len(res.answered), p99)
	}
	if rss > 300<<20 {
		t.Errorf("RSS 60 s after the load is %d MiB, want under 300", rss>>20)
	}
	for code := range res.codes {
		if !strings.Contains(code, string(proto.CodeOverloaded)) && !strings.Contains(code, string(proto.CodeTunnelBusy)) &&
			!strings.Contains(code, string(proto.CodeRateLimited)) {
			t.Errorf("unexpected answer %q", code)
		}
	}
}

// startRelayProcess builds relay-server and runs it in dev mode on a free port.
func startRelayProcess(t *testing.T) (url string, pid int) {
	bin := filepath.Join(t.TempDir(), "relay-server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--dev", "--addr", addr, "--data", t.TempDir(), "--token", overloadToken)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url = "http://" + addr
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			return url, cmd.Process.Pid
		}
		if time.Now().After(deadline) {
			t.Fatal("relay-server did not start")
		}
	}
}

// loadResult is what a load run saw.
type loadResult struct {
	mu       sync.Mutex
	answered []time.Duration // latencies of requests the app answered
	codes    map[string]int  // every other answer, by status and code
	rss      []int64
}

func (r *loadResult) total() int {
	n := len(r.answered)
	for _, c := range r.codes {
		n += c
	}
	return n
}

func (r *loadResult) percentile(p float64) time.Duration {
	if len(r.answered) == 0 {
		return 0
	}
	s := slices.Clone(r.answered)
	slices.Sort(s)
	return s[int(math.Ceil(p*float64(len(s))))-1]
}

// loadMixed runs senders in closed loops for d, each posting bodies of 1 KiB to 4 MiB
// (log-uniform), and samples the relay's RSS meanwhile.
func loadMixed(url string, pid, senders int, d time.Duration) *loadResult {
	res := &loadResult{codes: make(map[string]int)}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	go func() {
		for ; ctx.Err() == nil; time.Sleep(500 * time.Millisecond) {
			if n, err := readRSS(pid); err == nil {
				res.mu.Lock()
				res.rss = append(res.rss, n)
				res.mu.Unlock()
			}
		}
	}()
	body := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16)
	cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}, Timeout: time.Minute}
	var wg sync.WaitGroup
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for ctx.Err() == nil {
				n := int(math.Exp(math.Log(1<<10) + rng.Float64()*math.Log(4096)))
				res.send(cl, url, body[:n])
			}
		}()
	}
	wg.Wait()
	return res
}

func (r *loadResult) send(cl *http.Client, url string, body []byte) {
	start := time.Now()
	resp, err := cl.Post(url, "application/octet-stream", bytes.NewReader(body))
	took := time.Since(start)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.codes["error"]++
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK && resp.Header.Get(proto.HeaderError) == "" {
		r.answered = append(r.answered, took)
		return
	}
	r.codes[fmt.Sprintf("%d %s", resp.StatusCode, resp.Header.Get(proto.HeaderError))]++
}

// rssOf reads a process's resident set size.
func rssOf(t *testing.T, pid int) int64 {
	n, err := readRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// readRSS reads VmRSS from /proc.
func readRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("read rss of %d: no VmRSS", pid)
}

// Floods of stalled bodies and of 10 MiB posts against a relay-server process leave
// normal deliveries to the flooded tunnel and to another one answered (>= 95%), and the
// relay's RSS grows by less than 64 MiB during each. Run with -overload=30s.
func TestFloodsKeepTunnelsWorking(t *testing.T) {
	if *overload == 0 {
		t.Skip("a long measurement: run with -overload=30s")
	}
	url, pid := startRelayProcess(t)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(app.Close)
	relaytest.StartClient(t, url, overloadToken,
		client.Tunnel{Name: "victim", Target: relaytest.Target(t, app.URL)},
		client.Tunnel{Name: "bystander", Target: relaytest.Target(t, app.URL)})
	addr := strings.TrimPrefix(url, "http://")
	floods := []struct {
		name string
		run  func(context.Context)
	}{
		{"1,000 stalled bodies", func(ctx context.Context) { stallFlood(ctx, addr, 1000) }},
		{"16 senders of 10 MiB posts", func(ctx context.Context) { bigPosts(ctx, url+"/t/victim/big", 16) }},
	}
	for _, f := range floods {
		t.Run(f.name, func(t *testing.T) { checkFlood(t, url, pid, f.run) })
	}
}

// checkFlood runs flood while 200 normal deliveries go to each tunnel.
func checkFlood(t *testing.T, url string, pid int, flood func(context.Context)) {
	before := rssOf(t, pid)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); flood(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(*overload / 10)
	peak := before
	for _, name := range []string{"victim", "bystander"} {
		res := &loadResult{codes: make(map[string]int)}
		cl := &http.Client{Timeout: time.Minute}
		for range 200 {
			res.send(cl, url+"/t/"+name+"/hook", []byte(`{"event":"normal"}`))
			peak = max(peak, rssOf(t, pid))
		}
		t.Logf("tunnel %s: %d of 200 answered, p99 %v, others %v", name, len(res.answered), res.percentile(0.99), res.codes)
		if len(res.answered) < 190 {
			t.Errorf("tunnel %s: %d of 200 answered, want >= 95%%", name, len(res.answered))
		}
	}
	t.Logf("RSS before %d MiB, peak %d MiB (growth %d MiB)", before>>20, peak>>20, (peak-before)>>20)
	if peak-before > 64<<20 {
		t.Errorf("RSS grew by %d MiB, want under 64", (peak-before)>>20)
	}
}

// stallFlood keeps n connections that send a head announcing a body and never send it.
func stallFlood(ctx context.Context, addr string, n int) {
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for ctx.Err() == nil {
		for len(conns) < n && ctx.Err() == nil {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				break
			}
			fmt.Fprintf(c, "POST /t/victim/slow HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\n", addr)
			conns = append(conns, c)
		}
		time.Sleep(time.Second)
		conns = slices.DeleteFunc(conns, func(c net.Conn) bool { // drop the ones timed out
			_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
			var b [1]byte
			if _, err := c.Read(b[:]); err == nil || !isTimeout(err) {
				c.Close()
				return true
			}
			return false
		})
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// bigPosts keeps senders posting 10 MiB bodies to url.
func bigPosts(ctx context.Context, url string, senders int) {
	body := make([]byte, 10<<20)
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
				if resp, err := http.DefaultClient.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
}
