package inspect_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/inspect"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/store"
)

// chromiumPath is Debian's chromium; the test never downloads a browser.
const chromiumPath = "/usr/bin/chromium"

// needBrowser skips the test when node, chromium or playwright-core is missing, except in
// CI (CI=true), where that is a failure.
func needBrowser(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node (apt-get install nodejs npm)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, chromiumPath+" (apt-get install chromium)")
	}
	if _, err := os.Stat("browser/node_modules/playwright-core/package.json"); err != nil {
		missing = append(missing, "playwright-core (cd internal/inspect/browser && npm ci)")
	}
	if len(missing) == 0 {
		return
	}
	msg := "browser test needs " + strings.Join(missing, ", ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// app is the local app behind the tunnel; it keeps every request body it got.
type app struct {
	mu     sync.Mutex
	bodies []string
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.bodies = append(a.bodies, r.Method+" "+r.URL.RequestURI()+" "+string(b))
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasPrefix(r.URL.Path, "/fail"):
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"error":"database is locked"}`)
	case strings.HasPrefix(r.URL.Path, "/missing"):
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"no such order"}`)
	default:
		io.WriteString(w, `{"received":true}`)
	}
}

func (a *app) got() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.bodies...)
}

// TestInspectorInBrowser runs a relay server with a store, a tunnel client, its local
// inspector over the real API, and drives the inspector in chromium.
func TestInspectorInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	needBrowser(t)
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	local := &app{}
	be := httptest.NewServer(local)
	t.Cleanup(be.Close)
	cl := relaytest.RunClientWith(t, srv.URL, relaytest.Token, labelled("alice"),
		client.Tunnel{Name: "hook", Target: relaytest.Target(t, be.URL)},
		client.Tunnel{Name: "github", Target: relaytest.Target(t, be.URL), Verify: []string{"github:" + githubSecret}})
	cl.WaitOnline(t)
	mirrors(t, srv.URL, "bob", "carol")
	tunnelURL := srv.URL + "/t/hook/"
	seed(t, tunnelURL)
	seedSigned(t, srv.URL+"/t/github/")
	attempts := waitTries(t, srv.URL, "/orders/created", 3)
	inspectorURL := serveInspector(t, srv.URL, cl)

	out := os.Getenv("HOOKRELAY_SCREENSHOT_DIR")
	if out == "" {
		out = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("browser", "inspector.test.mjs"), inspectorURL, tunnelURL, out, attempts)
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromiumPath)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	err := cmd.Run()
	t.Logf("browser script:\n%s", log.String())
	if err != nil {
		t.Fatalf("browser script: %v", err)
	}
	checkReplayArrived(t, local.got())
	for _, name := range []string{"list.png", "detail.png", "detail-attempts.png", "list-phone.png"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
}

// labelled sets a client's id and label to name.
func labelled(name string) func(*client.Config) {
	return func(c *client.Config) { c.ClientID, c.Label = name+"-laptop", name }
}

// mirrors attaches a client of each name to tunnel "hook", each with a local app of its
// own, and waits until the relay lists them all.
func mirrors(t *testing.T, serverURL string, names ...string) {
	t.Helper()
	for _, name := range names {
		be := httptest.NewServer(&app{})
		t.Cleanup(be.Close)
		relaytest.RunClientWith(t, serverURL, relaytest.Token, labelled(name),
			client.Tunnel{Name: "hook", Target: relaytest.Target(t, be.URL)}).WaitOnline(t)
	}
	c := apiOf(serverURL)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if tun, err := c.Tunnel(context.Background(), "hook"); err == nil && len(tun.Clients) == len(names)+1 {
			return
		}
	}
	t.Fatalf("tunnel hook never had %d clients", len(names)+1)
}

