package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/inspect"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store/sqlite"
	"github.com/hookrelay/hookrelay/proto"
)

// inspectBrowser is a cookie-keeping client that does not follow redirects. It reaches
// srv under any host name, as a browser resolves *.localhost to loopback.
func inspectBrowser(tb testing.TB, srv *relaytest.Server) *http.Client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return new(net.Dialer).DialContext(ctx, network, srv.Addr)
	}}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Jar: jar, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// adminOrigin is the team inspector's origin on srv: the default admin host, inspect.localhost.
func adminOrigin(srv *relaytest.Server) string {
	_, port, _ := net.SplitHostPort(srv.Addr)
	return "http://inspect.localhost:" + port
}

func inspectPost(tb testing.TB, c *http.Client, origin, u string, form url.Values) *http.Response {
	tb.Helper()
	req := mustRequest(tb, "POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func inspectGet(tb testing.TB, c *http.Client, u string) (int, string) {
	tb.Helper()
	resp, err := c.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestInspectorPerToken logs in to the admin origin with each token: one sees its delivery and
// can replay it through the tunnel, the other sees nothing of it.
func TestInspectorPerToken(t *testing.T) {
	srv, _, rec, _, _ := recordSetup(t, nil, "")
	post(t, srv.URL+"/t/hook/inspected", `{"n":1}`)
	rec.wait(t, 1)
	origin := adminOrigin(srv)
	base := origin + "/"

	other := inspectBrowser(t, srv)
	if resp := inspectPost(t, other, origin, base+"login", url.Values{"secret": {relaytest.OtherToken}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with the other token: %d", resp.StatusCode)
	}
	if _, page := inspectGet(t, other, base); strings.Contains(page, "/inspected") {
		t.Fatal("the other token sees the delivery")
	}

	mine := inspectBrowser(t, srv)
	if resp := inspectPost(t, mine, origin, base+"login", url.Values{"secret": {"wrong"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("login with a wrong token: %d", resp.StatusCode)
	}
	inspectPost(t, mine, origin, base+"login", url.Values{"secret": {relaytest.Token}})
	status, page := inspectGet(t, mine, base)
	if status != 200 || !strings.Contains(page, "/inspected") {
		t.Fatalf("list: status %d, delivery missing:\n%s", status, page)
	}
	detail := inspectBetween(page, `<a href="/r/`, `"`)
	if status, other := inspectGet(t, other, base+"r/"+detail); status != http.StatusNotFound {
		t.Fatalf("the other token opens the record: %d %s", status, other)
	}
	status, page = inspectGet(t, mine, base+"r/"+detail)
	csrf := inspectBetween(page, `name="csrf" value="`, `"`)
	if status != 200 || csrf == "" {
		t.Fatalf("detail: status %d, csrf %q", status, csrf)
	}
	form := url.Values{"csrf": {csrf}, "edit": {"1"}, "method": {"POST"}, "target": {"/inspected?edited=1"},
		"headers": {"Content-Type: application/json"}, "replace_body": {"1"}, "body": {`{"n":2}`}}
	resp := inspectPost(t, mine, origin, base+"r/"+detail+"/replay", form)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/r/") {
		t.Fatalf("replay: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	rec.wait(t, 1)
	if got := rec.all()[1]; got.URI != "/inspected?edited=1" || string(got.Body) != `{"n":2}` {
		t.Fatalf("backend got %s %q, want the edited replay", got.URI, got.Body)
	}
}

func TestInspectorRefusesForeignReplay(t *testing.T) {
	srv, _, rec, _, _ := recordSetup(t, nil, "")
	post(t, srv.URL+"/t/hook/x", `{}`)
	rec.wait(t, 1)
	origin := adminOrigin(srv)
	base := origin + "/"
	c := inspectBrowser(t, srv)
	inspectPost(t, c, origin, base+"login", url.Values{"secret": {relaytest.Token}})
	_, page := inspectGet(t, c, base)
	id := inspectBetween(page, `<a href="/r/`, `"`)
	csrf := inspectBetween(page, `name="csrf" value="`, `"`)
	resp := inspectPost(t, c, "https://evil.example", base+"r/"+id+"/replay", url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusForbidden || len(rec.all()) != 1 {
		t.Fatalf("cross-site replay: status %d, backend got %d requests", resp.StatusCode, len(rec.all()))
	}
}

func inspectBetween(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return v
}

// TestInspectorCookieSecureBehindTLSProxy: with an https public URL the session cookie is
// Secure even though this server sees plain HTTP (a proxy in front terminates TLS).
func TestInspectorCookieSecureBehindTLSProxy(t *testing.T) {
	for _, public := range []string{"https://relay.example", ""} {
		srv := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, nil), func(c *server.Config) {
			if public != "" {
				c.PublicURL = public
			}
		}))
		resp := inspectPost(t, inspectBrowser(t, srv), adminOrigin(srv), adminOrigin(srv)+"/login", url.Values{"secret": {relaytest.Token}})
		cookies := resp.Cookies()
		if len(cookies) == 0 {
			t.Fatalf("public %q: login set no cookie (status %d)", public, resp.StatusCode)
		}
		if want := public != ""; cookies[0].Secure != want || strings.HasPrefix(cookies[0].Name, "__Host-") != want {
			t.Errorf("public %q: cookie %s Secure = %v, want %v (and the __Host- prefix)", public, cookies[0].Name, cookies[0].Secure, want)
		}
	}
}

// TestInspectorOnlyOnAdminOrigin: the public origin, which path-form tunnels share,
// never serves an inspector page or sets its cookie (only a redirect to the admin
// origin), and the admin origin never serves a tunnel.
func TestInspectorOnlyOnAdminOrigin(t *testing.T) {
	srv, _, rec, _, _ := recordSetup(t, nil, "")
	c := inspectBrowser(t, srv)
	for _, path := range []string{"/inspect/", "/inspect/login", "/inspect/r/x"} {
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != adminOrigin(srv)+"/" ||
			len(resp.Cookies()) != 0 || strings.Contains(string(body), "csrf") {
			t.Errorf("GET %s on the public origin: %d, Location %q, cookies %v", path, resp.StatusCode,
				resp.Header.Get("Location"), resp.Cookies())
		}
	}
	resp := inspectPost(t, c, srv.URL, srv.URL+"/inspect/login", url.Values{"secret": {relaytest.Token}})
	if resp.StatusCode != http.StatusNotFound || len(resp.Cookies()) != 0 {
		t.Errorf("login on the public origin: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	if status, _ := inspectGet(t, c, adminOrigin(srv)+"/t/hook/x"); status == http.StatusOK || len(rec.all()) != 0 {
		t.Errorf("the admin origin forwarded to a tunnel: %d, backend got %d", status, len(rec.all()))
	}
}

// TestAdminHostLabelNotATunnel: a custom admin host under the domain takes its first
// label out of the tunnel names.
func TestAdminHostLabelNotATunnel(t *testing.T) {
	srv := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, nil), func(c *server.Config) {
		c.AdminHost = "team.localhost"
	}))
	cl := relaytest.RunClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "team", Target: relaytest.Target(t, "http://127.0.0.1:1")})
	<-cl.Done()
	var perr *proto.Error
	if !errors.As(cl.Err(), &perr) || perr.Code != proto.CodeBadName {
		t.Fatalf("claiming the admin host's label: %v, want bad_name", cl.Err())
	}
}

