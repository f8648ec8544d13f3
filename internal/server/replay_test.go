package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/server"
	"github.com/hookrelay/hookrelay/internal/store"
	"github.com/hookrelay/hookrelay/proto"
)

// lastID returns the newest record id of tunnel.
func lastID(tb testing.TB, c *api.Client, tunnel string) string {
	tb.Helper()
	page, err := c.List(context.Background(), store.Filter{Tunnel: tunnel, Limit: 1})
	if err != nil || len(page.Requests) == 0 {
		tb.Fatalf("list %s: %v (%d records)", tunnel, err, len(page.Requests))
	}
	return page.Requests[0].ID
}

func TestReplayByteExactAndEdited(t *testing.T) {
	srv, _, rec, _, _ := recordSetup(t, nil, "")
	body := `{"id":"evt_1", "spaced" : true}`
	post(t, srv.URL+"/t/hook/webhooks/x?a=1", body)
	rec.wait(t, 1)
	c := apiClient(t, srv, relaytest.Token)
	id := lastID(t, c, "hook")

	out, err := c.Replay(context.Background(), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 1)
	got := rec.all()[1]
	if string(got.Body) != body || got.URI != "/webhooks/x?a=1" || got.Header.Get(proto.HeaderReplayOf) != id ||
		strings.Join(got.Header.Values("X-Sig"), ",") != "a,b" {
		t.Fatalf("replay reached app as %s %q replay-of %q sig %q", got.URI, got.Body, got.Header.Get(proto.HeaderReplayOf), got.Header.Values("X-Sig"))
	}
	if out.ReplayOf != id || out.Outcome != store.OutcomeOK || out.ID == id {
		t.Fatalf("replay record: %+v", out.Summary)
	}

	edited := []byte(`{"id":"evt_1","edited":true}`)
	_, err = c.Replay(context.Background(), id, &api.Edit{Method: "PUT", Path: "/other?b=2",
		Headers: [][2]string{{"X-New", "1"}}, Body: &edited})
	if err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 1)
	got = rec.all()[2]
	if got.Method != "PUT" || got.URI != "/other?b=2" || string(got.Body) != string(edited) || got.Header.Get("X-New") != "1" || got.Header.Get("X-Sig") != "" {
		t.Fatalf("edited replay reached app as %s %s %q headers %v", got.Method, got.URI, got.Body, got.Header)
	}
}

func TestRejectModeRecordsAndAnswers503(t *testing.T) {
	srv, _, _, _, cl := recordSetup(t, nil, proto.OfflineReject)
	cl.Stop()
	resp := post(t, srv.URL+"/t/hook/missed", `{"n":1}`)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("offline: status %d retry-after %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	c := apiClient(t, srv, relaytest.Token)
	r, err := c.Get(context.Background(), lastID(t, c, "hook"))
	if err != nil || r.Outcome != store.OutcomeOffline || string(r.Request.Body) != `{"n":1}` {
		t.Fatalf("offline record: %v %+v", err, r)
	}
	page, _ := c.List(context.Background(), store.Filter{Tunnel: "hook", Missed: true})
	if len(page.Requests) != 1 {
		t.Fatalf("missed = %d records, want 1", len(page.Requests))
	}
}

func TestQueueModeDeliversInOrderOnce(t *testing.T) {
	srv, _, rec, be, cl := recordSetup(t, nil, proto.OfflineQueue)
	cl.Stop()
	const n = 100
	for i := range n {
		resp := post(t, fmt.Sprintf("%s/t/hook/q/%d", srv.URL, i), fmt.Sprintf(`{"seq":%d}`, i))
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("queued %d: status %d %s", i, resp.StatusCode, resp.Header.Get(proto.HeaderError))
		}
	}
	cl2 := relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook", Target: relaytest.Target(t, be)})
	_ = cl2
	rec.wait(t, n)
	time.Sleep(200 * time.Millisecond) // a duplicate would arrive right behind
	got := rec.all()
	if len(got) != n {
		t.Fatalf("app got %d deliveries, want %d (none twice)", len(got), n)
	}
	ids := make(map[string]bool)
	for i, g := range got {
		if g.URI != fmt.Sprintf("/q/%d", i) || string(g.Body) != fmt.Sprintf(`{"seq":%d}`, i) {
			t.Fatalf("delivery %d: %s %q, want in arrival order", i, g.URI, g.Body)
		}
		ids[g.Header.Get(proto.HeaderRequestID)] = true
	}
	if len(ids) != n {
		t.Fatalf("%d distinct request ids, want %d", len(ids), n)
	}
	c := apiClient(t, srv, relaytest.Token)
	r, _ := c.Get(context.Background(), lastID(t, c, "hook"))
	if r.Outcome != store.OutcomeOK || r.Attempts != 1 {
		t.Fatalf("queued record after delivery: outcome %s attempts %d", r.Outcome, r.Attempts)
	}
}

