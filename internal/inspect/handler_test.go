package inspect

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const testCSRF = "test-csrf"

// newLocal returns a loopback inspector over src with a fixed clock, zone and CSRF token.
func newLocal(t *testing.T, src Source) *Handler {
	t.Helper()
	h, err := New(Config{Source: src, State: func() string { return "online" }, Location: time.UTC,
		Now: func() time.Time { return base.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	h.local.csrf = testCSRF
	return h
}

// call sends one request to h as a browser on the inspector's own origin would.
func call(t *testing.T, h http.Handler, method, target string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, "http://127.0.0.1:4040"+target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://127.0.0.1:4040")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run go test -update after checking the change):\n%s", name, path, got)
	}
}

func TestPagesGolden(t *testing.T) {
	tests := []struct {
		name   string
		target string
		status int
	}{
		{"list", "/", 200},
		{"list_filtered", "/?method=POST&status=5xx&q=png&since=2025-03-14+09:00", 200},
		{"detail_json", "/r/01jpa0000000000000000000d4", 200},
		{"detail_form", "/r/01jpa0000000000000000000b2", 200},
		{"detail_binary", "/r/01jpa0000000000000000000c3", 200},
		{"detail_hostile", "/r/01jpa0000000000000000000e5", 200},
		{"not_found", "/r/nope", 404},
	}
	h := newLocal(t, newFake(fixture()...))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := call(t, h, "GET", tt.target, nil)
			if w.Code != tt.status {
				t.Fatalf("GET %s: status %d, want %d\n%s", tt.target, w.Code, tt.status, w.Body)
			}
			checkGolden(t, tt.name, w.Body.Bytes())
		})
	}
}

func TestLoginPageGolden(t *testing.T) {
	h, err := New(Config{Login: func(string) (string, bool) { return "", false },
		SourceFor: func(string) (Source, bool) { return nil, false }, BasePath: "/inspect/"})
	if err != nil {
		t.Fatal(err)
	}
	w := call(t, h, "GET", "/inspect/login", nil)
	checkGolden(t, "login", w.Body.Bytes())
}

