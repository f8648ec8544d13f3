package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
)

// balancerIP is the address the test's balancer connects from: trusted, unlike
// 127.0.0.1, where the tunnel client and the API calls come from.
const balancerIP = "127.0.0.2"

// viaBalancer sends one POST to path on addr as a balancer would: from balancerIP, with
// a PROXY v1 header naming src first (none when src is ""). It returns the status, or 0
// when the relay closed the connection without an answer.
func viaBalancer(t *testing.T, addr, src, path string) int {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(balancerIP)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(startTimeout))
	if src != "" {
		fmt.Fprintf(c, "PROXY TCP4 %s 10.0.0.5 40000 443\r\n", src)
	}
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: relay\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi", path)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestProxyProtocolSources: behind a balancer that sends PROXY headers, each sender is
// its own source: the record shows the header's address, one sender over its rate
// limit leaves another's alone, and a trusted peer's connection without a header is
// closed unanswered, while connections from elsewhere (the tunnel client, the API
// calls) are served as they are.
func TestProxyProtocolSources(t *testing.T) {
	cfgFile := writeFile(t, "relay.yaml", []byte("proxy_protocol_from: [10.9.9.9/32, "+balancerIP+"]\n"))
	r := startRelay(t, "--dev", "--config", cfgFile, "--addr", "127.0.0.1:0", "--token", pgToken, "--source-rate", "1/s")
	relaytest.StartClient(t, r.PublicURL, pgToken, client.Tunnel{Name: "pp", Target: relaytest.Target(t, echoApp(t).URL)})
	addr := strings.TrimPrefix(r.PublicURL, "http://")

	if got := viaBalancer(t, addr, "203.0.113.7", "/t/pp/hook"); got != http.StatusOK {
		t.Fatalf("first delivery through the balancer: %d", got)
	}
	var page api.List
	apiGetWith(t, "http://"+addr+"/api/requests?tunnel=pp&limit=1", &page)
	if len(page.Requests) != 1 {
		t.Fatalf("the API lists %d records, want the delivery", len(page.Requests))
	}
	var rec api.Record
	apiGetWith(t, "http://"+addr+"/api/requests/"+page.Requests[0].ID, &rec)
	if !strings.HasPrefix(rec.RemoteAddr, "203.0.113.7:") {
		t.Fatalf("recorded remote address %q, want the sender the header named", rec.RemoteAddr)
	}

	limited := 0
	for range 6 { // 1/s with a burst of 2: one sender is refused within these
		if viaBalancer(t, addr, "203.0.113.7", "/t/pp/hook") == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("one sender over --source-rate was never refused")
	}
	if got := viaBalancer(t, addr, "198.51.100.9", "/t/pp/hook"); got != http.StatusOK {
		t.Errorf("another sender behind the same balancer: %d, want 200 (its own budget)", got)
	}
	if got := viaBalancer(t, addr, "", "/t/pp/hook"); got != 0 {
		t.Errorf("a trusted peer without a header got %d, want the connection closed", got)
	}
}

// apiGetWith reads a JSON answer of the API with pgToken into v.
func apiGetWith(t *testing.T, url string, v any) {
	t.Helper()
	status, body := apiCall(t, http.MethodGet, url, pgToken)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatal(err)
	}
}

// TestParseProxyFrom: addresses and prefixes, alone or comma-separated; anything else
// is refused naming it.
func TestParseProxyFrom(t *testing.T) {
	got, err := parseProxyFrom([]string{"10.0.0.0/8, 192.168.1.7", "2001:db8::/32", "10.1.2.3/8"})
	if err != nil || fmt.Sprint(got) != "[10.0.0.0/8 192.168.1.7/32 2001:db8::/32 10.0.0.0/8]" {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "balancer.internal", "fe80::1%eth0", "*"} {
		if _, err := parseProxyFrom([]string{bad}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v, want an error naming it", bad, err)
		}
	}
}

// TestProxyProtocolBeforeTLS: on the HTTPS listener the balancer's header (here
// version 2) comes before the TLS handshake, and the delivery is recorded with the
// address it names.
func TestProxyProtocolBeforeTLS(t *testing.T) {
	cfgFile := writeFile(t, "relay.yaml", []byte("tokens:\n"+
		"  - token: "+server.HashToken(selfSignedToken)+"\n    names: [later]\n"+
		"tunnels:\n  later: {offline: queue}\n"+
		"proxy_protocol_from: ["+balancerIP+"]\n"))
	r := startRelay(t, "--config", cfgFile, "--self-signed", "--domain", "localhost", "--addr", "127.0.0.1:0",
		"--http-addr", "off")
	header := append([]byte("\r\n\r\n\x00\r\nQUIT\n"), 0x21, 0x11, 0, 12, 192, 0, 2, 44, 127, 0, 0, 1, 0x1f, 0x90, 0x01, 0xbb)
	balancer := httpsClient(poolFromFile(t, r.CACertFile), r.Addr)
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(balancerIP)}}
	balancer.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, r.Addr)
		if err == nil {
			_, err = c.Write(header)
		}
		return c, err
	}
	resp, body := do(t, balancer, http.MethodPost, r.PublicURL+"/t/later/x", "{}")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delivery through the balancer: %s %s", resp.Status, body)
	}
	direct := httpsClient(poolFromFile(t, r.CACertFile), r.Addr)
	req, _ := http.NewRequest(http.MethodGet, r.PublicURL+"/api/requests?tunnel=later&limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+selfSignedToken)
	var page api.List
	getJSON(t, direct, req, &page)
	if len(page.Requests) != 1 {
		t.Fatalf("the API lists %d records, want the delivery", len(page.Requests))
	}
	req, _ = http.NewRequest(http.MethodGet, r.PublicURL+"/api/requests/"+page.Requests[0].ID, nil)
	req.Header.Set("Authorization", "Bearer "+selfSignedToken)
	var rec api.Record
	getJSON(t, direct, req, &rec)
	if rec.RemoteAddr != "192.0.2.44:8080" {
		t.Fatalf("recorded remote address %q, want the header's 192.0.2.44:8080", rec.RemoteAddr)
	}
}

// getJSON sends req with c and decodes a 200 answer into v.
func getJSON(t *testing.T, c *http.Client, req *http.Request, v any) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", req.URL, resp.Status, err)
	}
}