// TestInspectorSharedSessions: two servers given one session store (as behind one load
// balancer) share inspector logins: a browser logged in through one is logged in on the
// other, and logging out on the other ends it on both.
func TestInspectorSharedSessions(t *testing.T) {
	sessions := inspect.NewMemorySessions(nil)
	share := func(c *server.Config) { c.InspectSessions = sessions }
	var dbA, dbB *sqlite.DB
	a := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, &dbA), share))
	b := relaytest.StartServer(t, "", relaytest.Chain(relaytest.WithStore(t, &dbB), share))
	onA := inspectBrowser(t, a)
	onB := inspectBrowser(t, b)
	onB.Jar = onA.Jar // one browser; both servers answer the admin host name
	if resp := inspectPost(t, onA, adminOrigin(a), adminOrigin(a)+"/login", url.Values{"secret": {relaytest.Token}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login on the first server: %d", resp.StatusCode)
	}
	status, page := inspectGet(t, onB, adminOrigin(b)+"/")
	csrf := inspectBetween(page, `name="csrf" value="`, `"`)
	if status != http.StatusOK || csrf == "" {
		t.Fatalf("the second server: status %d, want the list of the logged-in token", status)
	}
	inspectPost(t, onB, adminOrigin(b), adminOrigin(b)+"/logout", url.Values{"csrf": {csrf}})
	if status, _ := inspectGet(t, onA, adminOrigin(a)+"/"); status != http.StatusSeeOther {
		t.Fatalf("the first server after logout on the second: status %d, want the login redirect", status)
	}
}