func TestSecurityHeaders(t *testing.T) {
	h := newLocal(t, newFake(fixture()...))
	w := call(t, h, "GET", "/", nil)
	for k, want := range map[string]string{
		"Content-Security-Policy": contentSecurityPolicy, "X-Content-Type-Options": "nosniff",
		"X-Frame-Options": "DENY", "Content-Type": "text/html; charset=utf-8",
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestHostileBodiesCannotBreakThePage(t *testing.T) {
	huge := append([]byte(`{"k":"`), bytes.Repeat([]byte("a"), 3<<20)...)
	huge = append(huge, `"}`...)
	binary := bytes.Repeat([]byte{0, 1, 2, 0xff, '<', '>'}, 200<<10)
	tests := []struct {
		name    string
		body    []byte
		maxPage int
		want    string
	}{
		{"script", []byte("</pre></textarea><script>alert(1)</script>"), 64 << 10, "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"huge one-line json", huge, 600 << 10, "download the raw body"},
		{"binary", binary, 200 << 10, "download the raw body"},
		{"invalid utf-8", []byte("caf\xe9 \xff\xfe"), 64 << 10, "caf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rec("01jpa0000000000000000000f6", 1, "POST", "/x", "", 200, hdrs("Content-Type", "application/json"), tt.body)
			w := call(t, newLocal(t, newFake(r)), "GET", "/r/"+r.ID, nil)
			page := w.Body.String()
			if w.Code != 200 || len(page) > tt.maxPage || !strings.Contains(page, tt.want) {
				t.Fatalf("status %d, page %d bytes (max %d), contains %q: %v", w.Code, len(page), tt.maxPage,
					tt.want, strings.Contains(page, tt.want))
			}
			if strings.Contains(page, "<script>alert") || strings.Count(page, "<script") != 1 {
				t.Fatalf("page has an unescaped script tag")
			}
		})
	}
}

func TestRawDownload(t *testing.T) {
	recs := fixture()
	h := newLocal(t, newFake(recs...))
	tests := []struct {
		part string
		want []byte
	}{
		{"request", recs[2].Request.Body},
		{"response", recs[2].Response.Body},
	}
	for _, tt := range tests {
		t.Run(tt.part, func(t *testing.T) {
			w := call(t, h, "GET", "/r/"+recs[2].ID+"/raw?part="+tt.part, nil)
			if !bytes.Equal(w.Body.Bytes(), tt.want) || w.Header().Get("Content-Type") != "application/octet-stream" {
				t.Fatalf("body %q type %q", w.Body, w.Header().Get("Content-Type"))
			}
			wantCD := fmt.Sprintf("attachment; filename=%s-%s.body", recs[2].ID, tt.part)
			if cd := w.Header().Get("Content-Disposition"); cd != wantCD {
				t.Fatalf("Content-Disposition %q, want %q", cd, wantCD)
			}
		})
	}
}

func TestPagination(t *testing.T) {
	var recs []*api.Record
	for i := 120; i > 0; i-- {
		recs = append(recs, rec(fmt.Sprintf("01jpa00000000000000000%04d", i), i, "POST", fmt.Sprintf("/e/%d", i), "", 200, nil, nil))
	}
	src := newFake(recs...)
	h := newLocal(t, src)
	target, seen := "/?method=POST", 0
	for page := 0; target != ""; page++ {
		w := call(t, h, "GET", target, nil)
		body := w.Body.String()
		seen += strings.Count(body, `<tr id="r-`)
		live := strings.Contains(body, "data-events=")
		if live != (page == 0) {
			t.Fatalf("page %d: live feed %v, want only on the first page", page, live)
		}
		target = nextLink(body)
		if page > 5 {
			t.Fatal("pager does not end")
		}
	}
	if seen != 120 {
		t.Fatalf("paged through %d rows, want 120", seen)
	}
	for _, f := range src.lists {
		if f.Limit > store.MaxLimit || (f.Method != "POST" && !f.Missed) {
			t.Fatalf("list call %+v lost the filter or asked for too much", f)
		}
	}
}

// nextLink returns the "Older" link of a list page, unescaped, "" when there is none.
func nextLink(page string) string {
	_, rest, ok := strings.Cut(page, `<a href="`)
	for ok && !strings.Contains(rest[:strings.IndexByte(rest, '>')], `rel="next"`) {
		_, rest, ok = strings.Cut(rest, `<a href="`)
	}
	if !ok {
		return ""
	}
	href, _, _ := strings.Cut(rest, `"`)
	return strings.ReplaceAll(href, "&amp;", "&")
}

func TestReplayMissed(t *testing.T) {
	src := newFake(fixture()...)
	h := newLocal(t, src)
	w := call(t, h, "POST", "/replay-missed", url.Values{"csrf": {testCSRF}, "tunnel": {"hook"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Replayed 1 deliveries") {
		t.Fatalf("status %d:\n%s", w.Code, w.Body)
	}
	if len(src.bulk) != 1 || !src.bulk[0].Missed || src.bulk[0].Tunnel != "hook" {
		t.Fatalf("bulk replays %+v, want one with Missed and tunnel hook", src.bulk)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	login := func(string) (string, bool) { return "", false }
	sourceFor := func(string) (Source, bool) { return nil, false }
	tests := []struct {
		name string
		cfg  Config
	}{
		{"neither", Config{}},
		{"both", Config{Source: newFake(), Login: login, SourceFor: sourceFor}},
		{"login without SourceFor", Config{Login: login}},
		{"SourceFor without login", Config{Source: newFake(), SourceFor: sourceFor}},
		{"base without slash", Config{Source: newFake(), BasePath: "/inspect"}},
		{"relative base", Config{Source: newFake(), BasePath: "inspect/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil {
				t.Fatal("New accepted the config")
			}
		})
	}
}