// waitTries waits until the record of the delivery to path on tunnel "hook" has n
// attempts, and returns its id.
func waitTries(t *testing.T, serverURL, path string, n int) string {
	t.Helper()
	c := apiOf(serverURL)
	ctx := context.Background()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		list, err := c.List(ctx, store.Filter{Tunnel: "hook", Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list.Requests {
			if s.Path != path {
				continue
			}
			if rec, err := c.Get(ctx, s.ID); err == nil && len(rec.Tries) >= n {
				return s.ID
			}
		}
	}
	t.Fatalf("no record of %s with %d attempts", path, n)
	return ""
}

func apiOf(serverURL string) *api.Client {
	base, _ := url.Parse(serverURL)
	return &api.Client{Base: base, Token: relaytest.Token}
}

// serveInspector serves the local inspector, reading the server's API with the client's
// token, on a loopback port.
func serveInspector(t *testing.T, serverURL string, cl *relaytest.Client) string {
	t.Helper()
	base, _ := url.Parse(serverURL)
	h, err := inspect.New(inspect.Config{Source: &api.Client{Base: base, Token: relaytest.Token},
		State: func() string { return string(cl.State()) }, Names: cl.Names, Logger: relaytest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// seed sends a few varied deliveries so the list (and the screenshot) has some history.
func seed(t *testing.T, tunnelURL string) {
	t.Helper()
	for _, d := range []struct{ method, path, ctype, body string }{
		{"POST", "orders/created", "application/json", `{"order":1042,"total":"49.90","currency":"EUR"}`},
		{"POST", "forms/signup", "application/x-www-form-urlencoded", "email=ada%40example.com&plan=team"},
		{"GET", "health?deep=1", "", ""},
		{"POST", "fail/payment", "application/json", `{"invoice":"in_77","amount":1200}`},
		{"PUT", "missing/order/9", "application/json", `{"status":"shipped"}`},
	} {
		req, _ := http.NewRequest(d.method, tunnelURL+d.path, strings.NewReader(d.body))
		if d.ctype != "" {
			req.Header.Set("Content-Type", d.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
}

// githubSecret signs the deliveries of the "github" tunnel, which the relay verifies.
const githubSecret = "browser-test-secret"

// seedSigned sends GitHub-style deliveries: valid, a duplicate of it, and a forged one.
func seedSigned(t *testing.T, tunnelURL string) {
	t.Helper()
	body := `{"action":"opened","number":7,"repository":{"full_name":"acme/shop"}}`
	mac := hmac.New(sha256.New, []byte(githubSecret))
	mac.Write([]byte(body))
	good := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	for _, sig := range []string{good, good, "sha256=" + strings.Repeat("0", 64)} {
		req, _ := http.NewRequest("POST", tunnelURL+"webhooks/github", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "pull_request")
		req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
		req.Header.Set("X-Hub-Signature-256", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
}

func checkReplayArrived(t *testing.T, got []string) {
	t.Helper()
	var hello []string
	for _, g := range got {
		if strings.Contains(g, "/browser/hello") {
			hello = append(hello, g)
		}
	}
	want := []string{
		`POST /browser/hello?from=playwright {"greeting":"hello from the browser test","n":1}`,
		`POST /browser/hello?from=playwright {"greeting":"edited in the browser"}`,
	}
	if strings.Join(hello, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the app got:\n%s\nwant:\n%s", strings.Join(hello, "\n"), strings.Join(want, "\n"))
	}
}

// TestTunnelPageCannotReachTeamInspector: a page that token B's tunnel serves, in the
// path form on the relay's public origin and in the host form, runs in the browser of
// token A's user, logged in to the team inspector. Its script can read neither A's
// delivery list nor the CSRF token, and its blind replay does not reach A's app.
func TestTunnelPageCannotReachTeamInspector(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	needBrowser(t)
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	victim := &app{}
	be := httptest.NewServer(victim)
	t.Cleanup(be.Close)
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!doctype html><title>hostile</title><p>hostile page</p>")
	}))
	t.Cleanup(hostile.Close)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Target: relaytest.Target(t, be.URL)})
	relaytest.StartClient(t, srv.URL, relaytest.OtherToken, client.Tunnel{Name: "evil", Target: relaytest.Target(t, hostile.URL)})

	const secretPath = "/secret/order-4242"
	resp, err := http.Post(srv.URL+"/t/hook"+secretPath, "application/json", strings.NewReader(`{"card":"4242"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	base, _ := url.Parse(srv.URL)
	list, err := (&api.Client{Base: base, Token: relaytest.Token}).List(context.Background(), store.Filter{Limit: 1})
	if err != nil || len(list.Requests) != 1 {
		t.Fatalf("list: %v", err)
	}
	id := list.Requests[0].ID
	_, port, _ := net.SplitHostPort(srv.Addr)
	adminURL := srv.Server.AdminURL()
	if id == "" || adminURL != "http://inspect.localhost:"+port+"/" {
		t.Fatalf("request id %q, admin URL %q", id, adminURL)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("browser", "isolation.test.mjs"), adminURL, relaytest.Token, id,
		secretPath, srv.URL+"/t/evil/", "http://evil.localhost:"+port+"/")
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromiumPath)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	err = cmd.Run()
	t.Logf("browser script:\n%s", log.String())
	if err != nil {
		t.Fatalf("browser script: %v", err)
	}
	if got := victim.got(); len(got) != 1 {
		t.Fatalf("the victim's app got %d requests, want only the original:\n%s", len(got), strings.Join(got, "\n"))
	}
}
