package inspect

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestReplayGuards(t *testing.T) {
	const id = "01jpa0000000000000000000d4"
	tests := []struct {
		name      string
		origin    string
		fetchSite string
		csrf      string
		want      int
	}{
		{"same origin", "http://127.0.0.1:4040", "same-origin", testCSRF, http.StatusSeeOther},
		{"no browser headers", "", "", testCSRF, http.StatusSeeOther},
		{"foreign origin", "http://evil.example", "", testCSRF, http.StatusForbidden},
		{"null origin", "null", "", testCSRF, http.StatusForbidden},
		{"cross site", "", "cross-site", testCSRF, http.StatusForbidden},
		{"same site", "", "same-site", testCSRF, http.StatusForbidden},
		{"wrong csrf", "http://127.0.0.1:4040", "same-origin", "guess", http.StatusForbidden},
		{"no csrf", "http://127.0.0.1:4040", "same-origin", "", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newFake(fixture()...)
			h := newLocal(t, src)
			form := url.Values{"csrf": {tt.csrf}}
			req := httptest.NewRequest("POST", "http://127.0.0.1:4040/r/"+id+"/replay", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			setIf(req.Header, "Origin", tt.origin)
			setIf(req.Header, "Sec-Fetch-Site", tt.fetchSite)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if replayed := len(src.replayCalls()) == 1; replayed != (tt.want == http.StatusSeeOther) {
				t.Fatalf("replayed %v with status %d", replayed, w.Code)
			}
			if tt.want == http.StatusSeeOther && w.Header().Get("Location") != "/r/replay01" {
				t.Fatalf("redirect to %q", w.Header().Get("Location"))
			}
		})
	}
}

func setIf(h http.Header, k, v string) {
	if v != "" {
		h.Set(k, v)
	}
}

func TestFeedRefusesOtherSites(t *testing.T) {
	h := newLocal(t, newFake())
	tests := []struct {
		name, origin, site string
	}{
		{"foreign origin", "https://evil.example", ""},
		{"cross site", "", "cross-site"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "http://127.0.0.1:4040/events", nil)
			setIf(req.Header, "Origin", tt.origin)
			setIf(req.Header, "Sec-Fetch-Site", tt.site)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusForbidden {
				t.Fatalf("status %d, want 403", w.Code)
			}
		})
	}
}

var hostCases = []struct {
	host string
	ok   bool
}{
	{"127.0.0.1:4040", true},
	{"localhost:4040", true},
	{"LOCALHOST", true},
	{"app.localhost:4040", true},
	{"[::1]:4040", true},
	{"127.8.9.10", true},
	{"localhost.:4040", true},
	{"evil.example:4040", false},
	{"localhost.evil.example", false},
	{"10.0.0.1:4040", false},
	{"0.0.0.0:4040", false},
	{"", false},
	{"[::1", false},
}

func TestLoopbackHost(t *testing.T) {
	for _, tt := range hostCases {
		if got := loopbackHost(tt.host); got != tt.ok {
			t.Errorf("loopbackHost(%q) = %v, want %v", tt.host, got, tt.ok)
		}
	}
}

func FuzzLoopbackHost(f *testing.F) {
	for _, tt := range hostCases {
		f.Add(tt.host)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if !loopbackHost(host) {
			return
		}
		// Whatever was accepted must name loopback for net/url too.
		u, err := url.Parse("http://" + host + "/")
		if err != nil || u.Host != host {
			return
		}
		name := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		ip := net.ParseIP(name)
		if name != "localhost" && !strings.HasSuffix(name, ".localhost") && (ip == nil || !ip.IsLoopback()) {
			t.Fatalf("loopbackHost(%q) accepted %q", host, name)
		}
	})
}

// TestRebindingRefused: without a login, a request whose Host is not loopback (a DNS
// rebinding page in the victim's browser) gets nothing.
func TestRebindingRefused(t *testing.T) {
	h := newLocal(t, newFake(fixture()...))
	req := httptest.NewRequest("GET", "http://rebind.example:4040/", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), "stripe") {
		t.Fatalf("status %d body %q", w.Code, w.Body)
	}
}

// loginServer serves an inspector whose two tokens see two different sources.
func loginServer(t *testing.T, tlsOn bool) (*httptest.Server, map[string]*fakeSource) {
	t.Helper()
	srcs := map[string]*fakeSource{"token-a": newFake(fixture()[1]), "token-b": newFake(fixture()[3])}
	return loginServerOn(t, tlsOn, srcs, nil), srcs
}