func TestOtherTokenSeesNothing(t *testing.T) {
	srv, _, _, _, _ := recordSetup(t, nil, "")
	post(t, srv.URL+"/t/hook/x", "{}")
	mine := apiClient(t, srv, relaytest.Token)
	id := lastID(t, mine, "hook")
	other := apiClient(t, srv, relaytest.OtherToken)
	if _, err := other.Get(context.Background(), id); !api.IsNotFound(err) {
		t.Fatalf("other token get: %v, want 404", err)
	}
	if _, err := other.Replay(context.Background(), id, nil); !api.IsNotFound(err) {
		t.Fatalf("other token replay: %v, want 404", err)
	}
	if page, err := other.List(context.Background(), store.Filter{Tunnel: "hook"}); err != nil || len(page.Requests) != 0 {
		t.Fatalf("other token list: %v, %d records", err, len(page.Requests))
	}
	nobody := apiClient(t, srv, "nope")
	var aerr *api.Error
	if _, err := nobody.List(context.Background(), store.Filter{}); !errors.As(err, &aerr) || aerr.Status != 401 {
		t.Fatalf("bad token list: %v, want 401", err)
	}
}

func TestTruncatedRecordRefusesReplay(t *testing.T) {
	srv, _, _, _, _ := recordSetup(t, func(c *server.Config) { c.RecordCap = 100 }, "")
	post(t, srv.URL+"/t/hook/big", strings.Repeat("x", 1000))
	c := apiClient(t, srv, relaytest.Token)
	id := lastID(t, c, "hook")
	r, _ := c.Get(context.Background(), id)
	if !r.Request.BodyTruncated || r.Request.BodySize != 1000 || len(r.Request.Body) != 100 || r.Request.BodySHA256 == "" {
		t.Fatalf("truncated record: %+v", r.Request)
	}
	var aerr *api.Error
	if _, err := c.Replay(context.Background(), id, nil); !errors.As(err, &aerr) || aerr.Code != proto.CodeNotReplayable {
		t.Fatalf("replay of truncated record: %v, want %s", err, proto.CodeNotReplayable)
	}
}

func TestStoreFailureFailsClosedAndRecovers(t *testing.T) {
	srv, db, rec, _, _ := recordSetup(t, nil, "")
	post(t, srv.URL+"/t/hook/warm", "{}") // pages for the first rows exist now
	rec.wait(t, 1)
	for _, tc := range []struct {
		name        string
		break_, fix func() error
	}{
		{"disk full", func() error { return db.SetMaxPages(1) }, func() error { return db.SetMaxPages(0) }},
		{"read-only", func() error { return db.SetReadOnly(true) }, func() error { return db.SetReadOnly(false) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.break_(); err != nil {
				t.Fatal(err)
			}
			resp := post(t, srv.URL+"/t/hook/x", strings.Repeat("y", 8000))
			if resp.StatusCode != 503 || resp.Header.Get(proto.HeaderError) != string(proto.CodeStoreUnavailable) || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("store broken: status %d code %q", resp.StatusCode, resp.Header.Get(proto.HeaderError))
			}
			if err := tc.fix(); err != nil {
				t.Fatal(err)
			}
			if resp := post(t, srv.URL+"/t/hook/x", "{}"); resp.StatusCode != 200 {
				t.Fatalf("store fixed: status %d", resp.StatusCode)
			}
			rec.wait(t, 1)
		})
	}
	if len(rec.all()) != 3 {
		t.Fatalf("app got %d requests; none may be forwarded unrecorded", len(rec.all()))
	}
}

