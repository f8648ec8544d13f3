package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrelay/hookrelay/internal/api"
	"github.com/hookrelay/hookrelay/internal/client"
	"github.com/hookrelay/hookrelay/internal/relaytest"
	"github.com/hookrelay/hookrelay/internal/webhook"
	"github.com/hookrelay/hookrelay/internal/webhook/samples"
	"github.com/hookrelay/hookrelay/proto"
)

// app is a local backend that keeps every request it got.
type app struct {
	mu  sync.Mutex
	got []*http.Request
	bod [][]byte
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.got = append(a.got, r)
	a.bod = append(a.bod, b)
	a.mu.Unlock()
	fmt.Fprint(w, "ok")
}

func (a *app) last(tb testing.TB) (*http.Request, []byte) {
	tb.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.got) == 0 {
		tb.Fatal("the app got no request")
	}
	return a.got[len(a.got)-1], a.bod[len(a.bod)-1]
}

func (a *app) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.got)
}

// env is a server with a store, an app and a client tunnel "hook" verifying with specs.
type env struct {
	srv    *relaytest.Server
	app    *app
	url    string
	appURL string
}

func newEnv(t *testing.T, mode string, specs ...string) *env {
	srv := relaytest.StartServer(t, "", relaytest.WithStore(t, nil))
	a := &app{}
	be := httptest.NewServer(a)
	t.Cleanup(be.Close)
	relaytest.StartClient(t, srv.URL, relaytest.Token, client.Tunnel{Name: "hook",
		Target: relaytest.Target(t, be.URL), Verify: specs, VerifyMode: mode})
	return &env{srv: srv, app: a, url: srv.URL, appURL: be.URL}
}