// loginServerOn is loginServer with the given sources and session store (nil: the
// default).
func loginServerOn(t *testing.T, tlsOn bool, srcs map[string]*fakeSource, sessions SessionStore) *httptest.Server {
	t.Helper()
	h, err := New(Config{BasePath: "/inspect/", LoginLabel: "Token", Sessions: sessions, Login: func(secret string) (string, bool) {
		for tok := range srcs {
			if tokenEqual(secret, tok) {
				return tok, true
			}
		}
		return "", false
	}, SourceFor: func(subject string) (Source, bool) {
		src, ok := srcs[subject]
		return src, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	if tlsOn {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

func browser(t *testing.T, srv *httptest.Server) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func login(t *testing.T, c *http.Client, srv *httptest.Server, secret string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/inspect/login", strings.NewReader(url.Values{"secret": {secret}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestLoginSessions(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tlsOn], func(t *testing.T) {
			srv, _ := loginServer(t, tlsOn)
			c := browser(t, srv)
			if resp := get(t, c, srv.URL+"/inspect/"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("anonymous list: status %d, want a redirect to the login", resp.StatusCode)
			}
			if resp := login(t, c, srv, "wrong"); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("bad token: status %d", resp.StatusCode)
			}
			resp := login(t, c, srv, "token-a")
			checkCookie(t, resp, tlsOn)
			body := readAll(t, get(t, c, srv.URL+"/inspect/"))
			if !strings.Contains(body, "/hooks/stripe") || strings.Contains(body, "01jpa0000000000000000000b2") {
				t.Fatalf("token-a sees the wrong records:\n%s", body)
			}
			if resp := get(t, c, srv.URL+"/inspect/r/01jpa0000000000000000000b2"); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("token-a reads token-b's record: status %d", resp.StatusCode)
			}
		})
	}
}

func checkCookie(t *testing.T, resp *http.Response, secure bool) {
	t.Helper()
	cs := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || len(cs) != 1 {
		t.Fatalf("login: status %d cookies %v", resp.StatusCode, cs)
	}
	c := cs[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != secure || c.Path != "/inspect/" {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Strict, Secure=%v, Path=/inspect/", c, secure)
	}
}

func TestLogoutEndsSession(t *testing.T) {
	srv, _ := loginServer(t, false)
	c := browser(t, srv)
	login(t, c, srv, "token-b")
	page := readAll(t, get(t, c, srv.URL+"/inspect/"))
	_, rest, _ := strings.Cut(page, `name="csrf" value="`)
	csrf, _, _ := strings.Cut(rest, `"`)
	req, _ := http.NewRequest("POST", srv.URL+"/inspect/logout", strings.NewReader("csrf="+csrf))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %v %v", resp, err)
	}
	if resp := get(t, c, srv.URL+"/inspect/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: status %d, want the login redirect", resp.StatusCode)
	}
}

// TestSharedSessions: two inspectors on one SessionStore (two relay servers behind
// one load balancer) share logins: a login on one works on the other, a logout on the
// other ends it on both, and a subject SourceFor no longer knows (a revoked token) ends
// its session on every inspector.
func TestSharedSessions(t *testing.T) {
	sessions := NewMemorySessions(nil)
	srcs := map[string]*fakeSource{"token-a": newFake(fixture()[1]), "token-b": newFake(fixture()[3])}
	a, b := loginServerOn(t, false, srcs, sessions), loginServerOn(t, false, srcs, sessions)
	c := browser(t, a) // one cookie jar: both servers are 127.0.0.1, as behind one name
	login(t, c, a, "token-a")
	page := readAll(t, get(t, c, b.URL+"/inspect/"))
	if !strings.Contains(page, "/hooks/stripe") {
		t.Fatalf("the other inspector does not know the login:\n%s", page)
	}
	_, rest, _ := strings.Cut(page, `name="csrf" value="`)
	csrf, _, _ := strings.Cut(rest, `"`)
	req, _ := http.NewRequest("POST", b.URL+"/inspect/logout", strings.NewReader("csrf="+csrf))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout on the other inspector: %v %v", resp, err)
	}
	if resp := get(t, c, a.URL+"/inspect/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout elsewhere: status %d, want the login redirect", resp.StatusCode)
	}

	login(t, c, a, "token-b")
	delete(srcs, "token-b") // revoked
	if resp := get(t, c, b.URL+"/inspect/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoked subject: status %d, want the login redirect", resp.StatusCode)
	}
	if sessions.Len() != 0 {
		t.Errorf("%d sessions kept after the revoked one ended, want 0", sessions.Len())
	}
}

func TestLoginThrottled(t *testing.T) {
	srv, _ := loginServer(t, false)
	c := browser(t, srv)
	for range maxFailures {
		login(t, c, srv, "wrong")
	}
	if resp := login(t, c, srv, "token-a"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("login after %d failures: status %d, want 429", maxFailures, resp.StatusCode)
	}
}

func TestLoginRefusesOtherSites(t *testing.T) {
	srv, _ := loginServer(t, false)
	c := browser(t, srv)
	req, _ := http.NewRequest("POST", srv.URL+"/inspect/login", strings.NewReader("secret=token-a"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Fatalf("cross-site login: %v %v", resp, err)
	}
}

func get(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
