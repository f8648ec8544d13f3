package main

import (
	"crypto/tls"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/proto"
)

const selfSignedToken = "hr_self_signed_test_token"

// TestSelfSignedEndToEnd runs relay-server with --self-signed and every listener on
// 127.0.0.1:0, and talks to it like a sender, a client, a browser on port 80 and a
// Prometheus server would.
func TestSelfSignedEndToEnd(t *testing.T) {
	cfgFile := writeFile(t, "relay.yaml", []byte("tokens:\n"+
		"  - token: "+server.HashToken(selfSignedToken)+"\n    names: [hooks, later]\n"+
		"tunnels:\n  later: {offline: queue}\n"))
	r := startRelay(t, "--config", cfgFile, "--self-signed", "--domain", "localhost",
		"--addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0")
	port := portOf(t, r.Addr)
	if want := "https://localhost:" + port; r.PublicURL != want {
		t.Fatalf("public URL %q, want %q", r.PublicURL, want)
	}
	if !strings.Contains(r.out.String(), r.CACertFile) {
		t.Errorf("banner does not say where the CA is:\n%s", r.out)
	}
	c := httpsClient(poolFromFile(t, r.CACertFile), r.Addr)

	t.Run("healthz over https", func(t *testing.T) {
		resp, body := do(t, c, http.MethodGet, r.PublicURL+"/healthz", "")
		if resp.StatusCode != http.StatusOK || body != "ok\n" || resp.ProtoMajor != 1 {
			t.Errorf("got %s %s %q", resp.Proto, resp.Status, body)
		}
	})
	t.Run("alpn offers http/1.1 only", func(t *testing.T) {
		assertALPN(t, r, "http/1.1")
	})
	t.Run("websocket connect over tls", func(t *testing.T) {
		assertUpgrade(t, r, selfSignedToken)
	})
	t.Run("reserved names before first connect", func(t *testing.T) {
		resp, body := do(t, c, http.MethodPost, "https://hooks.localhost:"+port+"/stripe", "{}")
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, string(proto.CodeTunnelOffline)) {
			t.Errorf("hooks: %s %s", resp.Status, body)
		}
		resp, body = do(t, c, http.MethodPost, r.PublicURL+"/t/later/x", "{}")
		if resp.StatusCode != http.StatusAccepted || !strings.Contains(body, `"queued":true`) {
			t.Errorf("later: %s %s", resp.Status, body)
		}
	})
	t.Run("http redirects to https", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+r.HTTPAddr+"/t/hooks/x?y=1", nil)
		req.Host = "hooks.localhost"
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := "https://hooks.localhost:" + port + "/t/hooks/x?y=1"
		if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
			t.Errorf("got %s Location %q, want 308 %q", resp.Status, resp.Header.Get("Location"), want)
		}
	})
	t.Run("admin", func(t *testing.T) {
		assertAdmin(t, r.AdminAddr, []string{
			`hookrelay_requests_total{code="tunnel_offline",status="503",tunnel="hooks"} 1`,
			"hookrelay_queue_depth 1",
			"hookrelay_connected_clients 0",
			"hookrelay_online_tunnels 0",
			`hookrelay_cert_expiry_timestamp_seconds{host="localhost"} `,
			`hookrelay_cert_expiry_timestamp_seconds{host="hooks.localhost"} `,
			"hookrelay_request_duration_seconds_bucket",
			"go_goroutines ",
		})
	})
}

// assertALPN checks which protocol the public listener picks when a client offers h2.
func assertALPN(t *testing.T, r *relayRun, want string) {
	t.Helper()
	conf := &tls.Config{ServerName: "localhost", RootCAs: poolFromFile(t, r.CACertFile),
		NextProtos: []string{"h2", "http/1.1"}}
	conn, err := tls.Dial("tcp", r.Addr, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if got := conn.ConnectionState().NegotiatedProtocol; got != want {
		t.Errorf("negotiated %q, want %q", got, want)
	}
}

// assertUpgrade opens the tunnel websocket over TLS the way relay-client does.
func assertUpgrade(t *testing.T, r *relayRun, token string) {
	t.Helper()
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: poolFromFile(t, r.CACertFile)},
		HandshakeTimeout: startTimeout}
	h := http.Header{"Authorization": {"Bearer " + token}, proto.HeaderVersion: {strconv.Itoa(proto.Version)}}
	u := "wss://localhost:" + portOf(t, r.Addr) + proto.ConnectPath
	ws, resp, err := d.Dial(u, h)
	if err != nil {
		t.Fatalf("dial %s: %v (response %v)", u, err, resp)
	}
	defer ws.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("status %s", resp.Status)
	}
}

// assertAdmin checks /healthz, /readyz and that /metrics contains every line prefix in
// want.
func assertAdmin(t *testing.T, addr string, want []string) {
	t.Helper()
	c := &http.Client{Timeout: startTimeout}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, body := do(t, c, http.MethodGet, "http://"+addr+path, "")
		if resp.StatusCode != http.StatusOK || body != "ok\n" {
			t.Errorf("%s: %s %q", path, resp.Status, body)
		}
	}
	resp, body := do(t, c, http.MethodGet, "http://"+addr+"/metrics", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
}