// cli runs relay-client with args against the env's server and returns stdout.
func (e *env) cli(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.cliErr(args...)
	if err != nil {
		t.Fatalf("relay-client %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// cliErr runs relay-client with args against the env's server and returns stdout and
// the error, stderr in it.
func (e *env) cliErr(args ...string) (string, error) {
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		return map[string]string{"HOOKRELAY_SERVER": e.url, "HOOKRELAY_TOKEN": relaytest.Token,
			"EDITOR": os.Getenv("TEST_EDITOR")}[k]
	}
	if err := run(context.Background(), args, getenv, &out, &errb); err != nil {
		return out.String(), fmt.Errorf("%w\nstderr: %s", err, errb.String())
	}
	return out.String(), nil
}

func (e *env) lastRecord(t *testing.T) api.Record {
	t.Helper()
	var list api.List
	if err := json.Unmarshal([]byte(e.cli(t, "requests", "--name", "hook", "--limit", "1", "--json")), &list); err != nil || len(list.Requests) == 0 {
		t.Fatalf("requests --json: %v", err)
	}
	var rec api.Record
	if err := json.Unmarshal([]byte(e.cli(t, "requests", "show", list.Requests[0].ID, "--json")), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestTriggerEveryEventVerifies(t *testing.T) {
	const secret = "whsec_c2VjcmV0LWZvci10ZXN0cw=="
	for _, ev := range samples.List() {
		spec := ev.Provider + ":" + secret
		if ev.Provider == "nexusgpt" {
			spec = "nexusgpt:Nexus-Signature=" + secret
		}
		t.Run(ev.Provider+"/"+ev.Name, func(t *testing.T) {
			e := newEnv(t, "enforce", spec)
			sec := strings.TrimPrefix(spec, ev.Provider+":")
			e.cli(t, "trigger", ev.Provider, ev.Name, "--name", "hook", "--secret", sec, "--set", "extra=1")
			r, body := e.app.last(t)
			if got := r.Header.Get(proto.HeaderVerified); got != ev.Provider+"; ok" {
				t.Fatalf("relay verdict %q, want %q", got, ev.Provider+"; ok")
			}
			scheme, _ := webhook.Parse(spec)
			if v := scheme.Verify(r.Header, body, time.Now()); !v.OK {
				t.Fatalf("the app's own check of the delivery failed: %v", v)
			}
		})
	}
}

func TestForgedDeliveryRejectedInEnforceMode(t *testing.T) {
	e := newEnv(t, "enforce", "github:topsecret")
	req, _ := http.NewRequest("POST", e.url+"/t/hook/gh", strings.NewReader(`{"zen":"x"}`))
	req.Header.Set("X-Hub-Signature-256", "sha256=0000000000000000000000000000000000000000000000000000000000000000")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get(proto.HeaderError) != string(proto.CodeSignatureInvalid) {
		t.Fatalf("forged delivery: %d %q, want 401 signature_invalid", resp.StatusCode, resp.Header.Get(proto.HeaderError))
	}
	if e.app.count() != 0 {
		t.Fatal("a forged delivery reached the app in enforce mode")
	}
	rec := e.lastRecord(t)
	if rec.Verification == nil || rec.Verification.OK || rec.Verification.Reason != "bad_signature" || rec.Outcome != "rejected" {
		t.Fatalf("record of forged delivery: %+v %+v", rec.Verification, rec.Summary)
	}
	if out := e.cli(t, "requests", "--name", "hook"); !strings.Contains(out, "github bad_signature") {
		t.Fatalf("requests does not show the verdict:\n%s", out)
	}
}

func TestSignedDeliveryFlaggedOK(t *testing.T) {
	e := newEnv(t, "flag", "mygptassistants:s3cret")
	e.cli(t, "trigger", "mygptassistants", "message.created", "--name", "hook", "--secret", "s3cret")
	r, _ := e.app.last(t)
	if got := r.Header.Get(proto.HeaderVerified); got != "mygptassistants; ok" {
		t.Fatalf("verdict header %q", got)
	}
	e.cli(t, "trigger", "mygptassistants", "message.created", "--name", "hook", "--secret", "wrong")
	r, _ = e.app.last(t)
	if got := r.Header.Get(proto.HeaderVerified); got != "mygptassistants; failed=bad_signature" {
		t.Fatalf("flag mode must forward a bad signature with the verdict; got %q", got)
	}
}

// TestReplayEditResign edits a recorded Stripe delivery in $EDITOR and replays it with
// --resign: the app's own Stripe check passes on the edited body.
func TestReplayEditResign(t *testing.T) {
	e := newEnv(t, "flag", "stripe:whsec_test")
	e.cli(t, "trigger", "stripe", "payment_intent.succeeded", "--name", "hook", "--secret", "whsec_test")
	id := e.lastRecord(t).ID
	script := filepath.Join(t.TempDir(), "edit.sh")
	_ = os.WriteFile(script, []byte("#!/bin/sh\nsed -i 's/\"livemode\":false/\"livemode\":true/' \"$1\"\n"), 0o755)
	t.Setenv("TEST_EDITOR", script)
	out := e.cli(t, "replay", id, "--edit", "--resign")
	if !strings.Contains(out, "Replayed "+id) {
		t.Fatalf("replay output: %s", out)
	}
	r, body := e.app.last(t)
	if !bytes.Contains(body, []byte(`"livemode":true`)) || r.Header.Get(proto.HeaderReplayOf) != id {
		t.Fatalf("edited replay reached the app as %q (replay-of %q)", body, r.Header.Get(proto.HeaderReplayOf))
	}
	scheme, _ := webhook.Parse("stripe:whsec_test")
	if v := scheme.Verify(r.Header, body, time.Now()); !v.OK {
		t.Fatalf("re-signed replay does not verify at the app: %v", v)
	}
}

func TestBulkReplayAndExport(t *testing.T) {
	e := newEnv(t, "")
	for i := range 5 {
		resp, err := http.Post(fmt.Sprintf("%s/t/hook/n/%d", e.url, i), "application/json", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	out := e.cli(t, "replay", "--name", "hook", "--since", "1h")
	if !strings.Contains(out, "Replayed 5 deliveries: 5 ok, 0 failed") {
		t.Fatalf("bulk replay output: %s", out)
	}
	if e.app.count() != 10 {
		t.Fatalf("app got %d requests, want 10", e.app.count())
	}
	for _, format := range []string{"jsonl", "har", "curl"} {
		out := e.cli(t, "export", "--name", "hook", "--format", format)
		if !strings.Contains(out, `{\"n\":4}`) && !strings.Contains(out, `{"n":4}`) && !strings.Contains(out, "eyJuIjo0fQ==") {
			t.Fatalf("export %s lacks a body:\n%.500s", format, out)
		}
	}
	var har struct {
		Log struct {
			Entries []struct{ Request struct{ URL string } }
		}
	}
	if err := json.Unmarshal([]byte(e.cli(t, "export", "--name", "hook", "--format", "har")), &har); err != nil || len(har.Log.Entries) != 10 {
		t.Fatalf("har: %v, %d entries", err, len(har.Log.Entries))
	}
	if got, want := har.Log.Entries[0].Request.URL, e.url+"/t/hook/n/0"; got != want {
		t.Fatalf("har url %q, want the public path-form URL %q", got, want)
	}
}

// TestDuplicateEventMarked: a second verified delivery with an event id already recorded
// on the tunnel is marked duplicate.
func TestDuplicateEventMarked(t *testing.T) {
	e := newEnv(t, "flag", "github:s")
	for range 2 {
		req := githubDelivery(t, e.url, "s", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	rec := e.lastRecord(t)
	if !rec.Duplicate || rec.EventID != "72d3162e-cc78-11e3-81ab-4c9367dc0958" {
		t.Fatalf("second delivery: duplicate=%v event id %q", rec.Duplicate, rec.EventID)
	}
	if out := e.cli(t, "requests", "--name", "hook"); strings.Count(out, "duplicate") != 1 {
		t.Fatalf("requests should mark exactly one duplicate:\n%s", out)
	}
}

// TestReplayWarnsOfStaleSignature: a byte-exact replay warns when the signature's own
// timestamp is past the 5-minute tolerance, even for a delivery that arrived already
// old, and not for a fresh one or a re-signed replay.
func TestReplayWarnsOfStaleSignature(t *testing.T) {
	e := newEnv(t, "flag", "stripe:whsec_x")
	scheme, _ := webhook.Parse("stripe:whsec_x")
	for _, tc := range []struct {
		name     string
		signedAt time.Time
		resigned bool
		want     string
	}{
		{"signed an hour before arrival", time.Now().Add(-time.Hour), false, "Stripe-Signature is 1h0m"},
		{"fresh", time.Now(), false, ""},
		{"re-signed", time.Now().Add(-time.Hour), true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(`{"id":"evt_` + strings.ReplaceAll(tc.name, " ", "_") + `"}`)
			req, _ := http.NewRequest("POST", e.url+"/t/hook/stripe", bytes.NewReader(body))
			if err := scheme.Sign(req.Header, body, tc.signedAt, ""); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			rec := e.lastRecord(t)
			var stderr bytes.Buffer
			warnStale(&stderr, &rec, tc.resigned)
			if got := stderr.String(); tc.want == "" && got != "" || !strings.Contains(got, tc.want) ||
				tc.want != "" && !strings.Contains(got, "--resign") {
				t.Fatalf("warning %q, want %q", got, tc.want)
			}
		})
	}
}

// TestBulkReplayWarnsOfStaleSignatures: a bulk replay without --resign of a delivery
// signed long ago warns once, counting them.
func TestBulkReplayWarnsOfStaleSignatures(t *testing.T) {
	e := newEnv(t, "flag", "stripe:whsec_x")
	scheme, _ := webhook.Parse("stripe:whsec_x")
	body := []byte(`{"id":"evt_old"}`)
	req, _ := http.NewRequest("POST", e.url+"/t/hook/stripe", bytes.NewReader(body))
	if err := scheme.Sign(req.Header, body, time.Now().Add(-time.Hour), ""); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		return map[string]string{"HOOKRELAY_SERVER": e.url, "HOOKRELAY_TOKEN": relaytest.Token}[k]
	}
	if err := run(context.Background(), []string{"replay", "--name", "hook", "--since", "1h"}, getenv, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "warning: 1 delivery carried a signature over 5 minutes old") {
		t.Fatalf("stderr: %q", stderr.String())
	}
}
