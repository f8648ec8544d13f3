package server_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
)

// inspectBrowser is a cookie-keeping client that does not follow redirects.
func inspectBrowser(tb testing.TB) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
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

// TestInspectorPerToken logs in to /inspect/ with each token: one sees its delivery and
// can replay it through the tunnel, the other sees nothing of it.
func TestInspectorPerToken(t *testing.T) {
	srv, _, rec, _, _ := recordSetup(t, nil, "")
	post(t, srv.URL+"/t/hook/inspected", `{"n":1}`)
	rec.wait(t, 1)
	base := srv.URL + server.InspectPath

	other := inspectBrowser(t)
	if resp := inspectPost(t, other, srv.URL, base+"login", url.Values{"secret": {relaytest.OtherToken}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with the other token: %d", resp.StatusCode)
	}
	if _, page := inspectGet(t, other, base); strings.Contains(page, "/inspected") {
		t.Fatal("the other token sees the delivery")
	}

	mine := inspectBrowser(t)
	if resp := inspectPost(t, mine, srv.URL, base+"login", url.Values{"secret": {"wrong"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("login with a wrong token: %d", resp.StatusCode)
	}
	inspectPost(t, mine, srv.URL, base+"login", url.Values{"secret": {relaytest.Token}})
	status, page := inspectGet(t, mine, base)
	if status != 200 || !strings.Contains(page, "/inspected") {
		t.Fatalf("list: status %d, delivery missing:\n%s", status, page)
	}
	detail := inspectBetween(page, `<a href="/inspect/r/`, `"`)
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
	resp := inspectPost(t, mine, srv.URL, base+"r/"+detail+"/replay", form)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), server.InspectPath+"r/") {
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
	base := srv.URL + server.InspectPath
	c := inspectBrowser(t)
	inspectPost(t, c, srv.URL, base+"login", url.Values{"secret": {relaytest.Token}})
	_, page := inspectGet(t, c, base)
	id := inspectBetween(page, `<a href="/inspect/r/`, `"`)
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
		resp := inspectPost(t, inspectBrowser(t), srv.URL, srv.URL+server.InspectPath+"login", url.Values{"secret": {relaytest.Token}})
		cookies := resp.Cookies()
		if len(cookies) == 0 {
			t.Fatalf("public %q: login set no cookie (status %d)", public, resp.StatusCode)
		}
		if want := public != ""; cookies[0].Secure != want {
			t.Errorf("public %q: cookie Secure = %v, want %v", public, cookies[0].Secure, want)
		}
	}
}