// TestReplayEditCannotInject: an edited replay whose header name, value, method or path
// would break the head (CR, LF, NUL, a non-token name) is refused with 400 bad_request
// naming the culprit, and nothing reaches the app; the tunnel serves on unharmed.
func TestReplayEditCannotInject(t *testing.T) {
	srv, _, rec, _, _ := recordSetup(t, nil, "")
	post(t, srv.URL+"/t/hook/orig", `{}`)
	rec.wait(t, 1)
	c := apiClient(t, srv, relaytest.Token)
	id := lastID(t, c, "hook")
	smuggle := "1\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x"
	tests := []struct {
		name, field string
		edit        api.Edit
	}{
		{"CRLF in value", "X-A", api.Edit{Headers: [][2]string{{"X-A", smuggle}}}},
		{"LF in value", "X-A", api.Edit{Headers: [][2]string{{"X-A", "a\nX-Smuggled: 1"}}}},
		{"NUL in value", "X-A", api.Edit{Headers: [][2]string{{"X-A", "a\x00b"}}}},
		{"CRLF in name", `X-A\r\nX-Smuggled`, api.Edit{Headers: [][2]string{{"X-A\r\nX-Smuggled", "1"}}}},
		{"space in name", "X A", api.Edit{Headers: [][2]string{{"X A", "1"}}}},
		{"colon in name", "X-A:", api.Edit{Headers: [][2]string{{"X-A:", "1"}}}},
		{"CRLF in Host", "Host", api.Edit{Headers: [][2]string{{"host", "x\r\nX-Smuggled: 1"}}}},
		{"CRLF in method", "method", api.Edit{Method: "POST /x HTTP/1.1\r\n\r\nGET"}},
		{"space in path", "target", api.Edit{Path: "/a HTTP/1.1\r\nX: y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Replay(context.Background(), id, &tt.edit)
			var aerr *api.Error
			if !errors.As(err, &aerr) || aerr.Code != proto.CodeBadRequest || !strings.Contains(aerr.Message, `header "`+tt.field+`"`) {
				t.Fatalf("replay: %v, want 400 bad_request naming %q", err, tt.field)
			}
		})
	}
	post(t, srv.URL+"/t/hook/after", `{}`)
	rec.wait(t, 1)
	for _, got := range rec.all() {
		if got.URI == "/smuggled" || got.Header.Get("X-Smuggled") != "" || got.Header.Get("X-A") != "" {
			t.Fatalf("the app got an injected request or field: %s %v", got.URI, got.Header)
		}
	}
	if n := len(rec.all()); n != 2 {
		t.Fatalf("the app got %d requests, want the original and the one after", n)
	}
}

// TestReplayEditHeaderCase: header names in an edit count whatever their case: a
// lowercase host is the one Host of the head, and lowercase relay headers are dropped.
func TestReplayEditHeaderCase(t *testing.T) {
	srv, _, _ := setupWith(t, relaytest.WithStore(t, nil))
	resp := mustDo(t, mustRequest(t, "POST", srv.URL+"/t/myapp/orig", strings.NewReader(`{}`)))
	decodeSeen(t, resp)
	c := apiClient(t, srv, relaytest.Token)
	id := lastID(t, c, "myapp")
	out, err := c.Replay(context.Background(), id, &api.Edit{Headers: [][2]string{
		{"host", "edited.example"}, {"x-hookrelay-verified", "stripe; ok"}, {"x-hookrelay-replay-of", "forged"},
		{"x-forwarded-for", "6.6.6.6"}, {"content-type", "application/json"}}})
	if err != nil {
		t.Fatal(err)
	}
	var s seen
	if err := json.Unmarshal(out.Response.Body, &s); err != nil || out.Status != http.StatusOK {
		t.Fatalf("replay answered %d %q: %v", out.Status, out.Response.Body, err)
	}
	if s.Host != "edited.example" || s.Header.Get(proto.HeaderVerified) != "" || s.Header.Get(proto.HeaderReplayOf) != id ||
		s.Header.Get("X-Forwarded-For") == "6.6.6.6" || s.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("edited replay reached the app with Host %q and %v", s.Host, s.Header)
	}
}
