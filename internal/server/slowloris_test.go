package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

// stall opens n connections that each send a request head for tunnel name announcing a
// 1,000-byte body, and never send the body.
func stall(tb testing.TB, addr, name string, n int) []net.Conn {
	tb.Helper()
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			tb.Fatalf("dial: %v", err)
		}
		tb.Cleanup(func() { c.Close() })
		head := fmt.Sprintf("POST /t/%s/hook HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\n", name, addr)
		if _, err := c.Write([]byte(head)); err != nil {
			tb.Fatalf("write head: %v", err)
		}
		conns = append(conns, c)
	}
	return conns
}

// deliverAll posts n small webhooks to url at once and counts those the app answered.
func deliverAll(url string, n int) (answered int, codes map[string]int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	codes = make(map[string]int)
	cl := &http.Client{Timeout: 2 * time.Minute}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := cl.Post(url, "application/json", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				codes[err.Error()]++
				return
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && resp.Header.Get(proto.HeaderError) == "" {
				answered++
				return
			}
			codes[fmt.Sprintf("%d %s", resp.StatusCode, codeOf(resp))]++
		}()
	}
	wg.Wait()
	return answered, codes
}

// A flood of senders that send a head and never the body holds no tunnel slot: real
// webhooks to the same tunnel and to another one are answered by the app meanwhile, and
// the stalled senders get 408 body_timeout once the body deadline passes.
func TestSlowBodyFloodLeavesTunnelsWorking(t *testing.T) {
	const flood, normal = 300, 60
	srv := relaytest.StartServer(t, "", func(c *server.Config) {
		c.BodyTimeout = 20 * time.Second // long enough to outlast the normal deliveries
	})
	be := backend(t)
	relaytest.StartClient(t, srv.URL, relaytest.Token,
		client.Tunnel{Name: "victim", Target: relaytest.Target(t, be.URL)},
		client.Tunnel{Name: "bystander", Target: relaytest.Target(t, be.URL)})
	conns := stall(t, srv.Addr, "victim", flood)
	time.Sleep(200 * time.Millisecond) // let the server read every stalled head
	for _, name := range []string{"victim", "bystander"} {
		answered, codes := deliverAll(srv.URL+"/t/"+name+"/hook", normal)
		if answered*100 < normal*95 {
			t.Errorf("tunnel %s during the flood: %d of %d answered by the app; others: %v", name, answered, normal, codes)
		}
	}
	timedOut, deadline := 0, time.Now().Add(90*time.Second)
	for _, c := range conns {
		_ = c.SetReadDeadline(deadline)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil && resp.StatusCode == http.StatusRequestTimeout && codeOf(resp) == proto.CodeBodyTimeout {
			timedOut++
		}
	}
	if timedOut != flood {
		t.Errorf("%d of %d stalled senders got 408 body_timeout", timedOut, flood)
	}
}

// A sender that trickles its body below the minimum rate is cut off too, and one that
// keeps up is not, however long its body takes in all.
func TestBodyMinimumRate(t *testing.T) {
	srv := relaytest.StartServer(t, "", func(c *server.Config) {
		c.BodyTimeout = time.Second
		c.BodyMinRate = 1000 // bytes a second
	})
	be := backend(t)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "myapp", Target: relaytest.Target(t, be.URL)})
	for _, tc := range []struct {
		name  string
		every time.Duration // one 200-byte chunk per interval
		want  int
	}{
		{"keeps up", 50 * time.Millisecond, http.StatusOK},               // 4,000 B/s
		{"too slow", 1500 * time.Millisecond, http.StatusRequestTimeout}, // 133 B/s
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fmt.Fprintf(c, "POST /t/myapp/ HTTP/1.1\r\nHost: %s\r\nContent-Length: 4000\r\n\r\n", srv.Addr)
			go func() {
				for range 20 {
					if _, err := c.Write([]byte(strings.Repeat("x", 200))); err != nil {
						return
					}
					time.Sleep(tc.every)
				}
			}()
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Minute))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("read response: %v", err)
			}
			if resp.StatusCode != tc.want {
				t.Errorf("status %d (%s), want %d", resp.StatusCode, codeOf(resp), tc.want)
			}
		})
	}
}

// A large body that stalls half-way, already streaming to the app, gets 408 too.
func TestStreamedBodyStalls(t *testing.T) {
	srv := relaytest.StartServer(t, "", func(c *server.Config) { c.BodyTimeout, c.BodyMinRate = time.Second, 1<<20 })
	be := backend(t)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "myapp", Target: relaytest.Target(t, be.URL)})
	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /t/myapp/ HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000000\r\n\r\n%s", srv.Addr, strings.Repeat("x", 100<<10))
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	if resp.StatusCode != http.StatusRequestTimeout || codeOf(resp) != proto.CodeBodyTimeout {
		b, _ := io.ReadAll(resp.Body)
		t.Errorf("status %d %s, want 408 body_timeout; body %s", resp.StatusCode, codeOf(resp), b)
	}
}
