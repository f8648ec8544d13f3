package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/proto"
)

// uriApp is a local app that keeps the request target and body of every request.
type uriApp struct {
	app
	uris chan string
}

func newURIApp(t *testing.T) (*uriApp, string) {
	a := &uriApp{uris: make(chan string, 16)}
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.uris <- r.RequestURI
		a.ServeHTTP(w, r)
	}))
	t.Cleanup(be.Close)
	return a, be.URL
}

// TestHTTPPerPathTargets runs `relay-client http /webhooks/leads=A /webhooks=B`: each
// delivery reaches the app of the longest prefix covering its path, byte for byte and
// with the prefix kept in its path, small and streamed bodies alike; a path neither
// covers is answered 502 no_local_target with the relay's error body, and the tunnel
// goes on serving.
func TestHTTPPerPathTargets(t *testing.T) {
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	leads, leadsURL := newURIApp(t)
	hooks, hooksURL := newURIApp(t)
	out := &lines{ch: make(chan string, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"http", "/webhooks/leads=" + leadsURL, "/webhooks=" + hooksURL, "--name", "sitegpt", "--inspect", "off"},
			func(k string) string {
				return map[string]string{"HOOKRELAY_SERVER": srv.URL, "HOOKRELAY_TOKEN": relaytest.Token}[k]
			}, out, io.Discard)
	}()
	t.Cleanup(func() { cancel(); <-done })
	if l := waitLine(t, out.ch, "Forwarding"); !strings.Contains(l, "/webhooks/leads="+leadsURL+" /webhooks="+hooksURL) {
		t.Errorf("forwarding line %q does not show both targets", l)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		path string
		size int
		to   *uriApp
	}{
		{"/webhooks/leads/42?source=form", 512, leads},
		{"/webhooks/leads", 0, leads},
		{"/webhooks/stripe", 2048, hooks},
		{"/webhooks", 10, hooks},
		{"/webhooks/leadsx/1", 300, hooks},
		{"/webhooks/leads/big", 200 << 10, leads}, // over the client's buffer: streamed
		{"/webhooks/big", 200 << 10, hooks},
	} {
		body := make([]byte, tt.size)
		for i := range body {
			body[i] = byte(rng.Uint32())
		}
		resp, err := http.Post(srv.URL+"/t/sitegpt"+tt.path, "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(raw) != "ok" {
			t.Fatalf("%s: %d %s", tt.path, resp.StatusCode, raw)
		}
		if uri := <-tt.to.uris; uri != tt.path {
			t.Errorf("%s reached its app as %s", tt.path, uri)
		}
		if _, got := tt.to.last(t); !bytes.Equal(got, body) {
			t.Errorf("%s: the app got %d bytes, not the %d sent", tt.path, len(got), len(body))
		}
	}
	for _, size := range []int{5, 200 << 10} {
		noTarget(t, srv.URL+"/t/sitegpt/webhooksx", size)
		noTarget(t, srv.URL+"/t/sitegpt/other/webhooks", size)
	}
	if leads.count() != 3 || hooks.count() != 4 {
		t.Errorf("apps got %d and %d requests, want 3 and 4", leads.count(), hooks.count())
	}
	resp, err := http.Post(srv.URL+"/t/sitegpt/webhooks/after", "text/plain", strings.NewReader("still"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, got := hooks.last(t); resp.StatusCode != 200 || string(got) != "still" {
		t.Errorf("after the refusals: %d, the app got %q", resp.StatusCode, got)
	}
}

// noTarget posts size bytes to u and checks the answer is the relay's no_local_target.
func noTarget(t *testing.T, u string, size int) {
	t.Helper()
	resp, err := http.Post(u, "text/plain", strings.NewReader(strings.Repeat("x", size)))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var body struct {
		Error struct {
			Code      proto.Code `json:"code"`
			RequestID string     `json:"request_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%s: body %q: %v", u, raw, err)
	}
	if resp.StatusCode != 502 || resp.Header.Get(proto.HeaderError) != string(proto.CodeNoLocalTarget) ||
		body.Error.Code != proto.CodeNoLocalTarget || body.Error.RequestID == "" {
		t.Errorf("%s (%d bytes): %d %s %s, want 502 no_local_target with a request id", u, size, resp.StatusCode,
			resp.Header.Get(proto.HeaderError), raw)
	}
}
